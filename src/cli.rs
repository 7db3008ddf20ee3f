//! The command line: `serve` (the default), `migrate`, `check-config`, `token create |
//! list | revoke`.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::app::tokens::{self, TokenRequest};
use crate::config::Settings;
use crate::domain::access::{Actor, Role};
use crate::domain::time::{SystemClock, TimeSource};
use crate::domain::unit::parse_code;
use crate::error::AppError;
use crate::mail::{Composer, LinkSigner};
use crate::startup::Application;
use crate::store::Store;

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
        /// Stop accepting the token after this many days (default: until revoked).
        #[arg(long, value_name = "DAYS")]
        expires_in_days: Option<i64>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by id: refused at once by this database's replicas (within 30 s
    /// by replicas that saw it recently).
    Revoke { id: String },
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
        Command::Token(command) => token(command, &settings).await,
    }
}

/// Whoever runs the command line on the server manages every token.
fn operator() -> Actor {
    Actor {
        token_id: "cli".into(),
        name: "命令行".into(),
        role: Role::Admin,
        scope: None,
    }
}

async fn token(command: TokenCommand, settings: &Settings) -> Result<(), AppError> {
    let store = Store::open(&settings.database).await?;
    let now = SystemClock.now();
    match command {
        TokenCommand::Create {
            role,
            name,
            unit,
            expires_in_days,
        } => {
            let req = TokenRequest {
                name: crate::domain::text::required("name", &name, 100)?,
                role,
                unit_code: unit.map(|u| parse_code("unit", &u)).transpose()?,
                expires_in_days,
            };
            let (id, token) = store
                .write(move |conn| tokens::create(conn, &operator(), &req, now))
                .await?;
            eprintln!("created token {id} ({role}); store it now, it is not shown again:");
            println!("{token}");
        }
        TokenCommand::List => {
            let all = store.run(|conn| tokens::list(conn, &operator())).await?;
            println!("id\trole\tunit\tname\tcreated\texpires\trevoked");
            let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
                t.map_or("-".to_owned(), |t| t.format("%Y-%m-%dT%H:%MZ").to_string())
            };
            for t in all {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.role,
                    t.unit_code.as_deref().unwrap_or("-"),
                    t.name,
                    time(Some(t.created_at)),
                    time(t.expires_at),
                    time(t.revoked_at)
                );
            }
        }
        TokenCommand::Revoke { id } => {
            let (token, _) = store
                .write(move |conn| tokens::revoke(conn, &operator(), &id, now))
                .await?;
            println!("revoked token {} ({})", token.id, token.name);
        }
    }
    Ok(())
}

async fn serve(settings: Settings) -> Result<(), AppError> {
    let app = Application::build(&settings, Arc::new(SystemClock)).await?;
    tracing::info!(port = app.port(), bind = %settings.server.bind, "serving");
    app.run_until_stopped().await
}
