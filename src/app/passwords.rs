//! Password hashing and checking: argon2 (`password-auth`), about 19 MiB and tens of
//! milliseconds each by design. Each runs on the blocking pool, never holding a database
//! connection, and only a few at once: a flood of sign-ins queues here instead of taking
//! every connection and a gigabyte of memory.

use std::sync::{Arc, OnceLock};

use tokio::sync::Semaphore;

use crate::domain::account::NewPassword;
use crate::error::AppError;

#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
}

impl Passwords {
    /// At most `at_once` hashes in flight (at least one).
    pub fn new(at_once: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(at_once.max(1))),
        }
    }

    /// Two per core: argon2 is CPU-bound, so more at once only costs memory.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(2, |n| n.get() * 2))
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        tokio::task::spawn_blocking(f)
            .await
            .map_err(AppError::internal)
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
