//! Schema versions. Step 1 is `schema.sql`; every later change is appended to `STEPS` and
//! never edited once shipped. `PRAGMA user_version` records how many steps a database has.

use rusqlite::{Connection, TransactionBehavior};

use super::Error;

const STEPS: &[&str] = &[include_str!("../../schema.sql")];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = STEPS.len() as i64;

/// Applies every step the database lacks, each in its own transaction. Two processes starting
/// at once are safe: the version is read inside the write transaction.
pub fn apply(conn: &mut Connection) -> Result<(), Error> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(Error::TooNew {
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        let Some(step) = usize::try_from(version).ok().and_then(|v| STEPS.get(v)) else {
            return Ok(());
        };
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
        tracing::info!(version = version + 1, "database schema updated");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_once_and_is_idempotent() {
        let mut conn = Connection::open_in_memory().unwrap();
        apply(&mut conn).unwrap();
        apply(&mut conn).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
    }

    #[test]
    fn refuses_a_newer_database() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        assert!(matches!(apply(&mut conn), Err(Error::TooNew { .. })));
    }
}
