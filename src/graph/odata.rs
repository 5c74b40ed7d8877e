//! Graph's wire conventions: the OData error envelope (including Intune's JSON-inside-the-message form),
//! `Retry-After`, and collection pages.

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::Deserialize;

use super::error::GraphError;

/// One page of a collection; `next_link` is absent on the last page.
#[derive(Debug, Deserialize)]
pub(crate) struct Page<T> {
    pub value: Vec<T>,
    #[serde(rename = "@odata.nextLink")]
    pub next_link: Option<String>,
}

#[derive(Deserialize)]
struct Envelope {
    error: ODataError,
}

#[derive(Deserialize)]
struct ODataError {
    code: Option<String>,
    message: Option<String>,
    #[serde(rename = "innerError", alias = "innererror")]
    inner_error: Option<InnerError>,
}

#[derive(Deserialize)]
struct InnerError {
    #[serde(rename = "request-id")]
    request_id: Option<String>,
    #[serde(rename = "client-request-id")]
    client_request_id: Option<String>,
}

/// Intune wraps its real message in a JSON document serialised into `error.message`.
#[derive(Deserialize)]
struct IntuneMessage {
    #[serde(rename = "Message")]
    message: Option<String>,
    #[serde(rename = "RetryAfter")]
    retry_after: Option<serde_json::Value>,
}

/// Builds [`GraphError::Api`] from an error response. Works for any body: a Graph envelope, an Intune envelope,
/// or whatever a gateway in between sent (an HTML 502 page becomes the message, shortened).
pub(crate) fn api_error(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    sent_client_request_id: &str,
) -> GraphError {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let envelope = serde_json::from_slice::<Envelope>(body)
        .ok()
        .map(|e| e.error);

    let (code, raw_message, inner) = match envelope {
        Some(ODataError {
            code,
            message,
            inner_error,
        }) => (code, message, inner_error),
        None => (None, None, None),
    };
    let code = code
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| reason(status));
    let (message, intune_retry_after) = match raw_message {
        Some(m) => split_intune_message(&m),
        None => (body_as_message(body), None),
    };
    let (inner_request_id, inner_client_request_id) = inner
        .map(|i| (i.request_id, i.client_request_id))
        .unwrap_or_default();

    GraphError::Api {
        status,
        code,
        message,
        request_id: header("request-id").or(inner_request_id),
        client_request_id: header("client-request-id")
            .or(inner_client_request_id)
            .or_else(|| Some(sent_client_request_id.to_string())),
        retry_after: retry_after_header(headers).or(intune_retry_after),
    }
}

/// For an Intune message, the human text (everything before " - Operation ID") and its `RetryAfter`;
/// any other message is returned unchanged.
fn split_intune_message(message: &str) -> (String, Option<Duration>) {
    let trimmed = message.trim();
    if !trimmed.starts_with('{') {
        return (message.to_string(), None);
    }
    let Ok(intune) = serde_json::from_str::<IntuneMessage>(trimmed) else {
        return (message.to_string(), None);
    };
    let Some(full) = intune.message else {
        return (message.to_string(), None);
    };
    let human = full.split(" - Operation ID").next().unwrap_or(&full).trim();
    let human = if human.is_empty() { full.trim() } else { human };
    (
        human.to_string(),
        intune.retry_after.as_ref().and_then(intune_retry_after),
    )
}

/// Intune's `RetryAfter` is undocumented: accept seconds as a number or string, or a .NET TimeSpan "hh:mm:ss".
fn intune_retry_after(value: &serde_json::Value) -> Option<Duration> {
    match value {
        serde_json::Value::Number(n) => n
            .as_f64()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Duration::from_secs_f64),
        serde_json::Value::String(s) => seconds(s).or_else(|| timespan(s)),
        _ => None,
    }
}

fn timespan(s: &str) -> Option<Duration> {
    let mut parts = s.trim().split(':');
    let (h, m, sec) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let secs: f64 = sec.parse().ok()?;
    let total = h.parse::<u64>().ok()? * 3600 + m.parse::<u64>().ok()? * 60;
    (secs.is_finite() && secs >= 0.0)
        .then(|| Duration::from_secs(total) + Duration::from_secs_f64(secs))
}

/// `Retry-After` in delta-seconds, the form Graph uses. (The HTTP-date form is not used by Graph; when it shows
/// up we fall back to our own backoff, which is also correct, only less precise.)
pub(crate) fn retry_after_header(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(seconds)
}

fn seconds(s: &str) -> Option<Duration> {
    s.trim().parse::<u64>().ok().map(Duration::from_secs)
}

fn reason(status: u16) -> String {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("HTTP error")
        .to_string()
}

fn body_as_message(body: &[u8]) -> String {
    let text = excerpt(body);
    if text.is_empty() {
        "the response had no error details".to_string()
    } else {
        text
    }
}

/// A body shortened for an error message: enough to recognise it, never the whole of a large page.
/// An OData string literal: single quotes doubled, as `$filter` requires.
pub(crate) fn odata_string(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

pub(crate) fn excerpt(body: &[u8]) -> String {
    const LIMIT: usize = 1000;
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn parts(
        e: GraphError,
    ) -> (
        u16,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<Duration>,
    ) {
        match e {
            GraphError::Api {
                status,
                code,
                message,
                request_id,
                client_request_id,
                retry_after,
            } => (
                status,
                code,
                message,
                request_id,
                client_request_id,
                retry_after,
            ),
            other => panic!("expected an API error, got {other:?}"),
        }
    }

    #[test]
    fn an_entra_envelope_gives_code_message_and_inner_request_ids() {
        let body = br#"{"error":{"code":"Request_BadRequest","message":"Invalid value specified for property 'mailNickname'.",
            "innerError":{"date":"2025-02-13T10:17:05","request-id":"req-1","client-request-id":"cli-1"}}}"#;
        let (status, code, message, request_id, client_request_id, retry_after) =
            parts(api_error(400, &HeaderMap::new(), body, "sent"));
        assert_eq!(status, 400);
        assert_eq!(code, "Request_BadRequest");
        assert_eq!(
            message,
            "Invalid value specified for property 'mailNickname'."
        );
        assert_eq!(request_id.as_deref(), Some("req-1"));
        assert_eq!(client_request_id.as_deref(), Some("cli-1"));
        assert_eq!(retry_after, None);
    }

    #[test]
    fn the_request_id_header_wins_over_the_inner_error() {
        let body = br#"{"error":{"code":"X","message":"m","innerError":{"request-id":"inner"}}}"#;
        let (_, _, _, request_id, client_request_id, _) = parts(api_error(
            500,
            &headers(&[("request-id", "header")]),
            body,
            "sent",
        ));
        assert_eq!(request_id.as_deref(), Some("header"));
        assert_eq!(
            client_request_id.as_deref(),
            Some("sent"),
            "falls back to the id we sent"
        );
    }

    #[test]
    fn an_intune_message_is_cut_to_its_human_text() {
        let inner = "{\r\n  \"_version\": 3,\r\n  \"Message\": \"No profile found with the given id - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: 1a2b - Url: https://fef.msub06.manage.microsoft.com/x\",\r\n  \"CustomApiErrorPhrase\": \"\",\r\n  \"RetryAfter\": null,\r\n  \"ErrorSourceService\": \"\",\r\n  \"HttpHeaders\": \"{}\"\r\n}";
        let body = serde_json::json!({"error": {"code": "ResourceNotFound", "message": inner}})
            .to_string();
        let (_, code, message, _, _, retry_after) =
            parts(api_error(404, &HeaderMap::new(), body.as_bytes(), "s"));
        assert_eq!(code, "ResourceNotFound");
        assert_eq!(message, "No profile found with the given id");
        assert_eq!(retry_after, None);
    }

    #[test]
    fn intune_retry_after_is_used_when_the_header_is_absent() {
        let inner = r#"{"_version":3,"Message":"Too many requests - Operation ID (for customer support): x","RetryAfter":7}"#;
        let body =
            serde_json::json!({"error": {"code": "TooManyRequests", "message": inner}}).to_string();
        let (_, _, message, _, _, retry_after) =
            parts(api_error(429, &HeaderMap::new(), body.as_bytes(), "s"));
        assert_eq!(message, "Too many requests");
        assert_eq!(retry_after, Some(Duration::from_secs(7)));

        let (_, _, _, _, _, from_header) = parts(api_error(
            429,
            &headers(&[("retry-after", "3")]),
            body.as_bytes(),
            "s",
        ));
        assert_eq!(from_header, Some(Duration::from_secs(3)), "the header wins");
    }

    #[test]
    fn intune_retry_after_accepts_a_timespan() {
        assert_eq!(
            intune_retry_after(&serde_json::json!("00:01:05")),
            Some(Duration::from_secs(65))
        );
        assert_eq!(
            intune_retry_after(&serde_json::json!("12")),
            Some(Duration::from_secs(12))
        );
        assert_eq!(intune_retry_after(&serde_json::json!(null)), None);
    }

    #[test]
    fn a_message_that_only_looks_like_json_is_kept_whole() {
        let body = br#"{"error":{"code":"BadRequest","message":"{not json at all"}}"#;
        let (_, _, message, _, _, _) = parts(api_error(400, &HeaderMap::new(), body, "s"));
        assert_eq!(message, "{not json at all");
    }

    #[test]
    fn a_body_without_an_envelope_becomes_the_message_under_the_http_reason() {
        let (_, code, message, _, _, _) = parts(api_error(
            502,
            &HeaderMap::new(),
            b"<html>upstream</html>",
            "s",
        ));
        assert_eq!(code, "Bad Gateway");
        assert_eq!(message, "<html>upstream</html>");
        let (_, _, empty, _, _, _) = parts(api_error(504, &HeaderMap::new(), b"", "s"));
        assert_eq!(empty, "the response had no error details");
    }

    #[test]
    fn retry_after_is_read_as_seconds_and_dates_are_ignored() {
        assert_eq!(
            retry_after_header(&headers(&[("retry-after", " 5 ")])),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            retry_after_header(&headers(&[(
                "retry-after",
                "Wed, 21 Oct 2015 07:28:00 GMT"
            )])),
            None
        );
    }

    #[test]
    fn excerpts_are_bounded() {
        let long = "x".repeat(5000);
        let short = excerpt(long.as_bytes());
        assert_eq!(short.chars().count(), 1001);
        assert!(short.ends_with('…'));
    }
}
