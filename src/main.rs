use std::process::ExitCode;

use clap::Parser;
use yuqing_tracker::cli::{self, Cli};
use yuqing_tracker::config::Settings;
use yuqing_tracker::telemetry;

#[actix_web::main]
async fn main() -> ExitCode {
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
