//! The real `cartwise` binary: its command line, start-up checks, signals and backups.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{Process, command};
use serde_json::{Value, json};

fn run(args: &[&str]) -> (i32, String, String) {
    let out = command().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn post(client: &reqwest::Client, url: String, body: Value) -> Value {
    let response = client.post(url).json(&body).send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.unwrap()
}

async fn get(url: String) -> Value {
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

#[test]
fn help_and_version() {
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, 0);
    for word in [
        "serve",
        "backup",
        "healthcheck",
        "--data-dir",
        "CARTWISE_PASSWORD",
    ] {
        assert!(out.contains(word), "--help does not mention {word}:\n{out}");
    }
    let (code, out, _) = run(&["--version"]);
    assert_eq!(code, 0);
    assert_eq!(
        out.trim(),
        format!("cartwise {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_public_bind_without_password_is_refused() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().to_str().unwrap();
    let (code, _, err) = run(&["--bind", "0.0.0.0:0", "--data-dir", dir]);
    assert_ne!(code, 0);
    assert!(err.contains("CARTWISE_PASSWORD"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one clear line: {err}");
    assert!(
        !temp.path().join("cartwise.db").exists(),
        "nothing is opened before the refusal"
    );
}

#[test]
fn bad_options_are_one_clear_line() {
    let (code, _, err) = run(&["--bind", "nonsense", "--data-dir", "/tmp"]);
    assert_ne!(code, 0);
    assert!(err.contains("not a listen address"), "{err}");
    let (code, _, err) = run(&["--workers", "0"]);
    assert_ne!(code, 0);
    assert!(err.contains("--workers"), "{err}");
}

#[test]
fn an_unusable_data_dir_is_one_clear_line() {
    let temp = tempfile::tempdir().unwrap();
    let file = temp.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let below = file.join("data");
    for dir in [&file, &below] {
        let (code, _, err) = run(&["--bind", "127.0.0.1:0", "--data-dir", dir.to_str().unwrap()]);
        assert_ne!(code, 0);
        let err = err.trim();
        assert!(err.contains("cannot use data dir"), "{err}");
        assert_eq!(err.lines().count(), 1, "one clear line: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_cleanly_and_data_survives_restart() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("data");
    let mut server = Process::start(&dir);
    let client = reqwest::Client::new();
    let list = post(
        &client,
        format!("{}/api/lists", server.url),
        json!({"name": "Kept"}),
    )
    .await;
    let id = list["list"]["id"].as_i64().unwrap();
    post(
        &client,
        format!("{}/api/lists/{id}/items", server.url),
        json!({"product_name": "Tea", "current_price": 3.2}),
    )
    .await;
    // A kept-alive idle connection must not hold up the exit.
    client
        .get(format!("{}/healthz", server.url))
        .send()
        .await
        .unwrap();

    assert_eq!(
        server.signal_and_wait("TERM", Duration::from_secs(2)),
        Some(0)
    );
    let lines = server.output().join("\n");
    assert!(lines.contains("stopped"), "{lines}");

    let mut server = Process::start(&dir);
    let items = get(format!("{}/api/lists/{id}/items", server.url)).await;
    assert_eq!(items["items"][0]["product_name"], "Tea");
    assert_eq!(
        server.signal_and_wait("INT", Duration::from_secs(2)),
        Some(0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_log_and_outside_wal_check() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("new").join("data");
    let mut server = Process::start(&dir);
    let health = get(format!("{}/healthz", server.url)).await;
    assert_eq!(health["status"], "ok");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }
    let conn = rusqlite::Connection::open(dir.join("cartwise.db")).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    drop(conn);
    assert_eq!(
        server.signal_and_wait("TERM", Duration::from_secs(2)),
        Some(0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_while_serving_has_the_same_rows() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("data");
    let mut server = Process::start(&dir);
    let client = reqwest::Client::new();
    for n in 0..5 {
        let list = post(
            &client,
            format!("{}/api/lists", server.url),
            json!({"name": format!("List {n}")}),
        )
        .await;
        let id = list["list"]["id"].as_i64().unwrap();
        for m in 0..20 {
            post(
                &client,
                format!("{}/api/lists/{id}/items", server.url),
                json!({"product_name": format!("Item {n}.{m}"), "current_price": m}),
            )
            .await;
        }
    }
    let target = temp.path().join("backup.db");
    let (code, out, err) = run(&[
        "backup",
        target.to_str().unwrap(),
        "--data-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("backed up"), "{out}");

    let live = rusqlite::Connection::open(dir.join("cartwise.db")).unwrap();
    let copy = rusqlite::Connection::open(&target).unwrap();
    let check: String = copy
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let rows = |conn: &rusqlite::Connection| -> Vec<(i64, String, Option<f64>)> {
        let mut stmt = conn
            .prepare("SELECT id, product_name, current_price FROM items ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let copied = rows(&copy);
    assert_eq!(copied.len(), 100);
    assert_eq!(copied, rows(&live));
    let history: i64 = copy
        .query_row("SELECT count(*) FROM price_history", [], |r| r.get(0))
        .unwrap();
    assert_eq!(history, 100);

    // The server is unaffected and a second backup to the same file is refused.
    let health = get(format!("{}/healthz", server.url)).await;
    assert_eq!(health["status"], "ok");
    let (code, _, err) = run(&[
        "backup",
        target.to_str().unwrap(),
        "--data-dir",
        dir.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(
        server.signal_and_wait("TERM", Duration::from_secs(2)),
        Some(0)
    );
}

#[test]
fn backup_without_a_database_says_so() {
    let temp = tempfile::tempdir().unwrap();
    let target = temp.path().join("b.db");
    let (code, _, err) = run(&[
        "backup",
        target.to_str().unwrap(),
        "--data-dir",
        temp.path().to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("no database"), "{err}");
    assert!(!target.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthcheck_command_follows_the_server() {
    let temp = tempfile::tempdir().unwrap();
    let mut server = Process::start(&temp.path().join("data"));
    let bind = server.url.trim_start_matches("http://").to_string();
    let (code, out, err) = run(&["healthcheck", "--bind", &bind]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ok"), "{out}");
    assert_eq!(
        server.signal_and_wait("TERM", Duration::from_secs(2)),
        Some(0)
    );
    let (code, _, err) = run(&["healthcheck", "--bind", &bind]);
    assert_eq!(code, 1);
    assert!(err.contains("no answer"), "{err}");
}

#[test]
fn install_script_writes_a_service_into_a_root() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    let out = std::process::Command::new("sh")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/install.sh"))
        .arg(env!("CARGO_BIN_EXE_cartwise"))
        .env("ROOT", root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let unit = std::fs::read_to_string(root.join("etc/systemd/system/cartwise.service")).unwrap();
    assert!(
        unit.contains("ExecStart=/usr/local/bin/cartwise serve"),
        "{unit}"
    );
    assert!(
        unit.contains("CARTWISE_DATA_DIR=/var/lib/cartwise"),
        "{unit}"
    );
    let env_file = std::fs::read_to_string(root.join("etc/cartwise.env")).unwrap();
    assert!(env_file.contains("CARTWISE_BIND=127.0.0.1:8787"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &str| {
            std::fs::metadata(root.join(p))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("etc/cartwise.env"), 0o600);
        assert_eq!(mode("var/lib/cartwise"), 0o700);
        assert_eq!(mode("usr/local/bin/cartwise"), 0o755);
    }
    let installed = root.join("usr/local/bin/cartwise");
    let version = std::process::Command::new(installed)
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn a_second_server_on_the_same_data_dir_is_refused() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("data");
    let mut first = Process::start(&dir);
    let (code, _, err) = run(&["--bind", "127.0.0.1:0", "--data-dir", dir.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(err.contains("already running"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one clear line: {err}");
    assert_eq!(
        first.signal_and_wait("TERM", Duration::from_secs(2)),
        Some(0)
    );
    // Once the first has stopped, the data dir is free again.
    let mut second = Process::start(&dir);
    assert_eq!(
        second.signal_and_wait("TERM", Duration::from_secs(2)),
        Some(0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_binary_killed_mid_job_loses_no_job() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("data");
    let mut server = Process::start_with(&dir, &["--demo"]);
    let client = reqwest::Client::new();
    let mut ids = Vec::new();
    for n in 0..4 {
        let job = post(
            &client,
            format!("{}/api/ai-jobs", server.url),
            json!({"type": "product_identification", "input_data": {"query": format!("jar of honey {n}")}}),
        )
        .await;
        ids.push(job["job"]["id"].as_i64().unwrap());
    }
    let url = server.url.clone();
    common::eventually(Duration::from_secs(20), "two demo jobs running", || async {
        let active = get(format!("{url}/api/ai-jobs?status=processing")).await;
        active["pagination"]["total"] == 2
    })
    .await;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let conn = rusqlite::Connection::open(dir.join("cartwise.db")).unwrap();
    let running: i64 = conn
        .query_row(
            "SELECT count(*) FROM ai_jobs WHERE status = 'processing'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        running > 0,
        "the kill left no job running; nothing was tested"
    );

    let server = Process::start_with(&dir, &["--demo"]);
    let url = server.url.clone();
    common::eventually(Duration::from_secs(40), "every job completed", || async {
        let done = get(format!("{url}/api/ai-jobs?status=completed")).await;
        done["pagination"]["total"] == 4
    })
    .await;
    let stuck: i64 = conn
        .query_row(
            "SELECT count(*) FROM ai_jobs WHERE status <> 'completed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stuck, 0);
    let retried: i64 = conn
        .query_row("SELECT count(*) FROM ai_jobs WHERE attempts = 2", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(
        retried, running,
        "each interrupted job ran once more, the others once"
    );
}
