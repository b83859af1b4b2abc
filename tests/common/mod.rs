//! Helpers shared by the integration tests: the real server started in-process on port 0 over
//! a temporary data dir, and the real binary started as a child process.
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

pub mod browser;
pub mod fake;
pub mod slow_server;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use std::sync::Arc;

use cartwise::clock::{SharedClock, SystemClock};
use cartwise::jobs::{Engine, EngineSettings, JobContext, JobFuture, JobType, Outcome, Registry};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::oneshot;

/// The server running inside the test process.
pub struct Server {
    pub url: String,
    pub data_dir: PathBuf,
    pub engine: Engine,
    pub db: cartwise::db::Db,
    pub ai: cartwise::ai::Ai,
    client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), cartwise::StartError>>,
    _temp: Option<tempfile::TempDir>,
}

impl Server {
    /// Starts a server over a new, empty data dir.
    pub async fn start() -> Server {
        let temp = tempfile::tempdir().unwrap();
        let mut server = Server::start_in(&temp.path().join("data")).await;
        server._temp = Some(temp);
        server
    }

    /// Starts a server over `data_dir`, which the caller keeps.
    pub async fn start_in(data_dir: &Path) -> Server {
        let config = cartwise::Config::with_data_dir(data_dir);
        let state = cartwise::AppState::open(config).unwrap();
        Server::serve(state, data_dir).await
    }

    /// Starts a server over a new data dir with the given job types and engine limits.
    pub async fn with_jobs(registry: Registry, settings: EngineSettings) -> Server {
        Server::with_clock(registry, settings, Arc::new(SystemClock)).await
    }

    pub async fn with_clock(
        registry: Registry,
        settings: EngineSettings,
        clock: SharedClock,
    ) -> Server {
        let parts = cartwise::app::Parts {
            registry,
            clock,
            engine: settings,
            ai: cartwise::ai::AiSettings::default(),
        };
        Server::with_parts(|_| {}, parts).await
    }

    /// A server over a new data dir, with its config changed by `configure`.
    pub async fn with_parts(
        configure: impl FnOnce(&mut cartwise::Config),
        parts: cartwise::app::Parts,
    ) -> Server {
        let temp = tempfile::tempdir().unwrap();
        let data_dir = temp.path().join("data");
        let mut config = cartwise::Config::with_data_dir(&data_dir);
        configure(&mut config);
        let state = cartwise::AppState::open_with(config, parts).unwrap();
        let mut server = Server::serve(state, &data_dir).await;
        server._temp = Some(temp);
        server
    }

    async fn serve(state: cartwise::AppState, data_dir: &Path) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let engine = state.jobs.clone();
        let db = state.db.clone();
        let ai = state.ai.clone();
        let task = tokio::spawn(cartwise::serve(state, listener, async {
            let _ = stopped.await;
        }));
        let server = Server {
            url,
            data_dir: data_dir.to_path_buf(),
            engine,
            db,
            ai,
            client: reqwest::Client::new(),
            stop: Some(stop),
            task,
            _temp: None,
        };
        wait_until_healthy(&server.client, &server.url).await;
        server
    }

    /// Stops the server and waits for it to finish; returns the temporary data dir (if the
    /// server made one) so the caller can look at it afterwards.
    pub async fn stop(mut self) -> Option<tempfile::TempDir> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await.unwrap().unwrap();
        self._temp.take()
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, None).await
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.url));
        if let Some(body) = body {
            request = request.json(&body);
        }
        read(request.send().await.unwrap()).await
    }

    /// Sends `body` as-is with the given content type (none when `None`).
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.url))
            .body(body);
        if let Some(kind) = content_type {
            request = request.header("content-type", kind);
        }
        read(request.send().await.unwrap()).await
    }

    pub fn database(&self) -> PathBuf {
        self.data_dir.join("cartwise.db")
    }
}

async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let bytes = response.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{status}: body is not JSON ({e}): {bytes:?}"))
    };
    (status, body)
}

/// A job that sleeps for its input's `ms` milliseconds.
pub struct Sleep;

impl JobType for Sleep {
    fn name(&self) -> &'static str {
        "sleep"
    }
    fn label(&self) -> &'static str {
        "Sleep"
    }
    fn run(self: Arc<Self>, ctx: JobContext) -> JobFuture {
        Box::pin(async move {
            let ms = ctx.input["ms"].as_u64().unwrap_or(0);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(Outcome::output(serde_json::json!({"slept_ms": ms})))
        })
    }
}

/// Captures the tracing output of this test process (everything at debug level and above),
/// once per process; returns the shared buffer.
pub fn capture_tracing() -> Arc<std::sync::Mutex<String>> {
    static BUFFER: std::sync::OnceLock<Arc<std::sync::Mutex<String>>> = std::sync::OnceLock::new();
    BUFFER
        .get_or_init(|| {
            let buffer = Arc::new(std::sync::Mutex::new(String::new()));
            let sink = buffer.clone();
            let _ = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::DEBUG)
                .with_ansi(false)
                .with_writer(move || Capture(sink.clone()))
                .try_init();
            buffer
        })
        .clone()
}

struct Capture(Arc<std::sync::Mutex<String>>);

impl std::io::Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap()
            .push_str(&String::from_utf8_lossy(bytes));
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Engine limits small enough for tests.
pub fn test_settings() -> EngineSettings {
    EngineSettings {
        workers: 2,
        timeout: Duration::from_secs(10),
        retries: 2,
        backoff: Duration::from_millis(50),
        grace: Duration::from_millis(200),
        progress_interval: Duration::from_secs(1),
        recent: Duration::from_secs(60),
        job_retention: Duration::from_secs(30 * 86_400),
        log_retention: Duration::from_secs(30 * 86_400),
    }
}

/// Polls `condition` every few milliseconds until it holds, failing after `limit`.
pub async fn eventually<F, Fut>(limit: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !condition().await {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Polls `/healthz` until it answers 200, failing after 10 s.
pub async fn wait_until_healthy(client: &reqwest::Client, url: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(r) = client.get(format!("{url}/healthz")).send().await
            && r.status() == StatusCode::OK
        {
            return;
        }
        assert!(Instant::now() < deadline, "{url} did not become healthy");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The cartwise binary running as a child process.
pub struct Process {
    pub child: Child,
    pub url: String,
    lines: mpsc::Receiver<String>,
}

/// A `cartwise` command with a clean environment (no CARTWISE_* from the caller).
pub fn command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cartwise"));
    for (key, _) in std::env::vars() {
        if key.starts_with("CARTWISE_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("RUST_LOG", "info");
    cmd
}

impl Process {
    /// Starts `cartwise serve` on 127.0.0.1:0 over `data_dir` and waits for its ready line.
    pub fn start(data_dir: &Path) -> Process {
        Process::start_with(data_dir, &[])
    }

    /// As `start`, with more command-line arguments.
    pub fn start_with(data_dir: &Path, args: &[&str]) -> Process {
        let mut cmd = command();
        cmd.args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(args);
        Process::spawn(cmd)
    }

    /// Starts `cmd`, a server that logs "ready at http://…" on stderr, and waits for that line.
    pub fn spawn(mut cmd: Command) -> Process {
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take();
        let (tx, lines) = mpsc::channel();
        // From here on, dropping `process` kills and reaps the child, even on a failed assert.
        let mut process = Process {
            child,
            url: String::new(),
            lines,
        };
        let stderr = stderr.unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = process
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no ready line from cartwise"));
            if let Some(at) = line.find("ready at http://") {
                process.url = line[at + "ready at ".len()..]
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .trim_end_matches('/')
                    .to_string();
                return process;
            }
        }
    }

    /// Sends `signal` (such as "TERM") and waits up to `limit` for the exit status code.
    pub fn signal_and_wait(&mut self, signal: &str, limit: Duration) -> Option<i32> {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(
                Instant::now() < deadline,
                "cartwise did not exit within {limit:?} of SIG{signal}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Every line the process has written to stderr so far.
    pub fn output(&self) -> Vec<String> {
        self.lines.try_iter().collect()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
