//! Hearing other replicas' changes: on PostgreSQL, a dedicated connection LISTENs on the
//! channels that committed transactions NOTIFY. Looking for a notification reads what
//! the server already pushed down the socket (`PQconsumeInput`); it sends no query, so
//! an idle process costs the database nothing.
//!
//! The listener is a task of the runtime (each look a short blocking call), so it ends
//! with the runtime and its connection is closed before the process exits.

use std::sync::Arc;
use std::time::Duration;

use diesel::RunQueryDsl;
use diesel::pg::PgConnection;
use tokio::sync::{Notify, broadcast};

use super::events::EVENTS_CHANNEL;
use super::tokens::REVOKED_CHANNEL;
use super::{Connector, DbConn};

/// How often the socket is looked at.
const LOOK_EVERY: Duration = Duration::from_millis(50);
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// What one look found.
enum Heard {
    Nothing,
    Changed,
    Lost(String),
}

/// Starts the listener (PostgreSQL only): events wake `changes`, revoked token ids go to
/// `revoked`. After a lost connection it reconnects, then wakes `changes` once, since
/// something may have been missed meanwhile.
pub fn spawn(connector: Connector, changes: Arc<Notify>, revoked: broadcast::Sender<String>) {
    tokio::spawn(async move {
        let mut first = true;
        loop {
            let connector = connector.clone();
            let Ok(Ok(mut conn)) = tokio::task::spawn_blocking(move || connect(&connector)).await
            else {
                tokio::time::sleep(RECONNECT_AFTER).await;
                continue;
            };
            if !first {
                changes.notify_one();
            }
            first = false;
            loop {
                let revoked = revoked.clone();
                let looked = tokio::task::spawn_blocking(move || {
                    let heard = look(&mut conn, &revoked);
                    (conn, heard)
                })
                .await;
                let Ok((back, heard)) = looked else { break };
                conn = back;
                match heard {
                    Heard::Nothing => tokio::time::sleep(LOOK_EVERY).await,
                    Heard::Changed => changes.notify_one(),
                    Heard::Lost(e) => {
                        tracing::warn!(error = %e, "lost the connection that hears other replicas; reconnecting");
                        break;
                    }
                }
            }
            tokio::time::sleep(RECONNECT_AFTER).await;
        }
    });
}

fn connect(connector: &Connector) -> Result<PgConnection, String> {
    let DbConn::Pg(mut conn) = connector.connect().map_err(|e| e.to_string())? else {
        return Err("not PostgreSQL".into());
    };
    diesel::sql_query(format!("LISTEN {EVENTS_CHANNEL}"))
        .execute(&mut conn)
        .and_then(|_| diesel::sql_query(format!("LISTEN {REVOKED_CHANNEL}")).execute(&mut conn))
        .map_err(|e| e.to_string())?;
    Ok(conn)
}

fn look(conn: &mut PgConnection, revoked: &broadcast::Sender<String>) -> Heard {
    let mut heard = Heard::Nothing;
    for notification in conn.notifications_iter() {
        match notification {
            Ok(n) if n.channel == REVOKED_CHANNEL => {
                let _ = revoked.send(n.payload);
            }
            Ok(_) => heard = Heard::Changed,
            Err(e) => return Heard::Lost(e.to_string()),
        }
    }
    heard
}
