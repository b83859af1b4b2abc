//! Jobs survive a crash (SIGKILL) and a graceful stop (SIGTERM) of a real server process.
//!
//! The server process is this test binary started again with `child_server` selected: the
//! real `cartwise::serve` with a slow job type, killed and restarted over one data dir.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use cartwise::clock::SystemClock;
use cartwise::jobs::Registry;
use common::{Process, Sleep, test_settings};
use serde_json::{Value, json};

const CHILD_DIR: &str = "CARTWISE_TEST_CHILD_DATA_DIR";

#[test]
#[ignore = "the server process the other tests start"]
fn child_server() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        let config = cartwise::Config::with_data_dir(&dir);
        let mut settings = test_settings();
        settings.grace = Duration::from_millis(300);
        let registry = Registry::new().with(Sleep);
        let parts = cartwise::app::Parts {
            registry,
            clock: Arc::new(SystemClock),
            engine: settings,
            ai: cartwise::ai::AiSettings::default(),
        };
        let state = cartwise::AppState::open_with(config, parts).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        cartwise::serve(state, listener, cartwise::shutdown_signal())
            .await
            .unwrap();
    });
}

fn start_child(dir: &Path) -> Process {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["child_server", "--exact", "--ignored", "--nocapture"])
        .env(CHILD_DIR, dir);
    Process::spawn(cmd)
}

async fn enqueue(client: &reqwest::Client, url: &str, ms: u64) -> i64 {
    let job: Value = client
        .post(format!("{url}/api/ai-jobs"))
        .json(&json!({"type": "sleep", "input_data": {"ms": ms}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    job["job"]["id"].as_i64().unwrap()
}

fn rows(dir: &Path) -> Vec<(i64, String, i64)> {
    let conn = rusqlite::Connection::open(dir.join("cartwise.db")).unwrap();
    let mut stmt = conn
        .prepare("SELECT id, status, attempts FROM ai_jobs ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

async fn wait_for(dir: &Path, what: &str, check: impl Fn(&[(i64, String, i64)]) -> bool) {
    common::eventually(Duration::from_secs(30), what, || async {
        check(&rows(dir))
    })
    .await;
}

fn events(dir: &Path, job: i64) -> Vec<String> {
    let conn = rusqlite::Connection::open(dir.join("cartwise.db")).unwrap();
    let mut stmt = conn
        .prepare("SELECT message FROM ai_job_events WHERE job_id = ?1 ORDER BY id")
        .unwrap();
    stmt.query_map([job], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_while_jobs_run_loses_no_job() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("data");
    let mut server = start_child(&dir);
    let client = reqwest::Client::new();
    let mut ids = Vec::new();
    for _ in 0..6 {
        ids.push(enqueue(&client, &server.url, 400).await);
    }
    wait_for(&dir, "two jobs running", |rows| {
        rows.iter().filter(|r| r.1 == "processing").count() == 2
    })
    .await;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let killed: Vec<i64> = rows(&dir)
        .into_iter()
        .filter(|r| r.1 == "processing")
        .map(|r| r.0)
        .collect();
    assert!(
        !killed.is_empty(),
        "the kill left no job running; nothing was tested"
    );

    let _server = start_child(&dir);
    wait_for(&dir, "every job completed", |rows| {
        rows.len() == 6 && rows.iter().all(|r| r.1 == "completed")
    })
    .await;
    for (id, _, attempts) in rows(&dir) {
        let expected = if killed.contains(&id) { 2 } else { 1 };
        assert_eq!(attempts, expected, "job {id}");
        if killed.contains(&id) {
            let events = events(&dir, id);
            assert!(
                events
                    .contains(&"The server stopped during this attempt; it will run again".into()),
                "{events:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_puts_running_jobs_back_without_spending_an_attempt() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("data");
    let mut server = start_child(&dir);
    let client = reqwest::Client::new();
    let first = enqueue(&client, &server.url, 1500).await;
    let second = enqueue(&client, &server.url, 1500).await;
    wait_for(&dir, "both jobs running", |rows| {
        rows.iter().filter(|r| r.1 == "processing").count() == 2
    })
    .await;
    assert_eq!(
        server.signal_and_wait("TERM", Duration::from_secs(5)),
        Some(0)
    );
    assert_eq!(
        rows(&dir),
        [(first, "pending".into(), 0), (second, "pending".into(), 0)]
    );
    let stopped = "Stopped by a server shutdown; it will run again after the restart";
    assert!(events(&dir, first).contains(&stopped.to_string()));

    let _server = start_child(&dir);
    wait_for(&dir, "both jobs completed", |rows| {
        rows.iter().all(|r| r.1 == "completed")
    })
    .await;
    assert_eq!(
        rows(&dir),
        [
            (first, "completed".into(), 1),
            (second, "completed".into(), 1)
        ]
    );
}
