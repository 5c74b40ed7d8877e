//! What can go wrong talking to Graph, as one enum the provider turns into diagnostics.
//!
//! Each variant's `Display` is a complete sentence a Terraform user can act on: Graph's own code and message, and
//! the request-id Microsoft support asks for. Nothing here ever holds a token or a client secret, so errors can be
//! logged and shown freely.

use std::fmt;
use std::time::Duration;

/// An error from the Graph client.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// Graph answered with an error status and (usually) an OData error envelope.
    #[error("Graph returned {status} {code}: {message}{}", request_id_suffix(request_id.as_deref()))]
    Api {
        status: u16,
        /// Graph's `error.code`, e.g. `Request_ResourceNotFound`; the HTTP reason when the body had no envelope.
        code: String,
        /// Graph's `error.message`; for Intune's JSON-encoded messages, only the human text.
        message: String,
        request_id: Option<String>,
        client_request_id: Option<String>,
        /// How long Graph asked us to wait (`Retry-After`, or `RetryAfter` inside an Intune message).
        retry_after: Option<Duration>,
    },
    /// The token endpoint refused to issue a token (`error` and `error_description`, which carries the AADSTS code).
    #[error("authentication with Entra ID failed{}: {code}: {description}", status_suffix(*status))]
    Auth {
        status: Option<u16>,
        code: String,
        description: String,
    },
    /// No HTTP answer: connection refused or reset, DNS, TLS, or no response in time for one attempt.
    #[error("network error: {0}")]
    Transport(String),
    /// Graph answered successfully but the body was not what the API promises.
    #[error("could not decode Graph's response ({error}); the response was: {body}")]
    Decode { body: String, error: String },
    /// The operation's deadline passed; carries the error of the last attempt, if there was one.
    #[error("the operation timed out{}", last_error_suffix(last_error.as_deref()))]
    Timeout { last_error: Option<Box<GraphError>> },
    /// A bounded wait for Graph's eventual consistency ran out (`what` describes the awaited state);
    /// `last_error` is the last "not there yet" answer, when there was one (a 404 that never went away).
    #[error(
        "timed out after {} waiting for {what} (Graph replicates changes with a delay; a longer timeout may help){}",
        humanize(*waited),
        last_error_suffix(last_error.as_deref())
    )]
    ConsistencyTimeout {
        what: String,
        waited: Duration,
        last_error: Option<Box<GraphError>>,
    },
    /// An object was created but a follow-up step of the same create failed; `id` lets the caller record the
    /// object in state so it is not orphaned.
    #[error("created {id}, but completing it failed: {error}")]
    PartialCreate { id: String, error: Box<GraphError> },
    /// Graph refused the call with 403: the app registration lacks a permission. `call` is the method and path;
    /// `permissions` are the application permissions Graph accepts for it, least privileged first (any one will
    /// do; empty when none is known, e.g. a call that supports delegated access only).
    #[error("Graph refused {call}: {}; {error}", missing_permission(permissions))]
    Denied {
        call: String,
        permissions: Vec<String>,
        error: Box<GraphError>,
    },
    /// The client configuration (endpoints, credentials) or a request path is unusable.
    #[error("{0}")]
    InvalidConfig(String),
    /// The caller abandoned the operation before it finished (e.g. the user pressed Ctrl-C).
    #[error("interrupted before it finished: the operation was cancelled")]
    Cancelled,
}

impl GraphError {
    /// Whether Graph said the object does not exist (404), directly or as the last error before a timeout.
    pub fn is_not_found(&self) -> bool {
        match self {
            GraphError::Api { status, .. } => *status == 404,
            _ => false,
        }
    }

    /// Whether the operation ran out of time (its deadline, or a consistency wait).
    pub fn is_timeout(&self) -> bool {
        matches!(
            self,
            GraphError::Timeout { .. } | GraphError::ConsistencyTimeout { .. }
        )
    }

    /// The HTTP status Graph or the token endpoint answered with; for a timeout, that of the last attempt.
    pub fn status(&self) -> Option<u16> {
        match self {
            GraphError::Api { status, .. } => Some(*status),
            GraphError::Auth { status, .. } => *status,
            _ => self.underlying().and_then(GraphError::status),
        }
    }

    /// Graph's error code (`error.code`, or the token endpoint's `error`).
    pub fn code(&self) -> Option<&str> {
        match self {
            GraphError::Api { code, .. } | GraphError::Auth { code, .. } => Some(code),
            _ => self.underlying().and_then(GraphError::code),
        }
    }

    /// Graph's request-id for support cases; for a timeout, that of the last attempt.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            GraphError::Api { request_id, .. } => request_id.as_deref(),
            _ => self.underlying().and_then(GraphError::request_id),
        }
    }

    /// The error a timeout, a partial create or a refusal wraps, whose status, code and request-id it reports.
    fn underlying(&self) -> Option<&GraphError> {
        match self {
            GraphError::Timeout { last_error }
            | GraphError::ConsistencyTimeout { last_error, .. } => last_error.as_deref(),
            GraphError::PartialCreate { error, .. } | GraphError::Denied { error, .. } => {
                Some(error)
            }
            _ => None,
        }
    }

    /// The id of an object that exists despite the error (see [`GraphError::PartialCreate`]).
    pub fn created_id(&self) -> Option<&str> {
        match self {
            GraphError::PartialCreate { id, .. } => Some(id),
            _ => None,
        }
    }
}

/// What a 403 means for the user: which permission to grant the app registration.
fn missing_permission(permissions: &[String]) -> String {
    let fix = "add it to the app registration's API permissions (Microsoft Graph, application) and grant admin consent";
    match permissions {
        [] => "the call needs a permission the app registration lacks (or supports delegated access only)"
            .to_string(),
        [only] => format!("the app registration lacks the application permission {only}: {fix}"),
        [least, others @ ..] => format!(
            "the app registration lacks the application permission {least} (or one of {}): {fix}",
            others.join(", ")
        ),
    }
}

fn request_id_suffix(request_id: Option<&str>) -> String {
    request_id
        .map(|id| format!(" (request-id: {id})"))
        .unwrap_or_default()
}

fn status_suffix(status: Option<u16>) -> String {
    status.map(|s| format!(" (HTTP {s})")).unwrap_or_default()
}

fn last_error_suffix(last_error: Option<&GraphError>) -> String {
    last_error
        .map(|e| format!("; the last attempt failed with: {e}"))
        .unwrap_or_default()
}

/// Durations in the words a user reads in a diagnostic ("1m30s", "800ms").
fn humanize(d: Duration) -> impl fmt::Display {
    struct Human(Duration);
    impl fmt::Display for Human {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let secs = self.0.as_secs();
            if secs == 0 {
                write!(f, "{}ms", self.0.as_millis())
            } else if secs < 60 {
                write!(f, "{secs}s")
            } else {
                write!(f, "{}m{}s", secs / 60, secs % 60)
            }
        }
    }
    Human(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, code: &str, request_id: Option<&str>) -> GraphError {
        GraphError::Api {
            status,
            code: code.into(),
            message: "Resource 'x' does not exist.".into(),
            request_id: request_id.map(String::from),
            client_request_id: None,
            retry_after: None,
        }
    }

    #[test]
    fn api_errors_read_as_one_sentence_with_the_request_id() {
        let e = api(404, "Request_ResourceNotFound", Some("abc-123"));
        assert_eq!(
            e.to_string(),
            "Graph returned 404 Request_ResourceNotFound: Resource 'x' does not exist. (request-id: abc-123)"
        );
    }

    #[test]
    fn a_timeout_names_its_last_error_and_exposes_its_request_id() {
        let e = GraphError::Timeout {
            last_error: Some(Box::new(api(503, "ServiceUnavailable", Some("r-9")))),
        };
        assert!(e.to_string().starts_with(
            "the operation timed out; the last attempt failed with: Graph returned 503"
        ));
        assert_eq!(e.request_id(), Some("r-9"));
        assert_eq!(e.status(), Some(503));
        assert!(e.is_timeout());
        assert!(!e.is_not_found());
    }

    #[test]
    fn only_a_404_is_not_found() {
        assert!(api(404, "Request_ResourceNotFound", None).is_not_found());
        assert!(!api(400, "Request_BadRequest", None).is_not_found());
        assert!(!GraphError::Transport("reset".into()).is_not_found());
    }

    #[test]
    fn auth_errors_carry_the_aadsts_description() {
        let e = GraphError::Auth {
            status: Some(401),
            code: "invalid_client".into(),
            description: "AADSTS7000215: Invalid client secret provided.".into(),
        };
        assert_eq!(
            e.to_string(),
            "authentication with Entra ID failed (HTTP 401): invalid_client: AADSTS7000215: Invalid client secret provided."
        );
    }

    #[test]
    fn consistency_timeouts_say_what_was_awaited_and_for_how_long() {
        let e = GraphError::ConsistencyTimeout {
            what: "group g1 to appear".into(),
            waited: Duration::from_secs(90),
            last_error: None,
        };
        assert!(
            e.to_string()
                .starts_with("timed out after 1m30s waiting for group g1 to appear"),
            "{e}"
        );
    }

    #[test]
    fn a_partial_create_keeps_the_id_and_the_cause() {
        let e = GraphError::PartialCreate {
            id: "g1".into(),
            error: Box::new(api(400, "Request_BadRequest", Some("r"))),
        };
        assert_eq!(e.created_id(), Some("g1"));
        assert_eq!(e.code(), Some("Request_BadRequest"));
        assert_eq!(e.request_id(), Some("r"));
    }
}
