use std::process::ExitCode;

use clap::Parser;
use yuqing_tracker::cli::{self, Cli};
use yuqing_tracker::config::Settings;
use yuqing_tracker::telemetry;

/// Large blocks (argon2's 19 MiB per password check, big response bodies) go straight
/// back to the system when freed. glibc otherwise raises its mmap threshold after the
/// first such free and keeps later ones in each thread's arena: a flood of sign-ins left
/// the process at 400 MiB (bench/README.md, "Hardening round two").
fn return_large_blocks_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator settings; called before any other thread
    // of ours allocates.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

fn main() -> ExitCode {
    return_large_blocks_to_the_system();
    serve()
}

#[actix_web::main]
async fn serve() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings.log);
    match cli::run(cli, settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e.chain(), "stopped");
            eprintln!("error: {}", e.chain());
            ExitCode::FAILURE
        }
    }
}
