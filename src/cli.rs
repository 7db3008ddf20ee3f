//! The command line: `serve` (the default), `migrate`, `check-config`, `token create |
//! list | revoke`, `account create | list | reset-password | disable | enable`.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::app::passwords::Passwords;
use crate::app::tokens::TokenRequest;
use crate::app::{App, Planning};
use crate::config::Settings;
use crate::domain::access::{Actor, Role};
use crate::domain::account::{AccountProfile, Login, NewAccount, NewPassword};
use crate::domain::ids::AccountId;
use crate::domain::names::UnitCode;
use crate::domain::time::SystemClock;
use crate::error::AppError;
use crate::mail::LinkSigner;
use crate::rule::Rule;
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
    /// Manage web console accounts (the first admin is created here).
    #[command(subcommand)]
    Account(AccountCommand),
}

#[derive(Subcommand)]
pub enum AccountCommand {
    /// Create an account. Asks for its password twice, or reads one line from stdin
    /// with --password-stdin.
    Create {
        /// What the person types to sign in: 2-32 letters, digits, '.', '_' or '-'.
        #[arg(long)]
        login: String,
        /// The name shown on pages and on the timeline, e.g. 张三.
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Limit the account to this unit and the units below it.
        #[arg(long, value_name = "CODE")]
        unit: Option<String>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts.
    List,
    /// Set a new password: unlocks the account and signs it out everywhere.
    ResetPassword {
        login: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account: it is signed out at once and cannot sign in.
    Disable { login: String },
    /// Enable a disabled account again.
    Enable { login: String },
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
    s.parse().map_err(|e: Rule| e.to_string())
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
            crate::mail::composer(&settings, LinkSigner::new(b"check-config"))
                .map_err(AppError::internal)?;
            let channels: Vec<&str> = crate::startup::addressing(&settings)
                .channels
                .iter()
                .map(|c| c.as_str())
                .collect();
            println!(
                "configuration ok: bind {}, database {}, mail {:?}, zone {}, channels {}",
                settings.server.bind,
                settings.database.url.backend_name(),
                settings.mail.transport,
                settings.time.zone,
                channels.join(", ")
            );
            Ok(())
        }
        Command::Token(command) => token(command, &settings).await,
        Command::Account(command) => account(command, &settings).await,
    }
}

/// Whoever runs the command line on the server manages every token.
fn operator() -> Actor {
    Actor {
        id: "cli".into(),
        name: "命令行".into(),
        role: Role::Admin,
        scope: None,
    }
}

/// The service over the configured database, for one command (no engine runs: nothing
/// it does plans reminders).
async fn open(settings: &Settings) -> Result<App, AppError> {
    let store = Store::open(&settings.database).await?;
    let planning = Planning {
        rules: Arc::new(settings.clocks.clone()),
        addressing: crate::startup::addressing(settings),
    };
    Ok(App::new(
        store,
        planning,
        Arc::default(),
        Arc::new(SystemClock),
        settings.time.zone,
        Passwords::new(1),
    ))
}

async fn token(command: TokenCommand, settings: &Settings) -> Result<(), AppError> {
    let app = open(settings).await?;
    match command {
        TokenCommand::Create {
            role,
            name,
            unit,
            expires_in_days,
        } => {
            let req = TokenRequest::parse(&name, role, unit.as_deref(), expires_in_days)?;
            let created = app.create_token(&operator(), req).await?;
            let id = created.token.id;
            eprintln!("created token {id} ({role}); store it now, it is not shown again:");
            println!("{}", created.secret);
        }
        TokenCommand::List => {
            let all = app.tokens(&operator()).await?;
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
            let (token, _) = app.revoke_token(&operator(), id).await?;
            println!("revoked token {} ({})", token.id, token.name);
        }
    }
    Ok(())
}

/// A password from stdin (one line) or asked twice on the terminal.
fn read_password(from_stdin: bool) -> Result<NewPassword, AppError> {
    let io = |e: std::io::Error| AppError::BadRequest(format!("reading the password: {e}"));
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(io)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let first = rpassword::prompt_password("密码 (password): ").map_err(io)?;
        let again = rpassword::prompt_password("再次输入 (again): ").map_err(io)?;
        if first != again {
            return Err(AppError::invalid("password", Rule::EntriesDiffer));
        }
        first
    };
    NewPassword::parse("password", &password)
}

async fn account_id(app: &App, login: String) -> Result<AccountId, AppError> {
    let login = Login::parse("login", &login)?.as_str().to_owned();
    app.account_id(login).await
}

async fn set_disabled(app: &App, login: String, disabled: bool) -> Result<(), AppError> {
    let id = account_id(app, login.clone()).await?;
    app.set_account_disabled(&operator(), id, disabled).await?;
    println!(
        "{login} {}",
        if disabled {
            "disabled; signed out"
        } else {
            "enabled"
        }
    );
    Ok(())
}

async fn account(command: AccountCommand, settings: &Settings) -> Result<(), AppError> {
    let app = open(settings).await?;
    match command {
        AccountCommand::Create {
            login,
            name,
            role,
            unit,
            password_stdin,
        } => {
            let password = read_password(password_stdin)?;
            let unit = unit.map(|u| UnitCode::parse("unit", &u)).transpose()?;
            let profile = AccountProfile::parse(&name, role, unit.as_deref(), None)?;
            let new = NewAccount::parse(&login, profile, password.expose())?;
            let id = app.create_account(None, new).await?;
            println!(
                "created account {} ({id}, {role})",
                login.trim().to_lowercase()
            );
        }
        AccountCommand::List => {
            let all = app.accounts(&operator()).await?;
            let now = app.now();
            println!("login\trole\tunit\tname\tstate");
            for a in all {
                let state = if a.disabled_at.is_some() {
                    "disabled"
                } else if a.locked_until.is_some_and(|t| t > now) {
                    "locked"
                } else {
                    "active"
                };
                println!(
                    "{}\t{}\t{}\t{}\t{state}",
                    a.login,
                    a.role,
                    a.unit_code.as_deref().unwrap_or("-"),
                    a.display_name
                );
            }
        }
        AccountCommand::ResetPassword {
            login,
            password_stdin,
        } => {
            let id = account_id(&app, login.clone()).await?;
            let password = read_password(password_stdin)?;
            app.reset_password(&operator(), id, password).await?;
            println!("password of {login} set; its sessions ended");
        }
        AccountCommand::Disable { login } => set_disabled(&app, login, true).await?,
        AccountCommand::Enable { login } => set_disabled(&app, login, false).await?,
    }
    Ok(())
}

async fn serve(settings: Settings) -> Result<(), AppError> {
    let app = Application::build(&settings, Arc::new(SystemClock)).await?;
    tracing::info!(port = app.port(), bind = %settings.server.bind, "serving");
    app.run_until_stopped().await
}
