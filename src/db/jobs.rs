//! Job rows (`ai_jobs`) and their timelines (`ai_job_events`). Every write that ends or moves
//! an attempt is conditional on the row still being that claimed attempt
//! (`status = 'processing' AND attempts = ?`), so a cancelled job can never be overwritten by
//! the runner that was working on it.

use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use serde_json::Value;

use super::Error;

pub const STATUSES: &[&str] = &["pending", "processing", "completed", "failed", "cancelled"];

/// A job row as stored, with its request-log count.
#[derive(Debug, Clone)]
pub struct JobRow {
    pub id: i64,
    pub job_type: String,
    pub status: String,
    pub progress: i64,
    pub status_message: Option<String>,
    pub input_data: Value,
    pub output_data: Option<Value>,
    pub error_message: Option<String>,
    pub related_item_id: Option<i64>,
    pub related_list_id: Option<i64>,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: String,
    pub created_at: String,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    pub duration_ms: Option<i64>,
    pub logs_count: i64,
    /// The name of the related item, while it exists.
    pub item_name: Option<String>,
}

impl JobRow {
    pub fn is_active(&self) -> bool {
        self.status == "pending" || self.status == "processing"
    }
}

/// One entry of a job's timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: i64,
    pub attempt: i64,
    pub at: String,
    pub level: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
        }
    }
}

/// A job to insert.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub job_type: String,
    pub input: Value,
    pub related_item_id: Option<i64>,
    pub related_list_id: Option<i64>,
    pub max_attempts: i64,
    /// Return an active job of the same type for the same item instead of adding one.
    pub dedupe_per_item: bool,
    /// When it may start; now when `None`.
    pub run_at: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum InsertError {
    #[error("there is no item with id {0}")]
    NoItem(i64),
    #[error("there is no list with id {0}")]
    NoList(i64),
    #[error(transparent)]
    Db(#[from] Error),
}

/// What a runner claimed.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub job_type: String,
    pub input: Value,
    pub related_item_id: Option<i64>,
    pub related_list_id: Option<i64>,
    pub attempt: i64,
    pub max_attempts: i64,
}

/// How an attempt ends.
#[derive(Debug, Clone)]
pub enum Finish {
    Completed {
        output: Value,
    },
    Failed {
        message: String,
    },
    /// Back to pending, to run again at `run_at`.
    Retry {
        message: String,
        run_at: String,
    },
    /// Back to pending at once, giving back the attempt (the server is stopping).
    Requeue,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelOutcome {
    NotFound,
    NotActive(String),
    Cancelled { was_processing: bool },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteOutcome {
    NotFound,
    Active,
    Deleted,
}

/// Filters and page for the job history.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<String>,
    pub job_type: Option<String>,
    pub related_item_id: Option<i64>,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub total: i64,
    pub completed: i64,
    pub failed: i64,
    pub cancelled: i64,
    pub active: i64,
}

const SELECT: &str = "SELECT j.id, j.type, j.status, j.progress, j.status_message, j.input_data,
        j.output_data, j.error_message, j.related_item_id, j.related_list_id, j.attempts,
        j.max_attempts, j.run_at, j.created_at, j.started_at, j.completed_at,
        CAST(round((julianday(j.completed_at) - julianday(j.started_at)) * 86400000) AS INTEGER)
            AS duration_ms,
        (SELECT count(*) FROM ai_request_logs l WHERE l.ai_job_id = j.id) AS logs_count,
        (SELECT product_name FROM items i WHERE i.id = j.related_item_id) AS item_name
    FROM ai_jobs j";

fn json(text: Option<String>) -> Option<Value> {
    text.map(|t| serde_json::from_str(&t).unwrap_or(Value::String(t)))
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<JobRow> {
    Ok(JobRow {
        id: row.get("id")?,
        job_type: row.get("type")?,
        status: row.get("status")?,
        progress: row.get("progress")?,
        status_message: row.get("status_message")?,
        input_data: json(row.get("input_data")?).unwrap_or(Value::Null),
        output_data: json(row.get("output_data")?),
        error_message: row.get("error_message")?,
        related_item_id: row.get("related_item_id")?,
        related_list_id: row.get("related_list_id")?,
        attempts: row.get("attempts")?,
        max_attempts: row.get("max_attempts")?,
        run_at: row.get("run_at")?,
        created_at: row.get("created_at")?,
        started_at: row.get("started_at")?,
        completed_at: row.get("completed_at")?,
        duration_ms: row.get("duration_ms")?,
        logs_count: row.get("logs_count")?,
        item_name: row.get("item_name")?,
    })
}

/// Inserts a job, or with `dedupe_per_item` returns the item's active job of that type.
/// Returns the job's id and whether it was created.
pub fn insert(tx: &Connection, job: &NewJob, now: &str) -> Result<(i64, bool), InsertError> {
    let mut list_id = job.related_list_id;
    if let Some(item) = job.related_item_id {
        let owner: Option<i64> = tx
            .prepare_cached("SELECT list_id FROM items WHERE id = ?1")
            .and_then(|mut s| s.query_row([item], |r| r.get(0)).optional())
            .map_err(Error::from)?;
        let owner = owner.ok_or(InsertError::NoItem(item))?;
        list_id = list_id.or(Some(owner));
        if job.dedupe_per_item {
            let existing: Option<i64> = tx
                .prepare_cached(
                    "SELECT id FROM ai_jobs WHERE related_item_id = ?1 AND type = ?2
                     AND status IN ('pending', 'processing') ORDER BY id LIMIT 1",
                )
                .and_then(|mut s| {
                    s.query_row(params![item, job.job_type], |r| r.get(0))
                        .optional()
                })
                .map_err(Error::from)?;
            if let Some(id) = existing {
                return Ok((id, false));
            }
        }
    }
    if let Some(list) = list_id
        && !super::lists::exists(tx, list)?
    {
        return Err(InsertError::NoList(list));
    }
    tx.execute(
        "INSERT INTO ai_jobs (type, input_data, related_item_id, related_list_id,
                              max_attempts, status_message, run_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'Waiting for a runner', coalesce(?7, ?6), ?6, ?6)",
        params![
            job.job_type,
            job.input.to_string(),
            job.related_item_id,
            list_id,
            job.max_attempts,
            now,
            job.run_at
        ],
    )
    .map_err(Error::from)?;
    let id = tx.last_insert_rowid();
    add_event(tx, id, 0, Level::Info, "Queued", now)?;
    Ok((id, true))
}

/// Claims the oldest due pending job for one attempt, in one write transaction.
pub fn claim(tx: &Connection, now: &str) -> Result<Option<Claimed>, Error> {
    let claimed = tx
        .prepare_cached(
            "UPDATE ai_jobs SET status = 'processing', attempts = attempts + 1, progress = 0,
                    status_message = 'Started', started_at = coalesce(started_at, ?1),
                    updated_at = ?1
             WHERE id = (SELECT id FROM ai_jobs WHERE status = 'pending' AND run_at <= ?1
                         ORDER BY run_at, id LIMIT 1)
             RETURNING id, type, input_data, related_item_id, related_list_id, attempts,
                       max_attempts",
        )?
        .query_row([now], |row| {
            Ok(Claimed {
                id: row.get(0)?,
                job_type: row.get(1)?,
                input: json(row.get(2)?).unwrap_or(Value::Null),
                related_item_id: row.get(3)?,
                related_list_id: row.get(4)?,
                attempt: row.get(5)?,
                max_attempts: row.get(6)?,
            })
        })
        .optional()?;
    if let Some(job) = &claimed {
        let message = format!("Attempt {} of {} started", job.attempt, job.max_attempts);
        add_event(tx, job.id, job.attempt, Level::Info, &message, now)?;
    }
    Ok(claimed)
}

/// When the next pending job is due, if any.
pub fn next_run_at(conn: &Connection) -> Result<Option<String>, Error> {
    let mut stmt =
        conn.prepare_cached("SELECT min(run_at) FROM ai_jobs WHERE status = 'pending'")?;
    Ok(stmt.query_row([], |r| r.get(0))?)
}

/// Ends attempt `attempt` of job `id`; false when the row is no longer that attempt (it was
/// cancelled, or recovered after a crash), in which case nothing was written.
pub fn finish(
    tx: &Connection,
    id: i64,
    attempt: i64,
    how: &Finish,
    now: &str,
) -> Result<bool, Error> {
    let (sql, values, level, event): (&str, Vec<Sql>, Level, String) = match how {
        Finish::Completed { output } => (
            "status = 'completed', progress = 100, status_message = 'Completed',
             output_data = ?, error_message = NULL, completed_at = ?",
            vec![Sql::Text(output.to_string()), Sql::Text(now.into())],
            Level::Info,
            "Completed".into(),
        ),
        Finish::Failed { message } => (
            "status = 'failed', status_message = 'Failed', error_message = ?, completed_at = ?",
            vec![Sql::Text(message.clone()), Sql::Text(now.into())],
            Level::Error,
            format!("Failed: {message}"),
        ),
        Finish::Retry { message, run_at } => (
            "status = 'pending', status_message = 'Waiting to retry', error_message = ?, run_at = ?",
            vec![Sql::Text(message.clone()), Sql::Text(run_at.clone())],
            Level::Warn,
            format!("Attempt {attempt} failed: {message}. Retrying at {run_at}"),
        ),
        Finish::Requeue => (
            "status = 'pending', attempts = attempts - 1,
             status_message = 'Waiting: the server restarted', run_at = ?",
            vec![Sql::Text(now.into())],
            Level::Warn,
            "Stopped by a server shutdown; it will run again after the restart".into(),
        ),
    };
    let sql = format!(
        "UPDATE ai_jobs SET {sql}, updated_at = ? WHERE id = ? AND status = 'processing' AND attempts = ?"
    );
    let mut values = values;
    values.extend([
        Sql::Text(now.into()),
        Sql::Integer(id),
        Sql::Integer(attempt),
    ]);
    let changed = tx
        .prepare_cached(&sql)?
        .execute(rusqlite::params_from_iter(values))?
        == 1;
    if changed {
        add_event(tx, id, attempt, level, &event, now)?;
    }
    Ok(changed)
}

/// Whether job `id` is still running attempt `attempt` (not cancelled, not recovered).
pub fn is_claimed(conn: &Connection, id: i64, attempt: i64) -> Result<bool, Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT 1 FROM ai_jobs WHERE id = ?1 AND status = 'processing' AND attempts = ?2",
    )?;
    Ok(stmt.exists(params![id, attempt])?)
}

/// Stores the latest progress of a running attempt.
pub fn save_progress(
    conn: &Connection,
    id: i64,
    attempt: i64,
    progress: u8,
    message: &str,
    now: &str,
) -> Result<bool, Error> {
    let mut stmt = conn.prepare_cached(
        "UPDATE ai_jobs SET progress = ?1, status_message = ?2, updated_at = ?3
         WHERE id = ?4 AND status = 'processing' AND attempts = ?5",
    )?;
    Ok(stmt.execute(params![progress, message, now, id, attempt])? == 1)
}

pub fn add_event(
    conn: &Connection,
    job_id: i64,
    attempt: i64,
    level: Level,
    message: &str,
    now: &str,
) -> Result<(), Error> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO ai_job_events (job_id, attempt, at, level, message) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    stmt.execute(params![job_id, attempt, now, level.as_str(), message])?;
    Ok(())
}

/// Marks a pending or running job cancelled. The caller cancels a running attempt's token.
pub fn cancel(tx: &Connection, id: i64, now: &str) -> Result<CancelOutcome, Error> {
    let status: Option<String> = tx
        .prepare_cached("SELECT status FROM ai_jobs WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let Some(status) = status else {
        return Ok(CancelOutcome::NotFound);
    };
    if status != "pending" && status != "processing" {
        return Ok(CancelOutcome::NotActive(status));
    }
    let attempt: i64 = tx.query_row(
        "UPDATE ai_jobs SET status = 'cancelled', status_message = 'Cancelled',
                completed_at = ?1, updated_at = ?1
         WHERE id = ?2 RETURNING attempts",
        params![now, id],
        |r| r.get(0),
    )?;
    add_event(tx, id, attempt, Level::Warn, "Cancelled by the user", now)?;
    Ok(CancelOutcome::Cancelled {
        was_processing: status == "processing",
    })
}

/// After a crash: attempts left `processing` go back to `pending`, or to `failed` when they
/// have no attempts left. Returns (requeued, failed).
pub fn recover(tx: &Connection, now: &str) -> Result<(usize, usize), Error> {
    let rows: Vec<(i64, i64, String)> = tx
        .prepare(
            "UPDATE ai_jobs SET
                status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'pending' END,
                status_message = CASE WHEN attempts >= max_attempts THEN 'Failed'
                                      ELSE 'Waiting: the server restarted' END,
                error_message = CASE WHEN attempts >= max_attempts
                    THEN 'The server stopped while this job ran, and it has no attempts left.'
                    ELSE error_message END,
                completed_at = CASE WHEN attempts >= max_attempts THEN ?1 END,
                run_at = ?1, updated_at = ?1
             WHERE status = 'processing'
             RETURNING id, attempts, status",
        )?
        .query_map([now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut failed = 0;
    for (id, attempt, status) in &rows {
        let (level, message) = if status == "failed" {
            failed += 1;
            (
                Level::Error,
                "The server stopped during this attempt; no attempts are left",
            )
        } else {
            (
                Level::Warn,
                "The server stopped during this attempt; it will run again",
            )
        };
        add_event(tx, *id, *attempt, level, message, now)?;
    }
    Ok((rows.len() - failed, failed))
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<JobRow>, Error> {
    let mut stmt = conn.prepare_cached(&format!("{SELECT} WHERE j.id = ?1"))?;
    Ok(stmt.query_row([id], from_row).optional()?)
}

/// A page of jobs, newest first, and the number of jobs that match the filter.
pub fn list(conn: &Connection, filter: &Filter) -> Result<(Vec<JobRow>, i64), Error> {
    let mut clauses = Vec::new();
    let mut values: Vec<Sql> = Vec::new();
    match filter.status.as_deref() {
        Some("active") => clauses.push("j.status IN ('pending', 'processing')".to_string()),
        Some("finished") => {
            clauses.push("j.status IN ('completed', 'failed', 'cancelled')".to_string())
        }
        Some(status) => {
            clauses.push("j.status = ?".into());
            values.push(Sql::Text(status.into()));
        }
        None => {}
    }
    if let Some(kind) = &filter.job_type {
        clauses.push("j.type = ?".into());
        values.push(Sql::Text(kind.clone()));
    }
    if let Some(item) = filter.related_item_id {
        clauses.push("j.related_item_id = ?".into());
        values.push(Sql::Integer(item));
    }
    let condition = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    };
    super::page(
        conn,
        SELECT,
        "ai_jobs j",
        &condition,
        values,
        "j.id DESC",
        (filter.page, filter.per_page),
        from_row,
    )
}

/// Active jobs, and jobs that finished at or after `since` (so that a watcher sees them end).
pub fn active(conn: &Connection, since: &str) -> Result<Vec<JobRow>, Error> {
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT} WHERE j.id IN (
             SELECT id FROM ai_jobs WHERE status IN ('pending', 'processing')
             UNION ALL SELECT id FROM ai_jobs WHERE completed_at >= ?1)
         ORDER BY j.id"
    ))?;
    let jobs = stmt
        .query_map([since], from_row)?
        .collect::<Result<_, _>>()?;
    Ok(jobs)
}

/// Counts of jobs created at or after `since`, overall and by type.
pub fn counts(conn: &Connection, since: &str) -> Result<(Counts, Vec<(String, Counts)>), Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT type, count(*),
                sum(status = 'completed'), sum(status = 'failed'), sum(status = 'cancelled'),
                sum(status IN ('pending', 'processing'))
         FROM ai_jobs WHERE created_at >= ?1 GROUP BY type ORDER BY type",
    )?;
    let by_type: Vec<(String, Counts)> = stmt
        .query_map([since], |r| {
            Ok((
                r.get(0)?,
                Counts {
                    total: r.get(1)?,
                    completed: r.get(2)?,
                    failed: r.get(3)?,
                    cancelled: r.get(4)?,
                    active: r.get(5)?,
                },
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut all = Counts::default();
    for (_, c) in &by_type {
        all.total += c.total;
        all.completed += c.completed;
        all.failed += c.failed;
        all.cancelled += c.cancelled;
        all.active += c.active;
    }
    Ok((all, by_type))
}

pub fn events(conn: &Connection, job_id: i64) -> Result<Vec<Event>, Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, attempt, at, level, message FROM ai_job_events WHERE job_id = ?1 ORDER BY id",
    )?;
    let events = stmt
        .query_map([job_id], |r| {
            Ok(Event {
                id: r.get(0)?,
                attempt: r.get(1)?,
                at: r.get(2)?,
                level: r.get(3)?,
                message: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(events)
}

/// Deletes a finished job with its timeline.
pub fn delete(tx: &Connection, id: i64) -> Result<DeleteOutcome, Error> {
    let status: Option<String> = tx
        .query_row("SELECT status FROM ai_jobs WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    match status.as_deref() {
        None => Ok(DeleteOutcome::NotFound),
        Some("pending" | "processing") => Ok(DeleteOutcome::Active),
        Some(_) => {
            tx.execute("DELETE FROM ai_jobs WHERE id = ?1", [id])?;
            Ok(DeleteOutcome::Deleted)
        }
    }
}

/// Deletes finished jobs that ended before `before` (all finished jobs when `None`).
pub fn delete_finished(conn: &Connection, before: Option<&str>) -> Result<usize, Error> {
    Ok(conn.execute(
        "DELETE FROM ai_jobs WHERE status IN ('completed', 'failed', 'cancelled')
         AND (?1 IS NULL OR completed_at < ?1)",
        [before],
    )?)
}
