//! The AI request log (`ai_request_logs`): one row per outgoing AI or price-search request,
//! its filters, pages and statistics.

use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use serde_json::{Value, json};

use super::Error;

pub const STATUSES: &[&str] = &["success", "failed", "timeout", "cancelled"];
pub const REQUEST_TYPES: &[&str] = &[
    "completion",
    "image_analysis",
    "price_aggregation",
    "serp_search",
    "test_connection",
];

/// A row to write. Payloads are already cut and cleaned.
#[derive(Debug, Clone, Default)]
pub struct NewLog {
    pub ai_job_id: Option<i64>,
    pub provider: String,
    pub model: Option<String>,
    pub request_type: &'static str,
    pub status: &'static str,
    pub http_status: Option<u16>,
    pub prompt_preview: Option<String>,
    pub request_data: Option<String>,
    pub response_data: Option<String>,
    pub serp_data: Option<String>,
    pub error_message: Option<String>,
    pub tokens_input: Option<i64>,
    pub tokens_output: Option<i64>,
    pub tokens_estimated: bool,
    pub cost_usd: Option<f64>,
    pub duration_ms: i64,
}

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
    pub tokens_estimated: bool,
    pub cost_usd: Option<f64>,
    pub error_message: Option<String>,
    pub created_at: String,
    pub prompt_preview: Option<String>,
}

/// A whole log row.
#[derive(Debug, Clone, Serialize)]
pub struct LogDetail {
    #[serde(flatten)]
    pub summary: LogSummary,
    pub request_data: Option<Value>,
    pub response_data: Option<Value>,
    pub serp_data: Option<Value>,
}

/// Filters and page for the log.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub provider: Option<String>,
    pub status: Option<String>,
    pub request_type: Option<String>,
    pub ai_job_id: Option<i64>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub page: i64,
    pub per_page: i64,
}

const SUMMARY: &str = "id, ai_job_id, provider, model, request_type, status, http_status,
    duration_ms, tokens_input, tokens_output, tokens_estimated, cost_usd, error_message,
    created_at, prompt_preview";

fn summary(row: &Row<'_>) -> rusqlite::Result<LogSummary> {
    Ok(LogSummary {
        id: row.get("id")?,
        ai_job_id: row.get("ai_job_id")?,
        provider: row.get("provider")?,
        model: row.get("model")?,
        request_type: row.get("request_type")?,
        status: row.get("status")?,
        http_status: row.get("http_status")?,
        duration_ms: row.get("duration_ms")?,
        tokens_input: row.get("tokens_input")?,
        tokens_output: row.get("tokens_output")?,
        tokens_estimated: row.get("tokens_estimated")?,
        cost_usd: row.get("cost_usd")?,
        error_message: row.get("error_message")?,
        created_at: row.get("created_at")?,
        prompt_preview: row.get("prompt_preview")?,
    })
}

pub fn insert(conn: &Connection, log: &NewLog) -> Result<i64, Error> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO ai_request_logs (ai_job_id, provider, model, request_type, status,
            http_status, prompt_preview, request_data, response_data, serp_data, error_message,
            tokens_input, tokens_output, tokens_estimated, cost_usd, duration_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?;
    stmt.execute(params![
        log.ai_job_id,
        log.provider,
        log.model,
        log.request_type,
        log.status,
        log.http_status,
        log.prompt_preview,
        log.request_data,
        log.response_data,
        log.serp_data,
        log.error_message,
        log.tokens_input,
        log.tokens_output,
        log.tokens_estimated,
        log.cost_usd,
        log.duration_ms
    ])?;
    Ok(conn.last_insert_rowid())
}

/// The requests a job made, oldest first. A log row whose job is gone keeps no job id.
pub fn for_job(conn: &Connection, job_id: i64) -> Result<Vec<LogSummary>, Error> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {SUMMARY} FROM ai_request_logs WHERE ai_job_id = ?1 ORDER BY id"
    ))?;
    let logs = stmt
        .query_map([job_id], summary)?
        .collect::<Result<_, _>>()?;
    Ok(logs)
}

fn condition(filter: &Filter) -> (String, Vec<Sql>) {
    let mut clauses = Vec::new();
    let mut values = Vec::new();
    let mut text = |clause: &str, value: &Option<String>| {
        if let Some(v) = value {
            clauses.push(clause.to_string());
            values.push(Sql::Text(v.clone()));
        }
    };
    text("provider = ?", &filter.provider);
    text("status = ?", &filter.status);
    text("request_type = ?", &filter.request_type);
    text("created_at >= ?", &filter.from);
    text("created_at <= ?", &filter.to);
    if let Some(job) = filter.ai_job_id {
        clauses.push("ai_job_id = ?".into());
        values.push(Sql::Integer(job));
    }
    let condition = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    };
    (condition, values)
}

/// A page of log rows, newest first, and how many match.
pub fn list(conn: &Connection, filter: &Filter) -> Result<(Vec<LogSummary>, i64), Error> {
    let (condition, values) = condition(filter);
    super::page(
        conn,
        &format!("SELECT {SUMMARY} FROM ai_request_logs"),
        "ai_request_logs",
        &condition,
        values,
        "id DESC",
        (filter.page, filter.per_page),
        summary,
    )
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<LogDetail>, Error> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {SUMMARY}, request_data, response_data, serp_data FROM ai_request_logs WHERE id = ?1"
    ))?;
    let parse =
        |text: Option<String>| text.map(|t| serde_json::from_str(&t).unwrap_or(Value::String(t)));
    Ok(stmt
        .query_row([id], |row| {
            Ok(LogDetail {
                summary: summary(row)?,
                request_data: parse(row.get("request_data")?),
                response_data: parse(row.get("response_data")?),
                serp_data: parse(row.get("serp_data")?),
            })
        })
        .optional()?)
}

pub fn delete(conn: &Connection, id: i64) -> Result<bool, Error> {
    Ok(conn.execute("DELETE FROM ai_request_logs WHERE id = ?1", [id])? == 1)
}

pub fn delete_all(conn: &Connection) -> Result<usize, Error> {
    Ok(conn.execute("DELETE FROM ai_request_logs", [])?)
}

/// Deletes log rows written before `before`.
pub fn prune(conn: &Connection, before: &str) -> Result<usize, Error> {
    Ok(conn.execute(
        "DELETE FROM ai_request_logs WHERE created_at < ?1",
        [before],
    )?)
}

/// Figures over the rows written at or after `since`.
pub fn stats(conn: &Connection, since: &str) -> Result<Value, Error> {
    let totals = conn.query_row(
        "SELECT count(*), coalesce(sum(status = 'success'), 0),
                coalesce(sum(tokens_input), 0), coalesce(sum(tokens_output), 0),
                sum(cost_usd), avg(duration_ms)
         FROM ai_request_logs WHERE created_at >= ?1",
        [since],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, Option<f64>>(4)?,
                r.get::<_, Option<f64>>(5)?,
            ))
        },
    )?;
    let (total, successful, tokens_in, tokens_out, cost, avg) = totals;
    // Nearest-rank 95th percentile of the real durations.
    let p95: Option<i64> = if total == 0 {
        None
    } else {
        let rank = ((total as f64) * 0.95).ceil() as i64 - 1;
        conn.query_row(
            "SELECT duration_ms FROM ai_request_logs WHERE created_at >= ?1
             ORDER BY duration_ms LIMIT 1 OFFSET ?2",
            params![since, rank.max(0)],
            |r| r.get(0),
        )
        .optional()?
    };
    let group = |column: &str| -> Result<Value, Error> {
        let mut stmt = conn.prepare(&format!(
            "SELECT {column} AS key, count(*), coalesce(sum(status = 'success'), 0),
                    coalesce(sum(tokens_input), 0), coalesce(sum(tokens_output), 0),
                    sum(cost_usd), CAST(round(avg(duration_ms)) AS INTEGER)
             FROM ai_request_logs WHERE created_at >= ?1 GROUP BY key ORDER BY key"
        ))?;
        let rows = stmt
            .query_map([since], |r| {
                Ok(json!({
                    "key": r.get::<_, Option<String>>(0)?,
                    "total": r.get::<_, i64>(1)?,
                    "successful": r.get::<_, i64>(2)?,
                    "tokens_input": r.get::<_, i64>(3)?,
                    "tokens_output": r.get::<_, i64>(4)?,
                    "cost_usd": r.get::<_, Option<f64>>(5)?.map(round_cost),
                    "avg_duration_ms": r.get::<_, Option<i64>>(6)?,
                }))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Value::Array(rows))
    };
    Ok(json!({
        "total": total,
        "successful": successful,
        "failed": total - successful,
        "success_rate": (total > 0).then(|| (successful as f64 * 1000.0 / total as f64).round() / 10.0),
        "tokens_input": tokens_in,
        "tokens_output": tokens_out,
        "cost_usd": cost.map(round_cost),
        "avg_duration_ms": avg.map(|a| a.round() as i64),
        "p95_duration_ms": p95,
        "by_provider": group("provider")?,
        "by_model": group("model")?,
        "by_type": group("request_type")?,
        "by_day": group("substr(created_at, 1, 10)")?,
    }))
}

fn round_cost(cost: f64) -> f64 {
    (cost * 1e6).round() / 1e6
}
