//! A fake HTTP server that accepts requests and never answers, and tells when a client closes
//! its connection: what a provider stuck on a long generation looks like from outside.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::sync::Notify;

#[derive(Clone, Default)]
pub struct SlowServer {
    pub url: String,
    accepted: Arc<Mutex<Vec<Instant>>>,
    closed: Arc<Mutex<Vec<Instant>>>,
    changed: Arc<Notify>,
}

impl SlowServer {
    pub async fn start() -> SlowServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = SlowServer {
            url: format!("http://{}/v1/slow", listener.local_addr().unwrap()),
            ..SlowServer::default()
        };
        let shared = server.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let shared = shared.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let mut seen = Vec::new();
                    // Read the request head, then hold the connection open without answering.
                    let mut counted = false;
                    loop {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                seen.extend_from_slice(&buf[..n]);
                                if !counted && seen.windows(4).any(|w| w == b"\r\n\r\n") {
                                    counted = true;
                                    shared.accepted.lock().unwrap().push(Instant::now());
                                    shared.changed.notify_waiters();
                                }
                            }
                        }
                    }
                    shared.closed.lock().unwrap().push(Instant::now());
                    shared.changed.notify_waiters();
                });
            }
        });
        server
    }

    pub fn requests(&self) -> usize {
        self.accepted.lock().unwrap().len()
    }

    pub fn closed(&self) -> Vec<Instant> {
        self.closed.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests arrived, or `limit` passes.
    pub async fn wait_requests(&self, n: usize, limit: std::time::Duration) -> bool {
        self.wait(limit, || self.requests() >= n).await
    }

    /// Waits until at least `n` connections closed, or `limit` passes.
    pub async fn wait_closed(&self, n: usize, limit: std::time::Duration) -> bool {
        self.wait(limit, || self.closed().len() >= n).await
    }

    async fn wait(&self, limit: std::time::Duration, done: impl Fn() -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if done() {
                return true;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return done();
            }
        }
    }
}
