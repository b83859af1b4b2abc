//! `/metrics`: Prometheus text for a homelab's monitoring: jobs by status, runners, request-log
//! totals by provider, and database calls. Every figure is read when scraped.

use std::fmt::Write;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::app::AppState;
use crate::db;
use crate::error::ApiError;

struct Figures {
    jobs: Vec<(String, i64)>,
    requests: Vec<(String, String, i64, i64, i64, f64)>,
    lists: i64,
    items: i64,
}

pub async fn metrics(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let figures = state
        .db
        .call(|c| {
            let jobs = c
                .prepare("SELECT status, count(*) FROM ai_jobs GROUP BY status ORDER BY status")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            let requests = c
                .prepare(
                    "SELECT provider, status, count(*), coalesce(sum(tokens_input), 0),
                            coalesce(sum(tokens_output), 0), coalesce(sum(cost_usd), 0)
                     FROM ai_request_logs GROUP BY provider, status ORDER BY provider, status",
                )?
                .query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                })?
                .collect::<Result<_, _>>()?;
            let count = |table: &str| -> rusqlite::Result<i64> {
                c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            };
            Ok::<_, db::Error>(Figures {
                jobs,
                requests,
                lists: count("lists")?,
                items: count("items")?,
            })
        })
        .await?;
    let mut out = String::new();
    let version = env!("CARGO_PKG_VERSION");
    family(
        &mut out,
        "cartwise_build_info",
        "gauge",
        "The running version.",
        [format!("{{version=\"{version}\"}} 1")],
    );
    family(
        &mut out,
        "cartwise_jobs",
        "gauge",
        "Jobs kept, by status.",
        db::jobs::STATUSES.iter().map(|status| {
            let n = figures
                .jobs
                .iter()
                .find(|(s, _)| s == status)
                .map_or(0, |j| j.1);
            format!("{{status=\"{status}\"}} {n}")
        }),
    );
    family(
        &mut out,
        "cartwise_job_runners",
        "gauge",
        "Job runners.",
        [format!(" {}", state.config.jobs.workers)],
    );
    family(
        &mut out,
        "cartwise_job_runners_idle",
        "gauge",
        "Job runners waiting for work.",
        [format!(" {}", state.jobs.idle_runners())],
    );
    let labels = |provider: &str, status: &str| {
        format!(
            "provider=\"{}\",status=\"{status}\"",
            provider.replace(['"', '\\', '\n'], "_")
        )
    };
    family(
        &mut out,
        "cartwise_ai_requests",
        "gauge",
        "Logged AI and price-search requests, by provider and status.",
        figures
            .requests
            .iter()
            .map(|r| format!("{{{}}} {}", labels(&r.0, &r.1), r.2)),
    );
    family(
        &mut out,
        "cartwise_ai_tokens",
        "gauge",
        "Tokens of logged requests.",
        figures.requests.iter().flat_map(|r| {
            [
                format!("{{{},direction=\"input\"}} {}", labels(&r.0, &r.1), r.3),
                format!("{{{},direction=\"output\"}} {}", labels(&r.0, &r.1), r.4),
            ]
        }),
    );
    family(
        &mut out,
        "cartwise_ai_cost_usd",
        "gauge",
        "Cost of logged requests, in US dollars.",
        figures
            .requests
            .iter()
            .map(|r| format!("{{{}}} {}", labels(&r.0, &r.1), r.5)),
    );
    family(
        &mut out,
        "cartwise_lists",
        "gauge",
        "Shopping lists.",
        [format!(" {}", figures.lists)],
    );
    family(
        &mut out,
        "cartwise_items",
        "gauge",
        "Items on all lists.",
        [format!(" {}", figures.items)],
    );
    family(
        &mut out,
        "cartwise_db_calls_total",
        "counter",
        "Database calls since start.",
        [format!(" {}", state.db.calls())],
    );
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    ))
}

/// One metric family: its help and type, then its samples (each the text after the name).
fn family(
    out: &mut String,
    name: &str,
    kind: &str,
    help: &str,
    samples: impl IntoIterator<Item = String>,
) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for sample in samples {
        let _ = writeln!(out, "{name}{sample}");
    }
}
