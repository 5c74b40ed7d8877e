//! The shape of Graph's answers: the OData error envelope, the headers every response carries, and the JSON
//! annotations (`@odata.context`). Handlers return a [`Reply`] or an [`ErrorReply`]; [`finish`] turns either into an
//! HTTP response with the request ids Graph always sends, so no handler can forget them.

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::clock::Now;

/// Graph's JSON content type, parameters and all, as real responses carry it.
pub const JSON_CONTENT_TYPE: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// The Graph API version a request addressed (`/v1.0/...` or `/beta/...`). Some properties and routes exist only in
/// beta.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    V1,
    Beta,
}

impl ApiVersion {
    pub fn parse(segment: &str) -> Option<Self> {
        match segment {
            "v1.0" => Some(ApiVersion::V1),
            "beta" => Some(ApiVersion::Beta),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1.0",
            ApiVersion::Beta => "beta",
        }
    }
}

/// The message Entra uses for any by-id miss, including objects that exist but have not replicated yet.
pub fn resource_not_found(id: &str) -> ErrorReply {
    ErrorReply::new(
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        format!(
            "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
        ),
    )
}

/// An error answer as Graph sends it (status, code, message), rendered in the OData envelope: the failing
/// counterpart of [`Reply`]. Not the provider's `graph::error::ErrorReply`, which is what a client makes of one.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorReply {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// Seconds for a `Retry-After` header (throttling and injected 429s).
    pub retry_after: Option<u64>,
    /// 401s from the gateway carry a `WWW-Authenticate` challenge.
    pub challenge: bool,
}

impl ErrorReply {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ErrorReply {
            status,
            code: code.to_string(),
            message: message.into(),
            retry_after: None,
            challenge: false,
        }
    }

    /// Entra's generic 400 for invalid input.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ErrorReply::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
    }

    /// Entra's 400 for query forms it does not support (or supports only as advanced queries).
    pub fn unsupported_query(message: impl Into<String>) -> Self {
        ErrorReply::new(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery", message)
    }

    /// The gateway's 401 for a missing, unknown or expired bearer token.
    pub fn invalid_token(message: impl Into<String>) -> Self {
        ErrorReply {
            challenge: true,
            ..ErrorReply::new(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                message,
            )
        }
    }

    /// The same error under another code (e.g. `Directory_ExpiredPageToken`).
    pub fn with_code(mut self, code: &str) -> Self {
        self.code = code.to_string();
        self
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }
}

/// A successful answer before the common headers are added.
#[derive(Debug)]
pub enum Reply {
    /// A JSON body with its status and any extra headers (e.g. `Location` on create).
    Json {
        status: StatusCode,
        body: Value,
        headers: Vec<(HeaderName, String)>,
    },
    /// 204, as PATCH, DELETE and `$ref` writes answer.
    NoContent,
    /// A plain-text body (`/$count`).
    Text(String),
}

impl Reply {
    pub fn ok(body: Value) -> Self {
        Reply::Json {
            status: StatusCode::OK,
            body,
            headers: Vec::new(),
        }
    }

    pub fn created(body: Value, location: String) -> Self {
        Reply::Json {
            status: StatusCode::CREATED,
            body,
            headers: vec![(header::LOCATION, location)],
        }
    }
}

/// What a response is labelled with: Graph's own `request-id`, the caller's `client-request-id` echoed back (or, like
/// Graph, a generated one when the caller sent none), and when the request arrived (an error's `innerError.date`).
#[derive(Debug, Clone)]
pub struct RequestIds {
    pub request_id: String,
    pub client_request_id: String,
    pub received: Now,
}

/// Builds the HTTP response for a Graph request (not the token endpoint, which speaks Entra's own error format).
pub fn finish(result: Result<Reply, ErrorReply>, ids: &RequestIds) -> Response {
    let (status, body, extra_headers, content_type) = match result {
        Ok(Reply::Json {
            status,
            body,
            headers,
        }) => (status, body.to_string(), headers, JSON_CONTENT_TYPE),
        Ok(Reply::NoContent) => (StatusCode::NO_CONTENT, String::new(), Vec::new(), ""),
        Ok(Reply::Text(text)) => (StatusCode::OK, text, Vec::new(), "text/plain"),
        Err(error) => {
            let mut headers = Vec::new();
            if let Some(seconds) = error.retry_after {
                headers.push((header::RETRY_AFTER, seconds.to_string()));
            }
            if error.challenge {
                headers.push((
                    header::WWW_AUTHENTICATE,
                    "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", \
                     client_id=\"00000003-0000-0000-c000-000000000000\""
                        .to_string(),
                ));
            }
            (
                error.status,
                error_body(&error, ids).to_string(),
                headers,
                JSON_CONTENT_TYPE,
            )
        }
    };
    let mut response = Response::new(axum::body::Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if !content_type.is_empty() {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(
            HeaderName::from_static("odata-version"),
            HeaderValue::from_static("4.0"),
        );
    }
    add_request_ids(headers, ids);
    for (name, value) in extra_headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}

/// `request-id`, `client-request-id` and Graph's diagnostic header, on every Graph response.
pub fn add_request_ids(headers: &mut HeaderMap, ids: &RequestIds) {
    for (name, value) in [
        ("request-id", ids.request_id.as_str()),
        ("client-request-id", ids.client_request_id.as_str()),
        (
            "x-ms-ags-diagnostic",
            r#"{"ServerInfo":{"DataCenter":"Local","Slice":"E","Ring":"0","ScaleUnit":"000","RoleInstance":"graph-emulator"}}"#,
        ),
    ] {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
}

/// The OData error envelope with `innerError{date, request-id, client-request-id}`.
pub fn error_body(error: &ErrorReply, ids: &RequestIds) -> Value {
    json!({
        "error": {
            "code": error.code,
            "message": error.message,
            "innerError": {
                "date": ids.received.inner_error_date(),
                "request-id": ids.request_id,
                "client-request-id": ids.client_request_id,
            }
        }
    })
}

/// Intune's internal service path for enrollment objects, as its URLs and routing errors name it.
pub const INTUNE_SERVICE_PATH: &str = "/DeviceEnrollmentFE/StatelessDeviceEnrollmentFEService";

/// Intune's error: code `BadRequest`/`ResourceNotFound`/..., and a message that is itself a JSON document
/// (serialised with `\r\n`) wrapping the human text, an operation id, an activity id and the service URL. Clients
/// have to dig the text out, so the emulator must send exactly this shape.
pub fn intune_error(
    status: StatusCode,
    code: &str,
    text: &str,
    path: &str,
    activity_id: &str,
) -> ErrorReply {
    intune_error_with_retry(status, code, text, path, activity_id, None)
}

/// [`intune_error`] with Intune's own retry hint: the document's `RetryAfter` (null everywhere else), which some
/// Intune endpoints send instead of a `Retry-After` header (graph-api.md section 5, observed). Its format is not
/// documented; the emulator writes a .NET TimeSpan, `"hh:mm:ss"`.
pub fn intune_error_with_retry(
    status: StatusCode,
    code: &str,
    text: &str,
    path: &str,
    activity_id: &str,
    retry_after_seconds: Option<u64>,
) -> ErrorReply {
    let retry_after = match retry_after_seconds {
        Some(seconds) => serde_json::json!(format!(
            "{:02}:{:02}:{:02}",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        )),
        None => Value::Null,
    };
    let full = format!(
        "{text} - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: \
         {activity_id} - Url: https://fef.msub06.manage.microsoft.com{INTUNE_SERVICE_PATH}{path}\
         ?api-version=5025-03-07"
    );
    let message = serde_json::json!({
        "_version": 3,
        "Message": full,
        "CustomApiErrorPhrase": "",
        "RetryAfter": retry_after,
        "ErrorSourceService": "",
        "HttpHeaders": "{}",
    });
    // Intune writes its fields in this order; serde_json keeps insertion order only with preserve_order, so
    // the document is laid out by hand from the values serde_json escapes.
    let field = |name: &str| format!("  \"{name}\": {}", message[name]);
    let body = [
        "_version",
        "Message",
        "CustomApiErrorPhrase",
        "RetryAfter",
        "ErrorSourceService",
        "HttpHeaders",
    ]
    .map(field)
    .join(",\r\n");
    ErrorReply::new(status, code, format!("{{\r\n{body}\r\n}}"))
}
