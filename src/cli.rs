//! The command line: `serve` (the default), `migrate`, `check-config`, `token create`.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::domain::access::Role;
use crate::domain::time::{SystemClock, TimeSource};
use crate::domain::unit::parse_code;
use crate::error::AppError;
use crate::mail::{Composer, LinkSigner};
use crate::startup::Application;
use crate::store::{Store, tokens, write_tx};

#[derive(Parser)]
#[command(name = "yuqing-tracker", version, about = "涉税舆情 response tracker")]
pub struct Cli {
    /// A TOML file layered over config/default.toml.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the service (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load and validate the configuration, print a summary, and exit.
    CheckConfig,
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token; it is printed once, alone on the last line.
    Create {
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[arg(long)]
        name: String,
        /// Limit the token to this unit and the units below it.
        #[arg(long, value_name = "CODE")]
        unit: Option<String>,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

pub async fn run(cli: Cli, settings: Settings) -> Result<(), AppError> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate => {
            Store::open(&settings.database).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::CheckConfig => {
            // Override templates too: each is rendered once with a specimen.
            Composer::from_settings(&settings, LinkSigner::new(b"check-config"))
                .map_err(AppError::internal)?;
            println!(
                "configuration ok: bind {}, database {}, mail {:?}, zone {}",
                settings.server.bind,
                settings.database.url.backend_name(),
                settings.mail.transport,
                settings.time.zone
            );
            Ok(())
        }
        Command::Token(TokenCommand::Create { role, name, unit }) => {
            let name = crate::domain::text::required("name", &name, 100)?;
            let unit = unit.map(|u| parse_code("unit", &u)).transpose()?;
            let store = Store::open(&settings.database).await?;
            let now = SystemClock.now();
            let (id, token) = store
                .run(move |conn| {
                    write_tx(conn, |conn| {
                        tokens::create(conn, &name, role, unit.as_deref(), now)
                    })
                })
                .await?;
            eprintln!("created token {id} ({role}); store it now, it is not shown again:");
            println!("{token}");
            Ok(())
        }
    }
}

async fn serve(settings: Settings) -> Result<(), AppError> {
    let app = Application::build(&settings, Arc::new(SystemClock)).await?;
    tracing::info!(port = app.port(), bind = %settings.server.bind, "serving");
    app.run_until_stopped().await
}
