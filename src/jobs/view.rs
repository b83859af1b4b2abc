//! The job object the API returns: the stored row, labels for people, and live progress.

use serde::Serialize;

use super::Registry;
use crate::db::jobs::JobRow;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct JobView {
    pub id: i64,
    #[serde(rename = "type")]
    pub job_type: String,
    pub type_label: String,
    pub status: String,
    pub status_label: String,
    pub progress: i64,
    pub status_message: Option<String>,
    pub input_summary: String,
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
    pub can_cancel: bool,
    pub logs_count: i64,
}

/// Builds the view; `live` is the in-memory progress of a running attempt.
pub fn build(row: JobRow, registry: &Registry, live: Option<(u8, String)>) -> JobView {
    let kind = registry.get(&row.job_type);
    let status_label = match row.status.as_str() {
        "pending" if row.attempts > 0 => "Waiting to retry",
        "pending" => "Waiting",
        "processing" => "Running",
        "completed" => "Completed",
        "failed" => "Failed",
        "cancelled" => "Cancelled",
        other => other,
    }
    .to_string();
    let (progress, status_message) = match live {
        Some((progress, message)) => (i64::from(progress), Some(message)),
        None => (row.progress, row.status_message.clone()),
    };
    JobView {
        id: row.id,
        type_label: kind.map_or_else(|| row.job_type.clone(), |k| k.label().to_string()),
        input_summary: kind
            .map(|k| k.summary(&row.input_data))
            .filter(|s| !s.is_empty())
            .or_else(|| row.item_name.clone())
            .unwrap_or_default(),
        can_cancel: row.is_active(),
        job_type: row.job_type,
        status: row.status,
        status_label,
        progress,
        status_message,
        error_message: row.error_message,
        related_item_id: row.related_item_id,
        related_list_id: row.related_list_id,
        attempts: row.attempts,
        max_attempts: row.max_attempts,
        run_at: row.run_at,
        created_at: row.created_at,
        started_at: row.started_at,
        completed_at: row.completed_at,
        duration_ms: row.duration_ms,
        logs_count: row.logs_count,
    }
}
