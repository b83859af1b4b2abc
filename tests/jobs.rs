//! The job engine through the HTTP API, with job types made for the tests.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cartwise::clock::{Clock, ManualClock};
use cartwise::jobs::{JobContext, JobError, JobFuture, JobType, Outcome, Registry};
use common::slow_server::SlowServer;
use common::{Server, Sleep, eventually, test_settings};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::Notify;

/// What the test job types saw: executions per job and how many ran at once.
#[derive(Default)]
struct Probe {
    runs: Mutex<HashMap<i64, usize>>,
    current: AtomicUsize,
    peak: AtomicUsize,
    release: Notify,
}

impl Probe {
    fn enter(&self, id: i64) -> usize {
        let now = self.current.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        let mut runs = self.runs.lock().unwrap();
        let n = runs.entry(id).or_default();
        *n += 1;
        *n
    }

    fn leave(&self) {
        self.current.fetch_sub(1, Ordering::SeqCst);
    }

    fn runs(&self, id: i64) -> usize {
        self.runs.lock().unwrap().get(&id).copied().unwrap_or(0)
    }
}

/// Counts itself and returns at once.
struct Noop(Arc<Probe>);

impl JobType for Noop {
    fn name(&self) -> &'static str {
        "noop"
    }
    fn label(&self) -> &'static str {
        "No-op"
    }
    fn run(self: Arc<Self>, ctx: JobContext) -> JobFuture {
        Box::pin(async move {
            self.0.enter(ctx.id);
            tokio::task::yield_now().await;
            self.0.leave();
            Ok(Outcome::output(json!({"done": ctx.id})))
        })
    }
}

/// Fails `failures` times (transiently or not, with an optional Retry-After), then succeeds.
struct Scripted(Arc<Probe>);

impl JobType for Scripted {
    fn name(&self) -> &'static str {
        "scripted"
    }
    fn label(&self) -> &'static str {
        "Scripted"
    }
    fn run(self: Arc<Self>, ctx: JobContext) -> JobFuture {
        Box::pin(async move {
            let run = self.0.enter(ctx.id);
            self.0.leave();
            let failures = ctx.input["failures"].as_u64().unwrap_or(0) as usize;
            ctx.step(50, format!("Run {run} checked its script")).await;
            if run <= failures {
                let message = format!("Scripted failure {run}");
                let error = if ctx.input["fail"] == "permanent" {
                    JobError::permanent(message)
                } else {
                    JobError::transient(message)
                };
                return Err(match ctx.input["retry_after_ms"].as_u64() {
                    Some(ms) => error.retry_after(Duration::from_millis(ms)),
                    None => error,
                });
            }
            Ok(Outcome::output(json!({"attempt": ctx.attempt})))
        })
    }
}

/// Sends a request to the URL in its input and waits for an answer that never comes.
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
            let url = ctx.input["url"].as_str().unwrap().to_string();
            ctx.step(10, "Asking the slow server").await;
            let response = self.0.get(url).send().await;
            Err(JobError::permanent(format!(
                "unexpected answer: {response:?}"
            )))
        })
    }
}

/// Reports a step, then waits until the test releases it.
struct Gated(Arc<Probe>);

impl JobType for Gated {
    fn name(&self) -> &'static str {
        "gated"
    }
    fn label(&self) -> &'static str {
        "Gated"
    }
    fn run(self: Arc<Self>, ctx: JobContext) -> JobFuture {
        Box::pin(async move {
            let released = self.0.release.notified();
            tokio::pin!(released);
            released.as_mut().enable();
            self.0.enter(ctx.id);
            ctx.step(40, "Searching prices").await;
            ctx.progress(60, "Comparing offers").await;
            released.await;
            self.0.leave();
            Ok(Outcome::output(json!({"released": true})))
        })
    }
}

/// Writes its input note to its item when the attempt completes.
struct WriteNote(Arc<Probe>);

impl JobType for WriteNote {
    fn name(&self) -> &'static str {
        "write_note"
    }
    fn label(&self) -> &'static str {
        "Write note"
    }
    fn dedupe_per_item(&self) -> bool {
        true
    }
    fn run(self: Arc<Self>, ctx: JobContext) -> JobFuture {
        Box::pin(async move {
            let released = self.0.release.notified();
            tokio::pin!(released);
            released.as_mut().enable();
            self.0.enter(ctx.id);
            if ctx.input["wait"] == true {
                released.await;
            }
            self.0.leave();
            let note = ctx.input["note"].as_str().unwrap_or_default().to_string();
            let item = ctx.related_item_id;
            Ok(Outcome::with_apply(
                json!({"note": note}),
                move |tx, output| {
                    let item = item.ok_or_else(|| {
                        JobError::permanent("The item was deleted while this job ran.")
                    })?;
                    let changed = tx
                        .execute("UPDATE items SET notes = ?1 WHERE id = ?2", (&note, item))
                        .map_err(|e| JobError::transient(e.to_string()))?;
                    if changed == 0 {
                        return Err(JobError::permanent(
                            "The item was deleted while this job ran.",
                        ));
                    }
                    Ok(output)
                },
            ))
        })
    }
}

/// Fails its first attempt transiently, then reports progress and waits until dropped.
struct FailThenWait(Arc<std::sync::atomic::AtomicBool>);

/// Sets its flag when the job's future is dropped.
struct OnDrop(Arc<std::sync::atomic::AtomicBool>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl JobType for FailThenWait {
    fn name(&self) -> &'static str {
        "fail_then_wait"
    }
    fn label(&self) -> &'static str {
        "Fail, then wait"
    }
    fn run(self: Arc<Self>, ctx: JobContext) -> JobFuture {
        Box::pin(async move {
            if ctx.attempt == 1 {
                return Err(JobError::transient("first attempt fails"));
            }
            let _guard = OnDrop(self.0.clone());
            ctx.progress(60, "Second try").await;
            std::future::pending::<()>().await;
            Ok(Outcome::output(Value::Null))
        })
    }
}

fn registry(probe: &Arc<Probe>) -> Registry {
    Registry::new()
        .with(Noop(probe.clone()))
        .with(Scripted(probe.clone()))
        .with(SlowHttp(reqwest::Client::new()))
        .with(Gated(probe.clone()))
        .with(WriteNote(probe.clone()))
        .with(Sleep)
}

/// A server with the test job types, and the probe that watches them.
async fn start(settings: cartwise::jobs::EngineSettings) -> (Arc<Probe>, Server) {
    let probe = Arc::new(Probe::default());
    let server = Server::with_jobs(registry(&probe), settings).await;
    (probe, server)
}

async fn create(server: &Server, body: Value) -> Value {
    let (status, answer) = server.send(Method::POST, "/api/ai-jobs", Some(body)).await;
    assert!(
        status == StatusCode::CREATED || status == StatusCode::OK,
        "{status}: {answer}"
    );
    answer["job"].clone()
}

async fn job(server: &Server, id: i64) -> Value {
    let (status, body) = server.get(&format!("/api/ai-jobs/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn wait_status(server: &Server, id: i64, status: &str) -> Value {
    eventually(
        Duration::from_secs(10),
        &format!("job {id} {status}"),
        || async { job(server, id).await["job"]["status"] == status },
    )
    .await;
    job(server, id).await
}

fn id(job: &Value) -> i64 {
    job["id"].as_i64().unwrap()
}

fn messages(detail: &Value) -> Vec<String> {
    detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_hundred_jobs_two_runners_each_once() {
    let (probe, server) = start(test_settings()).await;
    let mut ids = Vec::new();
    for _ in 0..500 {
        ids.push(id(&create(&server, json!({"type": "noop"})).await));
    }
    let conn = rusqlite::Connection::open(server.database()).unwrap();
    eventually(Duration::from_secs(60), "500 jobs completed", || async {
        let done: i64 = conn
            .query_row(
                "SELECT count(*) FROM ai_jobs WHERE status = 'completed'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        done == 500
    })
    .await;
    for id in &ids {
        assert_eq!(probe.runs(*id), 1, "job {id} ran {} times", probe.runs(*id));
    }
    let peak = probe.peak.load(Ordering::SeqCst);
    assert!((1..=2).contains(&peak), "{peak} jobs ran at once");
    let attempts: i64 = conn
        .query_row("SELECT max(attempts) FROM ai_jobs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(attempts, 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_running_job_closes_its_connection() {
    let (probe, server) = start(test_settings()).await;
    let slow = SlowServer::start().await;
    let created = create(
        &server,
        json!({"type": "slow_http", "input_data": {"url": slow.url}}),
    )
    .await;
    let job_id = id(&created);
    assert!(
        slow.wait_requests(1, Duration::from_secs(10)).await,
        "request never arrived"
    );
    assert_eq!(job(&server, job_id).await["job"]["status"], "processing");

    let (status, body) = server
        .send(Method::POST, &format!("/api/ai-jobs/{job_id}/cancel"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["job"]["status"], "cancelled");
    assert_eq!(body["job"]["can_cancel"], false);
    assert!(
        slow.wait_closed(1, Duration::from_secs(5)).await,
        "the outgoing connection stayed open"
    );
    let detail = job(&server, job_id).await;
    assert_eq!(detail["job"]["status"], "cancelled");
    assert!(messages(&detail).contains(&"Cancelled by the user".to_string()));

    // Cancelling again is a conflict, and so is deleting an active job.
    let (status, body) = server
        .send(Method::POST, &format!("/api/ai-jobs/{job_id}/cancel"), None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let pending = create(&server, json!({"type": "gated"})).await;
    let (status, _) = server
        .send(
            Method::DELETE,
            &format!("/api/ai-jobs/{}", id(&pending)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    probe.release.notify_waiters();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_racing_completion_ends_in_one_final_state() {
    let (_probe, server) = start(test_settings()).await;
    let mut outcomes = HashMap::new();
    let mut ids = Vec::new();
    for round in 0..150u64 {
        // Jobs of about 1 ms, cancelled 0 to 2.5 ms after they are queued: the cancel lands
        // before the claim, during the run, at the final write and after it.
        let created = create(&server, json!({"type": "sleep", "input_data": {"ms": 1}})).await;
        let job_id = id(&created);
        ids.push(job_id);
        let wait = Duration::from_micros(250 * (round % 11));
        let start = std::time::Instant::now();
        while start.elapsed() < wait {
            std::hint::spin_loop();
        }
        let (status, body) = server
            .send(Method::POST, &format!("/api/ai-jobs/{job_id}/cancel"), None)
            .await;
        let expected = match status {
            StatusCode::OK => "cancelled",
            StatusCode::CONFLICT => "completed",
            other => panic!("cancel answered {other}: {body}"),
        };
        outcomes.insert(job_id, expected);
    }
    // Let every runner go idle, then check nothing moved afterwards.
    eventually(Duration::from_secs(20), "no active jobs", || async {
        server.get("/api/ai-jobs/active").await.1["count"] == 0
    })
    .await;
    let mut cancelled = 0;
    for job_id in ids {
        let detail = job(&server, job_id).await;
        let status = detail["job"]["status"].as_str().unwrap().to_string();
        assert_eq!(status, outcomes[&job_id], "job {job_id}: {detail}");
        let finals = messages(&detail)
            .iter()
            .filter(|m| {
                *m == "Completed" || *m == "Cancelled by the user" || m.starts_with("Failed")
            })
            .count();
        assert_eq!(
            finals, 1,
            "job {job_id} has {finals} final events: {detail}"
        );
        if status == "cancelled" {
            cancelled += 1;
            assert_eq!(
                detail["output_data"],
                Value::Null,
                "a cancelled job kept output"
            );
        }
    }
    eprintln!("{cancelled} of 150 cancels won the race");
    assert!(
        cancelled > 0,
        "no cancel won the race; the test did not test anything"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_job_cancelled_before_it_starts_never_runs() {
    let probe = Arc::new(Probe::default());
    let mut settings = test_settings();
    settings.workers = 1;
    let server = Server::with_jobs(registry(&probe), settings).await;
    let blocker = create(&server, json!({"type": "gated"})).await;
    wait_status(&server, id(&blocker), "processing").await;
    let waiting = create(&server, json!({"type": "noop"})).await;
    assert_eq!(waiting["status"], "pending");
    let (status, body) = server
        .send(
            Method::POST,
            &format!("/api/ai-jobs/{}/cancel", id(&waiting)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    probe.release.notify_waiters();
    wait_status(&server, id(&blocker), "completed").await;
    // One more job through the single runner proves the queue moved past the cancelled one.
    let after = create(&server, json!({"type": "noop"})).await;
    wait_status(&server, id(&after), "completed").await;
    assert_eq!(probe.runs(id(&waiting)), 0, "the cancelled job ran");
    let detail = job(&server, id(&waiting)).await;
    assert_eq!(detail["job"]["status"], "cancelled");
    assert_eq!(detail["job"]["attempts"], 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_attempt_is_stopped_and_retried() {
    let probe = Arc::new(Probe::default());
    let mut settings = test_settings();
    settings.timeout = Duration::from_millis(150);
    settings.retries = 1;
    let server = Server::with_jobs(registry(&probe), settings).await;
    let slow = SlowServer::start().await;
    let created = create(
        &server,
        json!({"type": "slow_http", "input_data": {"url": slow.url}}),
    )
    .await;
    let detail = wait_status(&server, id(&created), "failed").await;
    assert_eq!(detail["job"]["attempts"], 2, "{detail}");
    let error = detail["job"]["error_message"].as_str().unwrap();
    assert!(error.contains("Timed out after 150 ms"), "{error}");
    let events = messages(&detail);
    assert!(
        events
            .iter()
            .any(|m| m.starts_with("Attempt 1 failed: Timed out")),
        "{events:?}"
    );
    assert!(
        events.contains(&"Attempt 2 of 2 started".to_string()),
        "{events:?}"
    );
    // Both attempts' connections were dropped.
    assert!(slow.wait_closed(2, Duration::from_secs(5)).await);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_retry_and_success_clears_the_error() {
    let (_probe, server) = start(test_settings()).await;
    let created = create(
        &server,
        json!({"type": "scripted", "input_data": {"failures": 2, "fail": "transient"}}),
    )
    .await;
    let detail = wait_status(&server, id(&created), "completed").await;
    assert_eq!(detail["job"]["attempts"], 3);
    assert_eq!(detail["job"]["error_message"], Value::Null);
    assert_eq!(detail["output_data"], json!({"attempt": 3}));
    let events = messages(&detail);
    for expected in [
        "Queued",
        "Attempt 1 of 3 started",
        "Run 1 checked its script",
        "Attempt 2 of 3 started",
        "Run 2 checked its script",
        "Attempt 3 of 3 started",
        "Run 3 checked its script",
        "Completed",
    ] {
        assert!(
            events.contains(&expected.to_string()),
            "{expected} missing: {events:?}"
        );
    }
    assert_eq!(
        events
            .iter()
            .filter(|m| m.contains("failed: Scripted failure"))
            .count(),
        2,
        "{events:?}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_failures_are_not_retried() {
    let (probe, server) = start(test_settings()).await;
    let created = create(
        &server,
        json!({"type": "scripted", "input_data": {"failures": 5, "fail": "permanent"}}),
    )
    .await;
    let detail = wait_status(&server, id(&created), "failed").await;
    assert_eq!(detail["job"]["attempts"], 1);
    assert_eq!(detail["job"]["error_message"], "Scripted failure 1");
    assert_eq!(probe.runs(id(&created)), 1);
    // Out of retries: a transient failure on the last attempt fails the job.
    let created = create(
        &server,
        json!({"type": "scripted", "input_data": {"failures": 5, "fail": "transient"}}),
    )
    .await;
    let detail = wait_status(&server, id(&created), "failed").await;
    assert_eq!(detail["job"]["attempts"], 3);
    assert_eq!(detail["job"]["error_message"], "Scripted failure 3");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_waits_for_backoff_or_a_longer_retry_after() {
    let probe = Arc::new(Probe::default());
    let clock = Arc::new(ManualClock::new());
    let mut settings = test_settings();
    settings.workers = 0;
    settings.backoff = Duration::from_secs(30);
    let server = Server::with_clock(registry(&probe), settings, clock.clone()).await;
    let engine = server.engine.clone();

    let plain = create(
        &server,
        json!({"type": "scripted", "input_data": {"failures": 1}}),
    )
    .await;
    assert_eq!(engine.run_once().await.unwrap(), Some(id(&plain)));
    assert_eq!(
        engine.run_once().await.unwrap(),
        None,
        "retried before the backoff"
    );
    let waiting = job(&server, id(&plain)).await;
    assert_eq!(waiting["job"]["status"], "pending");
    assert_eq!(waiting["job"]["status_label"], "Waiting to retry");
    assert_eq!(waiting["job"]["error_message"], "Scripted failure 1");
    clock.advance(Duration::from_secs(29));
    assert_eq!(engine.run_once().await.unwrap(), None);
    clock.advance(Duration::from_secs(1));
    assert_eq!(engine.run_once().await.unwrap(), Some(id(&plain)));
    assert_eq!(job(&server, id(&plain)).await["job"]["status"], "completed");

    // A provider's Retry-After longer than the backoff wins.
    let limited = create(
        &server,
        json!({"type": "scripted", "input_data": {"failures": 1, "retry_after_ms": 120_000}}),
    )
    .await;
    assert_eq!(engine.run_once().await.unwrap(), Some(id(&limited)));
    clock.advance(Duration::from_secs(119));
    assert_eq!(
        engine.run_once().await.unwrap(),
        None,
        "Retry-After was not honoured"
    );
    clock.advance(Duration::from_secs(1));
    assert_eq!(engine.run_once().await.unwrap(), Some(id(&limited)));
    assert_eq!(
        job(&server, id(&limited)).await["job"]["status"],
        "completed"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_is_visible_at_once_and_kept_in_the_timeline() {
    let (probe, server) = start(test_settings()).await;
    let created = create(&server, json!({"type": "gated"})).await;
    let job_id = id(&created);
    eventually(Duration::from_secs(10), "progress 60 visible", || async {
        let detail = job(&server, job_id).await;
        detail["job"]["progress"] == 60 && detail["job"]["status_message"] == "Comparing offers"
    })
    .await;
    // The list and the active list show the same live progress.
    let (_, active) = server.get("/api/ai-jobs/active").await;
    assert_eq!(active["jobs"][0]["progress"], 60);
    let (_, listed) = server.get("/api/ai-jobs?status=processing").await;
    assert_eq!(listed["jobs"][0]["status_message"], "Comparing offers");
    let detail = job(&server, job_id).await;
    assert!(messages(&detail).contains(&"Searching prices".to_string()));
    // The row itself is written at most once a second: it still holds the start.
    let conn = rusqlite::Connection::open(server.database()).unwrap();
    let stored: i64 = conn
        .query_row(
            "SELECT progress FROM ai_jobs WHERE id = ?1",
            [job_id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, 0, "progress was written to the database at once");
    probe.release.notify_waiters();
    let done = wait_status(&server, job_id, "completed").await;
    assert_eq!(done["job"]["progress"], 100);
    assert!(done["job"]["duration_ms"].as_i64().unwrap() >= 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn active_list_etag_answers_304_until_something_changes() {
    let (probe, server) = start(test_settings()).await;
    let client = reqwest::Client::new();
    let url = format!("{}/api/ai-jobs/active", server.url);
    let first = client.get(&url).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let body: Value = first.json().await.unwrap();
    assert_eq!(body, json!({"jobs": [], "count": 0}));
    let again = client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    let created = create(&server, json!({"type": "gated"})).await;
    let changed = client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(
        changed.status(),
        StatusCode::OK,
        "a new job must change the tag"
    );
    // Once the job sits at its gate, the tag is stable, and a progress step moved it there.
    eventually(
        Duration::from_secs(10),
        "job waiting at its gate",
        || async { job(&server, id(&created)).await["job"]["progress"] == 60 },
    )
    .await;
    let at_gate = client.get(&url).send().await.unwrap();
    let etag2 = at_gate.headers()["etag"].to_str().unwrap().to_string();
    assert_ne!(etag, etag2);
    let body: Value = at_gate.json().await.unwrap();
    assert_eq!(body["jobs"][0]["progress"], 60);
    let again = client
        .get(&url)
        .header("if-none-match", &etag2)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    probe.release.notify_waiters();
    wait_status(&server, id(&created), "completed").await;
    let finished = client
        .get(&url)
        .header("if-none-match", &etag2)
        .send()
        .await
        .unwrap();
    assert_eq!(
        finished.status(),
        StatusCode::OK,
        "completion must change the tag"
    );
    // A finished job stays in the active list for a while, so a watcher sees it complete.
    let (_, active) = server.get("/api/ai-jobs/active").await;
    assert_eq!(active["count"], 0);
    assert_eq!(active["jobs"][0]["status"], "completed");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_effects_apply_only_on_completion() {
    let (probe, server) = start(test_settings()).await;
    let (_, list) = server
        .send(Method::POST, "/api/lists", Some(json!({"name": "L"})))
        .await;
    let list_id = list["list"]["id"].as_i64().unwrap();
    let (_, item) = server
        .send(
            Method::POST,
            &format!("/api/lists/{list_id}/items"),
            Some(json!({"product_name": "Kettle", "notes": "original"})),
        )
        .await;
    let item_id = item["item"]["id"].as_i64().unwrap();
    let notes =
        || async { server.get(&format!("/api/items/{item_id}")).await.1["item"]["notes"].clone() };

    // Completed: the note is written, and the job knows its list from the item.
    let done = create(
        &server,
        json!({"type": "write_note", "related_item_id": item_id, "input_data": {"note": "fresh"}}),
    )
    .await;
    assert_eq!(done["related_list_id"], list_id);
    wait_status(&server, id(&done), "completed").await;
    assert_eq!(notes().await, "fresh");

    // Cancelled while running: nothing is written. A second request for the same item and
    // type while it runs returns the same job.
    let body = json!({"type": "write_note", "related_item_id": item_id,
                      "input_data": {"note": "never", "wait": true}});
    let running = create(&server, body.clone()).await;
    wait_status(&server, id(&running), "processing").await;
    let (status, again) = server.send(Method::POST, "/api/ai-jobs", Some(body)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["job"]["id"], running["id"]);
    assert_eq!(again["created"], false);
    server
        .send(
            Method::POST,
            &format!("/api/ai-jobs/{}/cancel", id(&running)),
            None,
        )
        .await;
    probe.release.notify_waiters();
    assert_eq!(notes().await, "fresh");

    // The item deleted while the job runs: the job fails with a clear message.
    let doomed = create(
        &server,
        json!({"type": "write_note", "related_item_id": item_id,
               "input_data": {"note": "late", "wait": true}}),
    )
    .await;
    wait_status(&server, id(&doomed), "processing").await;
    let (status, _) = server
        .send(Method::DELETE, &format!("/api/items/{item_id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    probe.release.notify_waiters();
    let failed = wait_status(&server, id(&doomed), "failed").await;
    assert_eq!(
        failed["job"]["error_message"],
        "The item was deleted while this job ran."
    );
    assert_eq!(failed["job"]["related_item_id"], Value::Null);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_returns_running_jobs_to_the_queue_without_spending_an_attempt() {
    let (_probe, server) = start(test_settings()).await;
    let created = create(
        &server,
        json!({"type": "sleep", "input_data": {"ms": 60_000}}),
    )
    .await;
    wait_status(&server, id(&created), "processing").await;
    let db = server.database();
    let _kept = server.stop().await;
    let conn = rusqlite::Connection::open(db).unwrap();
    let (status, attempts): (String, i64) = conn
        .query_row(
            "SELECT status, attempts FROM ai_jobs WHERE id = ?1",
            [id(&created)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((status.as_str(), attempts), ("pending", 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jobs_api_checks_its_input() {
    let (_probe, server) = start(test_settings()).await;
    let cases = [
        (json!({}), "type"),
        (json!({"type": "teleport"}), "type"),
        (json!({"type": "noop", "input_data": [1]}), "input_data"),
        (
            json!({"type": "noop", "related_item_id": 999}),
            "related_item_id",
        ),
        (
            json!({"type": "noop", "related_list_id": 999}),
            "related_list_id",
        ),
        (
            json!({"type": "noop", "related_item_id": "7"}),
            "related_item_id",
        ),
        (json!({"type": "noop", "priority": 1}), "priority"),
    ];
    for (body, field) in cases {
        let (status, answer) = server
            .send(Method::POST, "/api/ai-jobs", Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(
            answer["error"]["fields"][0]["field"], field,
            "{body}: {answer}"
        );
    }
    for (path, want) in [
        ("/api/ai-jobs?status=sleeping", StatusCode::BAD_REQUEST),
        ("/api/ai-jobs?type=teleport", StatusCode::BAD_REQUEST),
        ("/api/ai-jobs?page=0", StatusCode::BAD_REQUEST),
        ("/api/ai-jobs?per_page=101", StatusCode::BAD_REQUEST),
        ("/api/ai-jobs?related_item_id=x", StatusCode::BAD_REQUEST),
        ("/api/ai-jobs/stats?days=0", StatusCode::BAD_REQUEST),
        ("/api/ai-jobs/12345", StatusCode::NOT_FOUND),
        ("/api/ai-jobs/abc", StatusCode::BAD_REQUEST),
    ] {
        let (status, answer) = server.get(path).await;
        assert_eq!(status, want, "{path}: {answer}");
    }
    let (status, _) = server
        .send(Method::POST, "/api/ai-jobs/12345/cancel", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server
        .send(Method::DELETE, "/api/ai-jobs/12345", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_filters_pages_stats_and_deletes() {
    let (probe, server) = start(test_settings()).await;
    let mut noops = Vec::new();
    for _ in 0..5 {
        noops.push(id(&create(&server, json!({"type": "noop"})).await));
    }
    let failing = create(
        &server,
        json!({"type": "scripted", "input_data": {"failures": 1, "fail": "permanent"}}),
    )
    .await;
    let gated = create(&server, json!({"type": "gated"})).await;
    wait_status(&server, id(&failing), "failed").await;
    for n in &noops {
        wait_status(&server, *n, "completed").await;
    }
    let cancelled = id(&create(
        &server,
        json!({"type": "sleep", "input_data": {"ms": 60_000}}),
    )
    .await);
    server
        .send(
            Method::POST,
            &format!("/api/ai-jobs/{cancelled}/cancel"),
            None,
        )
        .await;

    let (_, page) = server.get("/api/ai-jobs?type=noop&per_page=2&page=2").await;
    assert_eq!(
        page["pagination"],
        json!({"current_page": 2, "last_page": 3, "per_page": 2, "total": 5})
    );
    let ids: Vec<i64> = page["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [noops[2], noops[1]], "newest first");
    let (_, failed) = server.get("/api/ai-jobs?status=failed").await;
    assert_eq!(failed["pagination"]["total"], 1);
    assert_eq!(failed["jobs"][0]["type_label"], "Scripted");
    let (_, active) = server.get("/api/ai-jobs?status=active").await;
    assert_eq!(active["pagination"]["total"], 1);

    let (_, stats) = server.get("/api/ai-jobs/stats?days=7").await;
    assert_eq!(stats["total"], 8);
    assert_eq!(stats["completed"], 5);
    assert_eq!(stats["failed"], 1);
    assert_eq!(stats["cancelled"], 1);
    assert_eq!(stats["active"], 1);
    assert_eq!(stats["success_rate"], 83.3);
    assert_eq!(stats["by_type"]["noop"]["completed"], 5);
    assert_eq!(stats["by_type"]["scripted"]["failed"], 1);

    let (status, _) = server
        .send(Method::DELETE, &format!("/api/ai-jobs/{}", noops[0]), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server.get(&format!("/api/ai-jobs/{}", noops[0])).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = server
        .send(Method::DELETE, "/api/ai-jobs/history", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["deleted"], 6);
    let (_, rest) = server.get("/api/ai-jobs").await;
    assert_eq!(
        rest["pagination"]["total"], 1,
        "only the active job is left"
    );
    probe.release.notify_waiters();
    wait_status(&server, id(&gated), "completed").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_runners_do_no_database_work() {
    let mut settings = test_settings();
    settings.backoff = Duration::from_secs(3600);
    let (_probe, server) = start(settings).await;
    let engine = server.engine.clone();
    // Once both runners wait, nothing may touch the database until something is queued.
    let quiet = |what: &'static str| {
        let engine = engine.clone();
        let db = server.db.clone();
        async move {
            eventually(Duration::from_secs(10), "both runners idle", || async {
                engine.idle_runners() == 2
            })
            .await;
            let before = db.calls();
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert_eq!(db.calls(), before, "database work while idle: {what}");
        }
    };
    quiet("nothing queued").await;
    // A job whose retry is an hour away: the runners sleep until then.
    let created = create(
        &server,
        json!({"type": "scripted", "input_data": {"failures": 1}}),
    )
    .await;
    eventually(Duration::from_secs(10), "first attempt failed", || async {
        job(&server, id(&created)).await["job"]["status_label"] == "Waiting to retry"
    })
    .await;
    quiet("a retry due in an hour").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_finished_jobs_and_logs_are_pruned() {
    let probe = Arc::new(Probe::default());
    let clock = Arc::new(ManualClock::new());
    let mut settings = test_settings();
    settings.workers = 0;
    settings.job_retention = Duration::from_secs(86_400);
    settings.log_retention = Duration::from_secs(2 * 86_400);
    let server = Server::with_clock(registry(&probe), settings, clock.clone()).await;
    let engine = server.engine.clone();
    let old = create(&server, json!({"type": "noop"})).await;
    engine.run_once().await.unwrap();
    let waiting = create(&server, json!({"type": "noop"})).await;
    let conn = rusqlite::Connection::open(server.database()).unwrap();
    let stamp = cartwise::clock::format(clock.now());
    conn.execute(
        "INSERT INTO ai_request_logs (ai_job_id, provider, request_type, status, created_at)
         VALUES (?1, 'openai', 'completion', 'success', ?2)",
        (id(&old), &stamp),
    )
    .unwrap();
    let detail = job(&server, id(&old)).await;
    assert_eq!(detail["job"]["logs_count"], 1);
    assert_eq!(detail["logs"][0]["provider"], "openai");

    clock.advance(Duration::from_secs(86_400 + 60));
    engine.prune().await;
    let (status, _) = server.get(&format!("/api/ai-jobs/{}", id(&old))).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a finished job past retention stays"
    );
    assert_eq!(job(&server, id(&waiting)).await["job"]["status"], "pending");
    let logs = |conn: &rusqlite::Connection| -> i64 {
        conn.query_row("SELECT count(*) FROM ai_request_logs", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(logs(&conn), 1, "a log within its retention was pruned");
    clock.advance(Duration::from_secs(86_400));
    engine.prune().await;
    assert_eq!(logs(&conn), 0);
    server.stop().await;
}

#[tokio::test]
async fn the_standard_job_types_check_input_and_say_when_no_provider_is_set() {
    let server = Server::start().await;
    for body in [
        json!({"type": "product_identification", "input_data": {}}),
        json!({"type": "product_identification", "input_data": {"query": 5}}),
        json!({"type": "price_search", "input_data": {}}),
        json!({"type": "price_search", "input_data": {"query": "x", "shop_local": "yes"}}),
        json!({"type": "smart_fill", "input_data": {}}),
        json!({"type": "price_refresh", "input_data": {}}),
    ] {
        let (status, answer) = server
            .send(Method::POST, "/api/ai-jobs", Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(answer["error"]["fields"][0]["field"], "input_data");
    }
    let created = create(
        &server,
        json!({"type": "price_search", "input_data": {"query": "oat milk 1l"}}),
    )
    .await;
    assert_eq!(created["type_label"], "Price search");
    assert_eq!(created["input_summary"], "oat milk 1l");
    let failed = wait_status(&server, id(&created), "failed").await;
    assert_eq!(
        failed["job"]["error_message"],
        "Price search is not set up: add a SerpApi key in Settings"
    );
    assert_eq!(
        failed["job"]["attempts"], 1,
        "missing settings are not retried"
    );
    let created = create(
        &server,
        json!({"type": "smart_fill", "input_data": {"product_name": "oat milk"}}),
    )
    .await;
    let failed = wait_status(&server, id(&created), "failed").await;
    assert_eq!(
        failed["job"]["error_message"],
        "No AI provider configured: add one in Settings"
    );
    assert_eq!(
        failed["job"]["attempts"], 1,
        "a missing provider is not retried"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_claimed_at_once_stays_cancellable_and_visible() {
    let dropped = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut settings = test_settings();
    settings.backoff = Duration::ZERO;
    let server = Server::with_jobs(
        Registry::new().with(FailThenWait(dropped.clone())),
        settings,
    )
    .await;
    let created = create(&server, json!({"type": "fail_then_wait"})).await;
    let job_id = id(&created);
    eventually(
        Duration::from_secs(10),
        "second attempt shows its progress",
        || async {
            let detail = job(&server, job_id).await;
            detail["job"]["attempts"] == 2 && detail["job"]["progress"] == 60
        },
    )
    .await;
    let (status, _) = server
        .send(Method::POST, &format!("/api/ai-jobs/{job_id}/cancel"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    eventually(
        Duration::from_secs(5),
        "the second attempt was stopped",
        || async { dropped.load(Ordering::SeqCst) },
    )
    .await;
    assert_eq!(job(&server, job_id).await["job"]["status"], "cancelled");
    server.stop().await;
}
