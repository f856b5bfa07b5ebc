//! Background deletion of expired rows (SPEC §10: "Expired rows are purged in the
//! background"). Purging is housekeeping only: reads already treat expired rows as absent.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use writ_core::ports::{Clock, Store};

/// Run [`Store::purge_expired`] now and then every `every` (a zero period counts as one
/// second), with `now` from `clock`. Failures and panics of a sweep are logged and the next
/// sweep goes ahead; the task only ends when aborted.
pub fn spawn_purger(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    every: Duration,
) -> JoinHandle<()> {
    let period = if every.is_zero() {
        Duration::from_secs(1)
    } else {
        every
    };
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let now = clock.now();
            let sweep = {
                let store = Arc::clone(&store);
                // A task of its own, so even a panic inside the store ends only this sweep.
                tokio::spawn(async move { store.purge_expired(now).await })
            };
            match sweep.await {
                Ok(Ok(0)) => tracing::debug!(now, "purge: nothing expired"),
                Ok(Ok(rows)) => tracing::info!(now, rows, "purge: expired rows deleted"),
                Ok(Err(error)) => tracing::warn!(now, %error, "purge failed; will retry"),
                Err(error) if error.is_cancelled() => return,
                Err(error) => tracing::error!(now, %error, "purge panicked; will retry"),
            }
        }
    })
}
