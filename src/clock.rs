//! Time as the app sees it. Everything that stamps or schedules rows asks a `Clock`, so tests
//! can step time instead of waiting for it. Timestamps are RFC 3339 UTC text with milliseconds,
//! the same format SQLite's `strftime('%Y-%m-%dT%H:%M:%fZ')` writes, so they compare as text.

use std::fmt::Debug;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

const FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

const TEN_YEARS: Duration = Duration::from_secs(10 * 366 * 86_400);

pub trait Clock: Send + Sync + Debug {
    fn now(&self) -> OffsetDateTime;

    /// Now, as a timestamp.
    fn stamp(&self) -> String {
        format(self.now())
    }

    /// `after` from now (at most ten years), as a timestamp.
    fn stamp_after(&self, after: Duration) -> String {
        format(self.now() + after.min(TEN_YEARS))
    }

    /// `before` ago (at most ten years), as a timestamp.
    fn stamp_before(&self, before: Duration) -> String {
        format(self.now() - before.min(TEN_YEARS))
    }

    /// How long until `stamp`; zero when it has passed or cannot be read.
    fn until(&self, stamp: &str) -> Duration {
        parse(stamp)
            .map(|at| (at - self.now()).try_into().unwrap_or(Duration::ZERO))
            .unwrap_or(Duration::ZERO)
    }
}

pub type SharedClock = Arc<dyn Clock>;

/// The real time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// Time that moves only when told to, for tests.
#[derive(Debug)]
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    /// Starts at the current time, cut to whole milliseconds like the stamps.
    pub fn new() -> Self {
        let now = OffsetDateTime::now_utc();
        let millis = now.nanosecond() / 1_000_000 * 1_000_000;
        Self(Mutex::new(now.replace_nanosecond(millis).unwrap_or(now)))
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub fn format(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    at.format(FORMAT)
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000Z".to_string())
}

pub fn parse(stamp: &str) -> Option<OffsetDateTime> {
    time::PrimitiveDateTime::parse(stamp, FORMAT)
        .ok()
        .map(|t| t.assume_utc())
}

/// Any RFC 3339 time (`2026-12-01T08:00:00Z`, `…+02:00`, with or without fractions).
pub fn parse_rfc3339(text: &str) -> Option<OffsetDateTime> {
    parse(text).or_else(|| {
        OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_round_trip_and_sort() {
        let clock = ManualClock::new();
        let a = clock.stamp();
        clock.advance(Duration::from_millis(1500));
        let b = clock.stamp();
        assert!(a < b);
        assert_eq!(a.len(), "2026-01-31T12:00:00.000Z".len());
        assert!(b.ends_with('Z'));
        assert_eq!(format(parse(&b).unwrap()), b);
        assert_eq!(clock.until(&a), Duration::ZERO);
        let later = clock.stamp_after(Duration::from_secs(30));
        assert_eq!(clock.until(&later), Duration::from_secs(30));
    }

    #[test]
    fn matches_sqlite_format() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let sqlite: String = conn
            .query_row("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert!(parse(&sqlite).is_some(), "{sqlite}");
    }
}
