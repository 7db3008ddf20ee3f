//! Password hashing and checking: argon2 (`password-auth`), about 19 MiB and tens of
//! milliseconds each by design. Each runs on a few threads of its own, never holding a
//! database connection: a flood of sign-ins queues here instead of taking every
//! connection and a gigabyte of memory.

use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::oneshot;

use crate::domain::account::NewPassword;
use crate::error::AppError;

type Job = Box<dyn FnOnce() + Send>;

/// A few threads of their own that hash and check, one password each at a time. Not
/// tokio's blocking pool: each of its many threads would keep its own malloc arena, and
/// with it the 19 MiB of every hash it once ran (hundreds of MiB under a flood).
#[derive(Clone)]
pub struct Passwords {
    jobs: mpsc::Sender<Job>,
}

impl Passwords {
    /// `threads` hashing threads (at least one).
    pub fn new(threads: usize) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads.max(1) {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("passwords-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting for the next job.
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return, // every Passwords dropped
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a password thread");
            }
        }
        Self { jobs }
    }

    /// Two per core: argon2 is CPU-bound, so more at once only costs memory.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(2, |n| n.get() * 2))
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let (done, result) = oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = done.send(f());
            }))
            .map_err(|_| AppError::internal("the password threads stopped"))?;
        result
            .await
            .map_err(|_| AppError::internal("a password thread stopped"))
    }

    pub async fn hash(&self, password: &NewPassword) -> Result<String, AppError> {
        let password = password.expose().to_owned();
        self.run(move || password_auth::generate_hash(password))
            .await
    }

    /// Whether `password` matches `hash`; with no hash (an unknown login) a decoy is
    /// checked, so an unknown login takes as long to refuse as a wrong password.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, AppError> {
        let (password, hash) = (password.to_owned(), hash.map(str::to_owned));
        self.run(move || {
            let hash = hash.as_deref().unwrap_or_else(|| decoy_hash());
            password_auth::verify_password(password, hash).is_ok()
        })
        .await
    }
}

/// A hash no password matches.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| password_auth::generate_hash(hex::encode(rand::random::<[u8; 16]>())))
}
