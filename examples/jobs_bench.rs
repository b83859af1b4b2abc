//! Job engine benchmark: throughput of no-op jobs, pickup latency and cancel latency, with
//! the standard 2 runners over a database file in a temporary directory.
//!
//!     cargo run --release --example jobs_bench
#![allow(clippy::unwrap_used, clippy::panic)]

#[path = "../tests/common/slow_server.rs"]
mod slow_server;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cartwise::clock::SystemClock;
use cartwise::jobs::{
    CreateJob, Engine, EngineSettings, JobContext, JobError, JobFuture, JobType, Outcome, Registry,
};
use serde_json::{Value, json};
use slow_server::SlowServer;

/// Notes when it starts, then returns at once.
struct Noop(Arc<Mutex<Vec<(i64, Instant)>>>);

impl JobType for Noop {
    fn name(&self) -> &'static str {
        "noop"
    }
    fn label(&self) -> &'static str {
        "No-op"
    }
    fn run(self: Arc<Self>, ctx: JobContext) -> JobFuture {
        Box::pin(async move {
            self.0.lock().unwrap().push((ctx.id, Instant::now()));
            Ok(Outcome::output(Value::Null))
        })
    }
}

/// Waits for an answer from a server that never answers.
struct SlowHttp(reqwest::Client);

impl JobType for SlowHttp {
    fn name(&self) -> &'static str {
        "slow_http"
    }
    fn label(&self) -> &'static str {
        "Slow HTTP"
    }
    fn run(self: Arc<Self>, ctx: JobContext) -> JobFuture {
        Box::pin(async move {
            let url = ctx.input["url"].as_str().unwrap_or_default().to_string();
            let answer = self.0.get(url).send().await;
            Err(JobError::permanent(format!(
                "unexpected answer: {answer:?}"
            )))
        })
    }
}

fn settings() -> EngineSettings {
    EngineSettings {
        workers: 2,
        timeout: Duration::from_secs(300),
        retries: 2,
        backoff: Duration::from_secs(30),
        grace: Duration::from_secs(1),
        progress_interval: Duration::from_secs(1),
        recent: Duration::from_secs(60),
        job_retention: Duration::from_secs(30 * 86_400),
        log_retention: Duration::from_secs(30 * 86_400),
    }
}

fn open(dir: &std::path::Path, registry: Registry) -> cartwise::AppState {
    let config = cartwise::Config::with_data_dir(dir);
    let parts = cartwise::app::Parts {
        registry,
        clock: Arc::new(SystemClock),
        engine: settings(),
        ai: cartwise::ai::AiSettings::default(),
    };
    cartwise::AppState::open_with(config, parts).unwrap()
}

fn job(kind: &str, input: Value) -> CreateJob {
    CreateJob {
        job_type: kind.into(),
        input,
        related_item_id: None,
        related_list_id: None,
    }
}

fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let at = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[at].as_secs_f64() * 1000.0
}

async fn completed(state: &cartwise::AppState) -> i64 {
    state
        .db
        .call(|conn| {
            Ok::<i64, cartwise::db::Error>(conn.query_row(
                "SELECT count(*) FROM ai_jobs WHERE status = 'completed'",
                [],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap()
}

async fn throughput(jobs: i64) {
    let temp = tempfile::tempdir().unwrap();
    let started = Arc::new(Mutex::new(Vec::new()));
    let state = open(temp.path(), Registry::new().with(Noop(started.clone())));
    let engine: Engine = state.jobs.clone();
    let queued = Instant::now();
    for _ in 0..jobs {
        engine.enqueue(job("noop", Value::Null)).await.unwrap();
    }
    let enqueue_rate = jobs as f64 / queued.elapsed().as_secs_f64();
    let start = Instant::now();
    engine.start().await.unwrap();
    while completed(&state).await < jobs {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    engine.shutdown().await;
    println!(
        "throughput:     {jobs} no-op jobs in {elapsed:.2} s = {:.0} jobs/s (enqueue: {enqueue_rate:.0} jobs/s)",
        jobs as f64 / elapsed
    );
}

async fn pickup(samples: usize) {
    let temp = tempfile::tempdir().unwrap();
    let started = Arc::new(Mutex::new(Vec::new()));
    let state = open(temp.path(), Registry::new().with(Noop(started.clone())));
    let engine = state.jobs.clone();
    engine.start().await.unwrap();
    let mut latencies = Vec::with_capacity(samples);
    for n in 0..samples {
        // Each job finds both runners idle, as a user's job does.
        while engine.idle_runners() < 2 {
            tokio::task::yield_now().await;
        }
        let before = Instant::now();
        let (view, _) = engine.enqueue(job("noop", Value::Null)).await.unwrap();
        loop {
            let seen = started
                .lock()
                .unwrap()
                .iter()
                .find(|(id, _)| *id == view.id)
                .map(|s| s.1);
            if let Some(at) = seen {
                latencies.push(at - before);
                break;
            }
            tokio::task::yield_now().await;
        }
        while completed(&state).await < n as i64 + 1 {
            tokio::task::yield_now().await;
        }
    }
    engine.shutdown().await;
    println!(
        "pickup latency: enqueue -> job start, {samples} jobs: p50 {:.2} ms, p99 {:.2} ms",
        percentile(&mut latencies, 0.50),
        percentile(&mut latencies, 0.99)
    );
}

async fn cancel(samples: usize) {
    let temp = tempfile::tempdir().unwrap();
    let state = open(
        temp.path(),
        Registry::new().with(SlowHttp(reqwest::Client::new())),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(cartwise::serve(state, listener, async {
        let _ = stopped.await;
    }));
    let slow = SlowServer::start().await;
    let client = reqwest::Client::new();
    let mut latencies = Vec::with_capacity(samples);
    for n in 0..samples {
        let created: Value = client
            .post(format!("{url}/api/ai-jobs"))
            .json(&json!({"type": "slow_http", "input_data": {"url": slow.url}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = created["job"]["id"].as_i64().unwrap();
        assert!(slow.wait_requests(n + 1, Duration::from_secs(10)).await);
        let before = Instant::now();
        let answer = client
            .post(format!("{url}/api/ai-jobs/{id}/cancel"))
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success());
        assert!(slow.wait_closed(n + 1, Duration::from_secs(10)).await);
        let closed = slow.closed()[n];
        latencies.push(closed.saturating_duration_since(before));
    }
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    println!(
        "cancel latency: cancel request -> connection closed, {samples} jobs: p50 {:.2} ms, p99 {:.2} ms",
        percentile(&mut latencies, 0.50),
        percentile(&mut latencies, 0.99)
    );
}

#[tokio::main]
async fn main() {
    println!(
        "cartwise {} job engine, 2 runners, database file in a temporary directory",
        env!("CARGO_PKG_VERSION")
    );
    throughput(20_000).await;
    pickup(1000).await;
    cancel(200).await;
}
