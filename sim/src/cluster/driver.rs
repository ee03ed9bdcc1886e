//! The loop every simulated controller runs: a pass over everything it owns, then sleep until
//! one of the kinds it reads changes or its earliest deadline comes, whichever is first.
//! Bursts of events are gathered for a moment so one pass handles them all.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

/// How long to gather events after the first one wakes a controller.
pub const DEBOUNCE: Duration = Duration::from_millis(15);
/// A pass that failed is retried after this long even if nothing changes.
pub const RETRY: Duration = Duration::from_secs(1);
/// The longest sleep without a wake-up, as a safety net against a missed event.
pub const RESYNC: Duration = Duration::from_secs(30);

/// What a pass asks of the loop.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Next {
    pub requeue_after: Option<Duration>,
}

impl Next {
    /// Keeps the earlier of two deadlines.
    pub fn merge(&mut self, requeue_after: Option<Duration>) {
        self.requeue_after = match (self.requeue_after, requeue_after) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }

    pub fn retry(&mut self) {
        self.merge(Some(RETRY));
    }
}

/// Runs `pass` forever, woken by `triggers` or its own requeue time.
pub async fn run<F, Fut>(mut triggers: Vec<watch::Receiver<u64>>, mut pass: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Next>,
{
    loop {
        for trigger in triggers.iter_mut() {
            trigger.borrow_and_update();
        }
        let next = pass().await;
        let sleep = next.requeue_after.unwrap_or(RESYNC).min(RESYNC);
        let changed = futures::future::select_all(triggers.iter_mut().map(|t| Box::pin(t.changed())));
        tokio::select! {
            (result, _, _) = changed => {
                if result.is_err() {
                    // A reflector is gone (the cluster is stopping): do not spin.
                    tokio::time::sleep(RETRY).await;
                }
                tokio::time::sleep(DEBOUNCE).await;
            }
            _ = tokio::time::sleep(sleep) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_the_earliest_deadline() {
        let mut next = Next::default();
        next.merge(None);
        assert_eq!(next.requeue_after, None);
        next.merge(Some(Duration::from_secs(5)));
        next.merge(Some(Duration::from_secs(2)));
        next.merge(None);
        assert_eq!(next.requeue_after, Some(Duration::from_secs(2)));
        next.retry();
        assert_eq!(next.requeue_after, Some(RETRY));
    }

    #[tokio::test]
    async fn a_change_wakes_the_loop_and_deadlines_fire() {
        let (signal, changes) = watch::channel(0u64);
        let (passes_tx, mut passes) = tokio::sync::mpsc::unbounded_channel();
        let task = tokio::spawn(run(vec![changes], move || {
            let passes_tx = passes_tx.clone();
            async move {
                let _ = passes_tx.send(());
                Next::default()
            }
        }));
        let timeout = Duration::from_secs(5);
        assert!(
            tokio::time::timeout(timeout, passes.recv()).await.is_ok(),
            "first pass"
        );
        signal.send_modify(|n| *n += 1);
        assert!(
            tokio::time::timeout(timeout, passes.recv()).await.is_ok(),
            "woken by a change"
        );
        task.abort();
    }
}
