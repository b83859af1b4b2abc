//! The AI request log (`ai_request_logs`): one row per outgoing AI or price-search request.

use rusqlite::Connection;
use serde::Serialize;

use super::Error;

/// A log row without its payloads.
#[derive(Debug, Clone, Serialize)]
pub struct LogSummary {
    pub id: i64,
    pub ai_job_id: Option<i64>,
    pub provider: String,
    pub model: Option<String>,
    pub request_type: String,
    pub status: String,
    pub http_status: Option<i64>,
    pub duration_ms: i64,
    pub tokens_input: Option<i64>,
    pub tokens_output: Option<i64>,
    pub cost_usd: Option<f64>,
    pub error_message: Option<String>,
    pub created_at: String,
}

/// The requests a job made, oldest first.
pub fn for_job(conn: &Connection, job_id: i64) -> Result<Vec<LogSummary>, Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, ai_job_id, provider, model, request_type, status, http_status, duration_ms,
                tokens_input, tokens_output, cost_usd, error_message, created_at
         FROM ai_request_logs WHERE ai_job_id = ?1 ORDER BY id",
    )?;
    let logs = stmt
        .query_map([job_id], |r| {
            Ok(LogSummary {
                id: r.get(0)?,
                ai_job_id: r.get(1)?,
                provider: r.get(2)?,
                model: r.get(3)?,
                request_type: r.get(4)?,
                status: r.get(5)?,
                http_status: r.get(6)?,
                duration_ms: r.get(7)?,
                tokens_input: r.get(8)?,
                tokens_output: r.get(9)?,
                cost_usd: r.get(10)?,
                error_message: r.get(11)?,
                created_at: r.get(12)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(logs)
}

/// Deletes log rows written before `before`.
pub fn prune(conn: &Connection, before: &str) -> Result<usize, Error> {
    Ok(conn.execute(
        "DELETE FROM ai_request_logs WHERE created_at < ?1",
        [before],
    )?)
}
