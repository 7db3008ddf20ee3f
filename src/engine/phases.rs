//! The sweep's second duty: record clocks crossing into at-risk and breached.

use super::Engine;
use crate::error::AppError;
use crate::store::{escalations, phases};

impl Engine {
    /// Records every phase crossing due by the database's clock; returns how many this
    /// replica recorded.
    pub async fn record_phases(&self) -> Result<usize, AppError> {
        let mut recorded = 0;
        loop {
            let (now, crossings) = self
                .store
                .run(|conn| {
                    let now = escalations::db_now(conn)?;
                    Ok((now, phases::crossings(conn, now)?))
                })
                .await?;
            let full = crossings.len() as i64 >= phases::BATCH;
            for crossing in crossings {
                if self
                    .store
                    .write(move |conn| phases::record(conn, &crossing, now))
                    .await?
                {
                    recorded += 1;
                }
            }
            if !full {
                return Ok(recorded);
            }
        }
    }
}
