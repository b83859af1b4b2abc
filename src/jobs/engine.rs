//! The runner pool. Runners are tokio tasks on a `TaskTracker`. A runner claims the oldest due
//! job in one write transaction, runs it as its own task under the job's cancellation token
//! and the attempt timeout, and ends the attempt with a write that only succeeds while the row
//! is still that claimed attempt. Idle runners wait on a `Notify` (woken by enqueue) or until
//! the next retry is due; with nothing pending they touch no database at all.
//!
//! A claim registers the job's token inside its write transaction, and a cancel looks the token
//! up inside its own: write transactions take turns, so a cancel that finds a job `processing`
//! always finds its token, and no job can slip between being claimed and being cancellable.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::view::{self, JobView};
use super::{JobError, JobRequest, Level, Outcome, Registry};
use crate::ai::Ai;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::db::jobs::{self as store, CancelOutcome, Claimed, DeleteOutcome, Finish, NewJob};
use crate::db::{self, Db};
use crate::uploads::Uploads;

/// Engine limits; `from_config` gives the server's, tests set their own.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    pub workers: usize,
    /// Limit for one attempt.
    pub timeout: Duration,
    /// Attempts after the first for transient failures.
    pub retries: u32,
    pub backoff: Duration,
    /// How long running jobs may go on after shutdown begins.
    pub grace: Duration,
    /// Least time between two progress writes of one job.
    pub progress_interval: Duration,
    /// How long finished jobs stay in the active list, so watchers see them end.
    pub recent: Duration,
    pub job_retention: Duration,
    pub log_retention: Duration,
}

const DAY: Duration = Duration::from_secs(86_400);
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

impl EngineSettings {
    pub fn from_config(config: &Config) -> Self {
        Self {
            workers: config.jobs.workers,
            timeout: config.jobs.timeout,
            retries: config.jobs.retries,
            backoff: config.jobs.backoff,
            grace: Duration::from_secs(1),
            progress_interval: Duration::from_secs(1),
            recent: Duration::from_secs(60),
            job_retention: DAY * config.job_retention_days,
            log_retention: DAY * config.log_retention_days,
        }
    }
}

/// A request to queue a job.
#[derive(Debug, Clone)]
pub struct CreateJob {
    pub job_type: String,
    pub input: Value,
    pub related_item_id: Option<i64>,
    pub related_list_id: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    #[error("'{0}' is not a job type; use one of: {1}")]
    UnknownType(String, String),
    #[error("{0}")]
    BadInput(String),
    #[error("there is no item with id {0}")]
    NoItem(i64),
    #[error("there is no list with id {0}")]
    NoList(i64),
    #[error(transparent)]
    Db(#[from] db::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum CancelError {
    #[error("there is no job with id {0}")]
    NotFound(i64),
    #[error("job {0} is already {1}; only pending or running jobs can be cancelled")]
    NotActive(i64, String),
    #[error(transparent)]
    Db(#[from] db::Error),
}

/// A job with its input, output, timeline and request-log summaries.
#[derive(Debug, Serialize)]
pub struct JobDetail {
    pub job: JobView,
    pub input_data: Value,
    pub output_data: Option<Value>,
    pub events: Vec<store::Event>,
    pub logs: Vec<db::logs::LogSummary>,
}

#[derive(Debug, Serialize)]
pub struct Stats {
    pub days: u32,
    pub total: i64,
    pub completed: i64,
    pub failed: i64,
    pub cancelled: i64,
    pub active: i64,
    /// Completed out of completed and failed, in percent; null before any finished.
    pub success_rate: Option<f64>,
    pub by_type: serde_json::Map<String, Value>,
}

/// The live state of a running attempt, kept in memory.
struct Running {
    attempt: i64,
    token: CancellationToken,
    progress: u8,
    message: String,
    saved_at: Instant,
}

struct Inner {
    db: Db,
    clock: SharedClock,
    registry: Registry,
    settings: EngineSettings,
    ai: Ai,
    uploads: Uploads,
    wake: Notify,
    running: Mutex<HashMap<i64, Running>>,
    stop_claiming: CancellationToken,
    abort: CancellationToken,
    tracker: TaskTracker,
    pruned_at: Mutex<Option<Instant>>,
    /// Runners waiting with no due job.
    idle: AtomicUsize,
}

/// A cheap handle to the engine.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("registry", &self.inner.registry)
            .field("settings", &self.inner.settings)
            .finish()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How an attempt stopped before producing an outcome.
enum Stop {
    Cancelled,
    Failed(JobError),
}

/// A failure while completing: the database, or the job's own apply step.
enum Settle {
    Db(db::Error),
    Job(JobError),
}

impl From<db::Error> for Settle {
    fn from(e: db::Error) -> Self {
        Self::Db(e)
    }
}

impl Engine {
    pub fn new(
        db: Db,
        clock: SharedClock,
        registry: Registry,
        settings: EngineSettings,
        ai: Ai,
        uploads: Uploads,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                clock,
                registry,
                settings,
                ai,
                uploads,
                wake: Notify::new(),
                running: Mutex::new(HashMap::new()),
                stop_claiming: CancellationToken::new(),
                abort: CancellationToken::new(),
                tracker: TaskTracker::new(),
                pruned_at: Mutex::new(None),
                idle: AtomicUsize::new(0),
            }),
        }
    }

    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    pub fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    /// How many runners are waiting for work.
    pub fn idle_runners(&self) -> usize {
        self.inner.idle.load(Ordering::SeqCst)
    }

    /// Returns jobs a crash left running to the queue, prunes old rows and starts the runners.
    pub async fn start(&self) -> Result<(), db::Error> {
        let now = self.inner.clock.stamp();
        let (requeued, failed) = self
            .inner
            .db
            .write(move |tx| store::recover(tx, &now))
            .await?;
        if requeued + failed > 0 {
            tracing::warn!(
                requeued,
                failed,
                "jobs interrupted by an earlier stop were recovered"
            );
        }
        self.prune().await;
        for n in 0..self.inner.settings.workers {
            let engine = self.clone();
            self.inner
                .tracker
                .spawn(async move { engine.runner(n).await });
        }
        Ok(())
    }

    /// Stops claiming, lets running jobs finish within the grace period, then cancels them
    /// and puts them back in the queue without spending their attempt.
    pub async fn shutdown(&self) {
        let inner = &self.inner;
        inner.stop_claiming.cancel();
        inner.tracker.close();
        if tokio::time::timeout(inner.settings.grace, inner.tracker.wait())
            .await
            .is_err()
        {
            tracing::info!("stopping running jobs; they will run again after the restart");
            inner.abort.cancel();
            inner.tracker.wait().await;
        }
    }

    async fn runner(&self, n: usize) {
        tracing::debug!(runner = n, "job runner started");
        let inner = &self.inner;
        // A job claimed in the same transaction that ended the previous one.
        let mut next: Next = None;
        loop {
            let notified = inner.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some((job, token)) = next.take() {
                next = self.execute(job, token, true).await;
                continue;
            }
            if inner.stop_claiming.is_cancelled() {
                break;
            }
            let due = match self.claim().await {
                Ok((Some((job, token)), _)) => {
                    next = self.execute(job, token, true).await;
                    continue;
                }
                Ok((None, next_run_at)) => next_run_at,
                Err(e) => {
                    tracing::error!(error = %e, "job runner could not claim a job");
                    Some(inner.clock.stamp_after(Duration::from_secs(1)))
                }
            };
            let wait = due.map(|at| inner.clock.until(&at) + Duration::from_millis(1));
            inner.idle.fetch_add(1, Ordering::SeqCst);
            let stopping = tokio::select! {
                () = &mut notified => false,
                () = tokio::time::sleep(wait.unwrap_or_default()), if wait.is_some() => false,
                () = inner.stop_claiming.cancelled() => true,
            };
            inner.idle.fetch_sub(1, Ordering::SeqCst);
            if stopping {
                break;
            }
        }
        tracing::debug!(runner = n, "job runner stopped");
    }

    /// Claims and runs one due job in the calling task; returns its id, or `None` when no job
    /// is due. For tests that step the queue by hand with a manual clock.
    pub async fn run_once(&self) -> Result<Option<i64>, db::Error> {
        let (claimed, _) = self.claim().await?;
        let Some((job, token)) = claimed else {
            return Ok(None);
        };
        let id = job.id;
        self.execute(job, token, false).await;
        Ok(Some(id))
    }

    /// Claims the next due job; with none due, says when one will be.
    async fn claim(&self) -> Result<(Next, Option<String>), db::Error> {
        let inner = self.inner.clone();
        self.inner
            .db
            .write(move |tx| {
                let now = inner.clock.stamp();
                match claim_in(&inner, tx, &now)? {
                    Some(claimed) => Ok((Some(claimed), None)),
                    None => Ok((None, store::next_run_at(tx)?)),
                }
            })
            .await
    }

    /// Runs a claimed job and records how it ended. With `chain`, the transaction that records
    /// the end also claims the next due job, which is returned to run next.
    async fn execute(&self, job: Claimed, token: CancellationToken, chain: bool) -> Next {
        let id = job.id;
        let result = match self.inner.registry.get(&job.job_type).cloned() {
            None => Err(Stop::Failed(JobError::permanent(format!(
                "This version of cartwise cannot run '{}' jobs.",
                job.job_type
            )))),
            Some(kind) => {
                let ctx = JobContext {
                    id,
                    attempt: job.attempt,
                    input: job.input.clone(),
                    related_item_id: job.related_item_id,
                    related_list_id: job.related_list_id,
                    token: token.clone(),
                    db: self.inner.db.clone(),
                    ai: self.inner.ai.clone(),
                    uploads: self.inner.uploads.clone(),
                    engine: self.clone(),
                };
                self.attempt(kind.run(ctx), &token).await
            }
        };
        let next = self.settle(&job, result, chain).await;
        {
            // The settle may have claimed this same job again (a retry due at once): keep that.
            let mut running = lock(&self.inner.running);
            if running.get(&id).is_some_and(|r| r.attempt == job.attempt) {
                running.remove(&id);
            }
        }
        self.prune_if_due().await;
        next
    }

    /// Runs one attempt as its own task, so that a panic in a job fails the job, not the
    /// runner, and so that cancel and timeout can drop it wherever it is.
    async fn attempt(
        &self,
        work: super::JobFuture,
        token: &CancellationToken,
    ) -> Result<Outcome, Stop> {
        let limit = self.inner.settings.timeout;
        let mut task = tokio::spawn(work);
        let stopped = tokio::select! {
            biased;
            () = token.cancelled() => Stop::Cancelled,
            joined = &mut task => {
                return match joined {
                    Ok(result) => result.map_err(Stop::Failed),
                    Err(e) => {
                        tracing::error!(error = %e, "a job panicked");
                        Err(Stop::Failed(JobError::permanent(
                            "The job stopped because of an internal error; the server log has details.",
                        )))
                    }
                };
            }
            () = tokio::time::sleep(limit) => Stop::Failed(JobError::transient(format!(
                "Timed out after {}.",
                human(limit)
            ))),
        };
        task.abort();
        // Wait until the job's future is really dropped, and with it any open connection.
        let _ = task.await;
        Err(stopped)
    }

    async fn settle(&self, job: &Claimed, result: Result<Outcome, Stop>, chain: bool) -> Next {
        let (id, attempt) = (job.id, job.attempt);
        let finish = match result {
            Ok(Outcome { output, apply }) => {
                let inner = self.inner.clone();
                let done = self
                    .inner
                    .db
                    .write(move |tx| {
                        let now = inner.clock.stamp();
                        // Nothing is written for an attempt that is no longer the claimed one.
                        match apply {
                            None => {
                                store::finish(
                                    tx,
                                    id,
                                    attempt,
                                    &Finish::Completed { output },
                                    &now,
                                )?;
                            }
                            Some(apply) if store::is_claimed(tx, id, attempt)? => {
                                let output = apply(tx, output).map_err(Settle::Job)?;
                                store::finish(
                                    tx,
                                    id,
                                    attempt,
                                    &Finish::Completed { output },
                                    &now,
                                )?;
                            }
                            Some(_) => {}
                        }
                        Ok(claim_next(&inner, tx, &now, chain)?)
                    })
                    .await;
                match done {
                    Ok(next) => return next,
                    Err(Settle::Job(e)) => self.failure(job, e),
                    Err(Settle::Db(e)) => self.failure(job, JobError::from(e)),
                }
            }
            Err(Stop::Failed(e)) => self.failure(job, e),
            Err(Stop::Cancelled) if self.inner.abort.is_cancelled() => Finish::Requeue,
            // Cancelled by the user: the cancel already wrote the final state.
            Err(Stop::Cancelled) => return None,
        };
        // The end of an attempt must be written, or the job would look running until the next
        // restart: a busy or full disk gets a few more tries.
        for wait in [0, 100, 500, 2000, 5000] {
            tokio::time::sleep(Duration::from_millis(wait)).await;
            let (inner, finish) = (self.inner.clone(), finish.clone());
            let written = self
                .inner
                .db
                .write(move |tx| {
                    let now = inner.clock.stamp();
                    store::finish(tx, id, attempt, &finish, &now)?;
                    claim_next(&inner, tx, &now, chain)
                })
                .await;
            match written {
                Ok(next) => return next,
                Err(e) => {
                    tracing::error!(job = id, error = %e, "could not record the end of a job attempt")
                }
            }
        }
        None
    }

    /// The end of a failed attempt: a retry when the error is transient and attempts remain.
    fn failure(&self, job: &Claimed, error: JobError) -> Finish {
        if error.transient && job.attempt < job.max_attempts {
            let wait = error
                .retry_after
                .map_or(self.inner.settings.backoff, |after| {
                    after.max(self.inner.settings.backoff)
                });
            Finish::Retry {
                message: error.message,
                run_at: self.inner.clock.stamp_after(wait),
            }
        } else {
            Finish::Failed {
                message: error.message,
            }
        }
    }

    /// Queues a job (or returns the item's active one of the same type) and wakes a runner.
    pub async fn enqueue(&self, request: CreateJob) -> Result<(JobView, bool), EnqueueError> {
        self.enqueue_after(request, Duration::ZERO).await
    }

    /// As `enqueue`, for a job that may start only `delay` from now.
    pub async fn enqueue_after(
        &self,
        request: CreateJob,
        delay: Duration,
    ) -> Result<(JobView, bool), EnqueueError> {
        let registry = &self.inner.registry;
        let kind = registry.get(&request.job_type).ok_or_else(|| {
            EnqueueError::UnknownType(request.job_type.clone(), registry.names().join(", "))
        })?;
        kind.check(&JobRequest {
            input: &request.input,
            related_item_id: request.related_item_id,
            related_list_id: request.related_list_id,
        })
        .map_err(EnqueueError::BadInput)?;
        let new = NewJob {
            job_type: request.job_type,
            input: request.input,
            related_item_id: request.related_item_id,
            related_list_id: request.related_list_id,
            max_attempts: 1 + i64::from(self.inner.settings.retries),
            dedupe_per_item: kind.dedupe_per_item(),
            run_at: (!delay.is_zero()).then(|| self.inner.clock.stamp_after(delay)),
        };
        let now = self.inner.clock.stamp();
        let (id, created) = self
            .inner
            .db
            .write(move |tx| store::insert(tx, &new, &now))
            .await
            .map_err(|e| match e {
                store::InsertError::NoItem(id) => EnqueueError::NoItem(id),
                store::InsertError::NoList(id) => EnqueueError::NoList(id),
                store::InsertError::Db(e) => EnqueueError::Db(e),
            })?;
        if created {
            self.inner.wake.notify_waiters();
        }
        let row = self
            .inner
            .db
            .call(move |conn| store::get(conn, id))
            .await?
            .ok_or(db::Error::Sqlite(rusqlite::Error::QueryReturnedNoRows))?;
        Ok((self.view(row), created))
    }

    /// Cancels a pending or running job; a running attempt's request is dropped at once.
    pub async fn cancel(&self, id: i64) -> Result<JobView, CancelError> {
        let inner = self.inner.clone();
        let outcome = self
            .inner
            .db
            .write(move |tx| {
                let now = inner.clock.stamp();
                let outcome = store::cancel(tx, id, &now)?;
                if outcome
                    == (CancelOutcome::Cancelled {
                        was_processing: true,
                    })
                    && let Some(running) = lock(&inner.running).get(&id)
                {
                    running.token.cancel();
                }
                Ok::<_, db::Error>(outcome)
            })
            .await?;
        match outcome {
            CancelOutcome::NotFound => Err(CancelError::NotFound(id)),
            CancelOutcome::NotActive(status) => Err(CancelError::NotActive(id, status)),
            CancelOutcome::Cancelled { .. } => {
                let row = self.inner.db.call(move |conn| store::get(conn, id)).await?;
                row.map(|row| self.view(row))
                    .ok_or(CancelError::NotFound(id))
            }
        }
    }

    /// The API's view of a row, with live progress for a running attempt.
    fn view(&self, row: store::JobRow) -> JobView {
        let live = if row.status == "processing" {
            lock(&self.inner.running)
                .get(&row.id)
                .filter(|r| r.attempt == row.attempts)
                .map(|r| (r.progress, r.message.clone()))
        } else {
            None
        };
        view::build(row, &self.inner.registry, live)
    }

    pub async fn get(&self, id: i64) -> Result<Option<JobDetail>, db::Error> {
        let found = self
            .inner
            .db
            .call(move |conn| {
                let Some(row) = store::get(conn, id)? else {
                    return Ok(None);
                };
                let events = store::events(conn, id)?;
                let logs = db::logs::for_job(conn, id)?;
                Ok::<_, db::Error>(Some((row, events, logs)))
            })
            .await?;
        Ok(found.map(|(row, events, logs)| {
            let input_data = row.input_data.clone();
            let output_data = row.output_data.clone();
            JobDetail {
                job: self.view(row),
                input_data,
                output_data,
                events,
                logs,
            }
        }))
    }

    pub async fn list(&self, filter: store::Filter) -> Result<(Vec<JobView>, i64), db::Error> {
        let (rows, total) = self
            .inner
            .db
            .call(move |conn| store::list(conn, &filter))
            .await?;
        Ok((rows.into_iter().map(|r| self.view(r)).collect(), total))
    }

    /// Active jobs and those that finished within the `recent` window.
    pub async fn active(&self) -> Result<Vec<JobView>, db::Error> {
        let since = self.inner.clock.stamp_before(self.inner.settings.recent);
        let rows = self
            .inner
            .db
            .call(move |conn| store::active(conn, &since))
            .await?;
        Ok(rows.into_iter().map(|r| self.view(r)).collect())
    }

    pub async fn stats(&self, days: u32) -> Result<Stats, db::Error> {
        let since = self.inner.clock.stamp_before(DAY * days);
        let (all, by_type) = self
            .inner
            .db
            .call(move |conn| store::counts(conn, &since))
            .await?;
        let rate = |completed: i64, failed: i64| {
            (completed + failed > 0)
                .then(|| (completed as f64 * 1000.0 / (completed + failed) as f64).round() / 10.0)
        };
        let by_type = by_type
            .into_iter()
            .map(|(name, c)| {
                let label = self
                    .inner
                    .registry
                    .get(&name)
                    .map_or(name.clone(), |k| k.label().to_string());
                let value = serde_json::json!({
                    "label": label, "total": c.total, "completed": c.completed,
                    "failed": c.failed, "cancelled": c.cancelled, "active": c.active,
                    "success_rate": rate(c.completed, c.failed),
                });
                (name, value)
            })
            .collect();
        Ok(Stats {
            days,
            total: all.total,
            completed: all.completed,
            failed: all.failed,
            cancelled: all.cancelled,
            active: all.active,
            success_rate: rate(all.completed, all.failed),
            by_type,
        })
    }

    pub async fn delete(&self, id: i64) -> Result<DeleteOutcome, db::Error> {
        self.inner.db.write(move |tx| store::delete(tx, id)).await
    }

    /// Deletes every finished job; returns how many.
    pub async fn delete_history(&self) -> Result<usize, db::Error> {
        self.inner
            .db
            .write(|tx| store::delete_finished(tx, None))
            .await
    }

    async fn prune_if_due(&self) {
        let due = lock(&self.inner.pruned_at).is_none_or(|at| at.elapsed() >= PRUNE_EVERY);
        if due {
            self.prune().await;
        }
    }

    /// Deletes finished jobs and request logs older than their retention. Runs at start and
    /// then at most hourly, after a job ends, so an idle server does no work for it.
    pub async fn prune(&self) {
        *lock(&self.inner.pruned_at) = Some(Instant::now());
        let jobs_before = self
            .inner
            .clock
            .stamp_before(self.inner.settings.job_retention);
        let logs_before = self
            .inner
            .clock
            .stamp_before(self.inner.settings.log_retention);
        let pruned = self
            .inner
            .db
            .write(move |tx| {
                let jobs = store::delete_finished(tx, Some(&jobs_before))?;
                let logs = db::logs::prune(tx, &logs_before)?;
                Ok::<_, db::Error>((jobs, logs))
            })
            .await;
        match pruned {
            Ok((0, 0)) => {}
            Ok((jobs, logs)) => tracing::info!(jobs, logs, "pruned old jobs and request logs"),
            Err(e) => tracing::warn!(error = %e, "could not prune old jobs and logs"),
        }
    }
}

/// A claimed job and its cancellation token.
type Next = Option<(Claimed, CancellationToken)>;

/// Claims the oldest due job inside `tx` and registers its token before the transaction
/// commits, so that a cancel, whose write transaction comes after, always finds it.
fn claim_in(inner: &Inner, tx: &rusqlite::Connection, now: &str) -> Result<Next, db::Error> {
    let Some(job) = store::claim(tx, now)? else {
        return Ok(None);
    };
    let token = inner.abort.child_token();
    lock(&inner.running).insert(
        job.id,
        Running {
            attempt: job.attempt,
            token: token.clone(),
            progress: 0,
            message: "Started".into(),
            saved_at: Instant::now(),
        },
    );
    Ok(Some((job, token)))
}

/// Claims the next job when chaining, unless the engine is stopping.
fn claim_next(
    inner: &Inner,
    tx: &rusqlite::Connection,
    now: &str,
    chain: bool,
) -> Result<Next, db::Error> {
    if chain && !inner.stop_claiming.is_cancelled() {
        claim_in(inner, tx, now)
    } else {
        Ok(None)
    }
}

/// What a running job sees: its input, its token, the database and a way to report progress.
#[derive(Clone)]
pub struct JobContext {
    pub id: i64,
    pub attempt: i64,
    pub input: Value,
    pub related_item_id: Option<i64>,
    pub related_list_id: Option<i64>,
    /// Cancelled when the user cancels the job or the server stops.
    pub token: CancellationToken,
    pub db: Db,
    /// AI providers and price search; every call is logged under this job.
    pub ai: Ai,
    /// Uploaded photos.
    pub uploads: Uploads,
    engine: Engine,
}

impl JobContext {
    /// Reports progress. The API sees it at once; the database gets it at most once per
    /// progress interval.
    pub async fn progress(&self, percent: u8, message: impl Into<String>) {
        let inner = &self.engine.inner;
        let message = message.into();
        let due = {
            let mut running = lock(&inner.running);
            let Some(live) = running.get_mut(&self.id) else {
                return;
            };
            live.progress = percent.min(100);
            live.message.clone_from(&message);
            let due = live.saved_at.elapsed() >= inner.settings.progress_interval;
            if due {
                live.saved_at = Instant::now();
            }
            due
        };
        if due {
            let (id, attempt, now) = (self.id, self.attempt, inner.clock.stamp());
            let percent = percent.min(100);
            let saved = inner
                .db
                .write(move |tx| store::save_progress(tx, id, attempt, percent, &message, &now))
                .await;
            if let Err(e) = saved {
                tracing::warn!(job = id, error = %e, "could not save job progress");
            }
        }
    }

    /// A step worth keeping: progress, and an entry in the job's timeline.
    pub async fn step(&self, percent: u8, message: impl Into<String>) {
        let message = message.into();
        self.event(Level::Info, message.clone()).await;
        self.progress(percent, message).await;
    }

    /// Adds an entry to the job's timeline.
    pub async fn event(&self, level: Level, message: impl Into<String>) {
        let (id, attempt) = (self.id, self.attempt);
        let (message, now) = (message.into(), self.engine.inner.clock.stamp());
        let added = self
            .db
            .write(move |tx| store::add_event(tx, id, attempt, level, &message, &now))
            .await;
        if let Err(e) = added {
            tracing::warn!(job = id, error = %e, "could not add a job event");
        }
    }
}

/// "300 s", "1.5 s", "250 ms".
fn human(d: Duration) -> String {
    if d >= Duration::from_secs(1) {
        let secs = d.as_secs_f64();
        if secs.fract() == 0.0 {
            format!("{secs:.0} s")
        } else {
            format!("{secs:.1} s")
        }
    } else {
        format!("{} ms", d.as_millis())
    }
}
