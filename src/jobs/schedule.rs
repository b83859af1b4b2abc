//! The daily price refresh: when turned on in Settings, every unpurchased item of the active
//! lists gets a price refresh once a day at the chosen local time. The refreshes are spread
//! out (one every 30 s) so the AI and price-search services are not flooded, and items that
//! already have an active job are skipped. Between runs the task sleeps; it touches the
//! database only when a run is due or the setting changes.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{OffsetDateTime, Time, UtcOffset};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::{CreateJob, Engine};
use crate::db::{self, Db};

/// The settings key.
pub const SETTING: &str = "daily_refresh";

/// Time between two refreshes of one run.
pub const SPREAD: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyRefresh {
    pub enabled: bool,
    /// Local time of day, "HH:MM".
    pub time: String,
}

impl Default for DailyRefresh {
    fn default() -> Self {
        Self {
            enabled: false,
            time: "06:00".into(),
        }
    }
}

impl DailyRefresh {
    pub fn from_setting(value: Option<&Value>) -> Self {
        value
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .filter(|d: &DailyRefresh| parse_time(&d.time).is_some())
            .unwrap_or_default()
    }
}

/// "06:30" → 06:30.
pub fn parse_time(text: &str) -> Option<Time> {
    let (hour, minute) = text.trim().split_once(':')?;
    if hour.len() != 2 || minute.len() != 2 {
        return None;
    }
    Time::from_hms(hour.parse().ok()?, minute.parse().ok()?, 0).ok()
}

/// The first moment after `now` at which the local clock (at `offset`) reads `at`.
pub fn next_run(now: OffsetDateTime, offset: UtcOffset, at: Time) -> OffsetDateTime {
    let local = now.to_offset(offset);
    let today = local.replace_time(at);
    if today > local {
        today
    } else {
        today + time::Duration::days(1)
    }
}

/// Wakes the schedule when its setting changes.
#[derive(Debug, Clone, Default)]
pub struct Schedule {
    changed: Arc<Notify>,
}

impl Schedule {
    pub fn changed(&self) {
        self.changed.notify_waiters();
    }

    /// Runs until `stop`: waits for the daily time (or a change of the setting) and queues the
    /// refreshes. `daily` is the setting as read at start.
    pub async fn run(
        self,
        engine: Engine,
        db: Db,
        offset: UtcOffset,
        stop: CancellationToken,
        mut daily: DailyRefresh,
    ) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let wait = match parse_time(&daily.time).filter(|_| daily.enabled) {
                Some(at) => {
                    let now = engine.clock().now();
                    let next = next_run(now, offset, at);
                    Some((next - now).try_into().unwrap_or(Duration::ZERO))
                }
                None => None,
            };
            tokio::select! {
                () = &mut changed => {}
                () = stop.cancelled() => break,
                () = tokio::time::sleep(wait.unwrap_or_default()), if wait.is_some() => {
                    match queue_refreshes(&engine, &db).await {
                        Ok(n) => tracing::info!(items = n, "daily price refresh queued"),
                        Err(e) => tracing::warn!(error = %e, "could not queue the daily price refresh"),
                    }
                }
            }
            daily = load(&db).await;
        }
    }
}

/// The daily refresh setting; the default (off) when it cannot be read.
pub async fn load(db: &Db) -> DailyRefresh {
    match db.call(|c| db::settings::get(c, SETTING)).await {
        Ok(value) => DailyRefresh::from_setting(value.as_ref()),
        Err(e) => {
            tracing::warn!(error = %e, "could not read the daily refresh setting");
            DailyRefresh::default()
        }
    }
}

/// Queues a price refresh for every unpurchased item of an active list that has no active
/// job, one every `SPREAD`; returns how many were queued.
pub async fn queue_refreshes(engine: &Engine, db: &Db) -> Result<usize, db::Error> {
    let items: Vec<(i64, i64)> = db
        .call(|c| {
            let mut stmt = c.prepare(
                "SELECT i.id, i.list_id FROM items i JOIN lists l ON l.id = i.list_id
                 WHERE l.is_active AND NOT i.is_purchased
                   AND NOT EXISTS (SELECT 1 FROM ai_jobs j WHERE j.related_item_id = i.id
                                   AND j.status IN ('pending', 'processing'))
                 ORDER BY i.id",
            )?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            Ok::<_, db::Error>(rows)
        })
        .await?;
    let mut queued = 0;
    for (n, (item, list)) in items.into_iter().enumerate() {
        let request = CreateJob {
            job_type: "price_refresh".into(),
            input: Value::Object(Default::default()),
            related_item_id: Some(item),
            related_list_id: Some(list),
        };
        let delay = SPREAD * u32::try_from(n).unwrap_or(u32::MAX);
        match engine.enqueue_after(request, delay).await {
            Ok(_) => queued += 1,
            // An item deleted meanwhile is simply skipped.
            Err(e) => tracing::debug!(item, error = %e, "daily refresh skipped an item"),
        }
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{datetime, offset, time};

    #[test]
    fn times_are_read_strictly() {
        assert_eq!(parse_time("06:30"), Some(time!(06:30)));
        assert_eq!(parse_time("23:59"), Some(time!(23:59)));
        for bad in ["6:30", "24:00", "12:60", "noon", "12-30", ""] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_next_run_is_in_local_time() {
        let now = datetime!(2026-12-04 15:00 UTC);
        // 06:30 in UTC+2 is 04:30 UTC: already past today, so tomorrow.
        assert_eq!(
            next_run(now, offset!(+2), time!(06:30)),
            datetime!(2026-12-05 06:30 +2)
        );
        // 18:00 in UTC-5 is 23:00 UTC today.
        assert_eq!(
            next_run(now, offset!(-5), time!(18:00)),
            datetime!(2026-12-04 18:00 -5)
        );
        // Exactly now means the next day.
        assert_eq!(
            next_run(now, offset!(UTC), time!(15:00)),
            datetime!(2026-12-05 15:00 UTC)
        );
    }
}
