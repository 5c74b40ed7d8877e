//! Bounded waits for Graph's eventual consistency.
//!
//! Graph replicates writes with a delay: a group just created can answer 404 for ten seconds and more, and a
//! deleted one can still be read for a while. Retrying requests does not help with that (the request succeeded);
//! the caller instead polls until the state it needs is visible, with a gentle backoff, and gives up at its
//! deadline with an error that says what it was waiting for.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::deadline::Deadline;
use super::error::GraphError;

/// How often to poll: from `initial`, doubling, up to `cap`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollBackoff {
    pub initial: Duration,
    pub cap: Duration,
}

impl Default for PollBackoff {
    fn default() -> Self {
        PollBackoff {
            initial: Duration::from_millis(200),
            cap: Duration::from_secs(5),
        }
    }
}

/// Polls until `poll` yields `Some`, and returns it. `Ok(None)` and a 404 error both mean "not visible yet";
/// any other error ends the wait at once (transient ones were already retried by the client).
/// `what` completes the sentence "waiting for …", e.g. "group 1234 to become readable".
pub async fn wait_until<T, F, Fut>(deadline: Deadline, what: &str, poll: F) -> Result<T, GraphError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, GraphError>>,
{
    wait_until_with(deadline, what, PollBackoff::default(), poll).await
}

/// [`wait_until`] with explicit poll intervals.
pub async fn wait_until_with<T, F, Fut>(
    deadline: Deadline,
    what: &str,
    backoff: PollBackoff,
    mut poll: F,
) -> Result<T, GraphError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, GraphError>>,
{
    let started = Instant::now();
    let mut interval = backoff.initial;
    let mut polls = 0u32;
    loop {
        polls += 1;
        let last_not_found = match poll().await {
            Ok(Some(value)) => {
                if polls > 1 {
                    log::debug!(
                        "{what}: visible after {polls} polls ({} ms)",
                        started.elapsed().as_millis()
                    );
                }
                return Ok(value);
            }
            Ok(None) => None,
            Err(e) if e.is_not_found() => Some(Box::new(e)),
            Err(e) => return Err(e),
        };
        // Never sleep past the deadline: if the next poll cannot happen in time, say so now.
        if interval >= deadline.remaining() {
            return Err(GraphError::ConsistencyTimeout {
                what: what.to_string(),
                waited: started.elapsed(),
                last_error: last_not_found,
            });
        }
        tokio::time::sleep(interval).await;
        interval = (interval * 2).min(backoff.cap);
    }
}

/// Polls until the object `poll` reads is gone: `Ok(None)` or a 404. Use after a delete that Graph replicates
/// lazily, so a following create or list does not see the old object.
pub async fn wait_until_gone<T, F, Fut>(
    deadline: Deadline,
    what: &str,
    poll: F,
) -> Result<(), GraphError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, GraphError>>,
{
    wait_until_gone_with(deadline, what, PollBackoff::default(), poll).await
}

/// [`wait_until_gone`] with explicit poll intervals.
pub async fn wait_until_gone_with<T, F, Fut>(
    deadline: Deadline,
    what: &str,
    backoff: PollBackoff,
    mut poll: F,
) -> Result<(), GraphError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, GraphError>>,
{
    wait_until_with(deadline, what, backoff, || {
        let read = poll();
        async move {
            match read.await {
                Ok(Some(_)) => Ok(None),
                Ok(None) => Ok(Some(())),
                Err(e) if e.is_not_found() => Ok(Some(())),
                Err(e) => Err(e),
            }
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    const FAST: PollBackoff = PollBackoff {
        initial: Duration::from_millis(1),
        cap: Duration::from_millis(4),
    };

    fn not_found() -> GraphError {
        GraphError::Api {
            status: 404,
            code: "Request_ResourceNotFound".into(),
            message: "Resource 'g' does not exist".into(),
            request_id: None,
            client_request_id: None,
            retry_after: None,
        }
    }

    #[tokio::test]
    async fn waits_through_not_yet_visible_answers_until_the_object_appears() {
        let polls = AtomicU32::new(0);
        let value = wait_until_with(
            Deadline::after(Duration::from_secs(30)),
            "group g",
            FAST,
            || {
                let n = polls.fetch_add(1, Ordering::SeqCst);
                async move {
                    match n {
                        0 => Err(not_found()),
                        1 => Ok(None),
                        _ => Ok(Some("visible")),
                    }
                }
            },
        )
        .await
        .unwrap();
        assert_eq!(value, "visible");
        assert_eq!(polls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn gives_up_at_the_deadline_saying_what_it_waited_for() {
        let err = wait_until_with(
            Deadline::after(Duration::from_millis(30)),
            "group g to appear",
            FAST,
            || async { Ok::<Option<()>, GraphError>(None) },
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&err, GraphError::ConsistencyTimeout { what, .. } if what == "group g to appear"),
            "{err}"
        );
        assert!(err.is_timeout());
    }

    #[tokio::test]
    async fn a_404_that_never_goes_away_is_named_in_the_timeout() {
        let err = wait_until_with(
            Deadline::after(Duration::from_millis(30)),
            "group g to accept members",
            FAST,
            || async { Err::<Option<()>, _>(not_found()) },
        )
        .await
        .unwrap_err();
        assert_eq!(err.status(), Some(404));
        assert!(
            err.to_string().ends_with("the last attempt failed with: Graph returned 404 Request_ResourceNotFound: Resource 'g' does not exist"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn other_errors_end_the_wait_immediately() {
        let polls = AtomicU32::new(0);
        let err = wait_until_with(Deadline::after(Duration::from_secs(30)), "x", FAST, || {
            polls.fetch_add(1, Ordering::SeqCst);
            async { Err::<Option<()>, _>(GraphError::Transport("refused".into())) }
        })
        .await
        .unwrap_err();
        assert!(matches!(err, GraphError::Transport(_)));
        assert_eq!(polls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn waits_until_a_deleted_object_stops_answering() {
        let polls = AtomicU32::new(0);
        wait_until_gone_with(
            Deadline::after(Duration::from_secs(30)),
            "group g to go",
            FAST,
            || {
                let n = polls.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n < 2 {
                        Ok(Some("still there"))
                    } else {
                        Err(not_found())
                    }
                }
            },
        )
        .await
        .unwrap();
        assert_eq!(polls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn an_object_that_never_goes_away_times_out() {
        let err = wait_until_gone_with(
            Deadline::after(Duration::from_millis(20)),
            "group g to go",
            FAST,
            || async { Ok::<_, GraphError>(Some(1)) },
        )
        .await
        .unwrap_err();
        assert!(matches!(err, GraphError::ConsistencyTimeout { .. }));
    }
}
