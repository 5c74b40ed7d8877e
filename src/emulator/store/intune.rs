//! The two error shapes clients meet on Intune's Autopilot routes: the OData layer's plain errors (unknown
//! property, wrong JSON type, a verb with no route) and Intune's own, whose `message` is itself a JSON document
//! (`_version`, `Message` with an operation id, activity id and internal URL, ...) serialised with `\r\n`, as
//! graph-api.md section 5 shows.

use axum::http::StatusCode;

use crate::emulator::odata::{ErrorReply, INTUNE_SERVICE_PATH, intune_error};

/// Why a request failed, before it is rendered for a particular request path.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// Refused by the OData layer in front of Intune: a plain Graph error.
    OData {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    /// Refused by Intune itself.
    Intune {
        status: StatusCode,
        code: &'static str,
        text: String,
    },
}

impl Failure {
    pub fn odata(message: impl Into<String>) -> Self {
        Failure::OData {
            status: StatusCode::BAD_REQUEST,
            code: "BadRequest",
            message: message.into(),
        }
    }

    pub fn bad_request(text: impl Into<String>) -> Self {
        Failure::Intune {
            status: StatusCode::BAD_REQUEST,
            code: "BadRequest",
            text: text.into(),
        }
    }

    pub fn not_found(type_name: &str, id: &str) -> Self {
        Failure::Intune {
            status: StatusCode::NOT_FOUND,
            code: "ResourceNotFound",
            text: format!("{type_name} with id '{id}' was not found."),
        }
    }

    /// The human text, whichever shape it takes.
    pub fn text(&self) -> &str {
        match self {
            Failure::OData { message, .. } => message,
            Failure::Intune { text, .. } => text,
        }
    }

    /// The Graph error for a request to `path` (the path after the version, e.g.
    /// `/deviceManagement/windowsAutopilotDeviceIdentities/x`).
    pub fn into_graph(self, path: &str, activity_id: &str) -> ErrorReply {
        match self {
            Failure::OData {
                status,
                code,
                message,
            } => ErrorReply::new(status, code, message),
            Failure::Intune { status, code, text } => {
                intune_error(status, code, &text, path, activity_id)
            }
        }
    }
}

/// Intune's answer to a verb its OData routing has no method for (e.g. PATCH on a device identity, which the
/// metadata advertises but the service never routed). `template` is the OData path template
/// (`~/singleton/navigation/key`) and `request` the path inside the service.
pub fn no_route(template: &str, method: &str, request: &str) -> Failure {
    Failure::OData {
        status: StatusCode::BAD_REQUEST,
        code: "No method match route template",
        message: format!(
            "No OData route exists that match template {template} with http verb {method} for request \
             {INTUNE_SERVICE_PATH}{request}."
        ),
    }
}

/// The OData layer's 400 for a property the type does not have.
pub fn unknown_property(name: &str, type_name: &str) -> Failure {
    Failure::odata(format!(
        "The property '{name}' does not exist on type '{type_name}'. Make sure to only use property names that are \
         defined by the type or mark the type as open type."
    ))
}

/// The OData layer's 400 for a property sent as another JSON type than a string.
pub fn not_a_string(name: &str) -> Failure {
    Failure::odata(format!(
        "Cannot convert a value to target type 'Edm.String' because of conflict between input format string/number \
         and parameter 'IEEE754Compatible' false/true (property '{name}')."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intune_messages_are_json_with_crlf_and_name_the_path() {
        let error = Failure::bad_request("Nope").into_graph("/deviceManagement/x", "act-1");
        assert_eq!(error.code, "BadRequest");
        assert!(error.message.contains("\r\n"));
        let inner: serde_json::Value = serde_json::from_str(&error.message).unwrap();
        assert_eq!(inner["_version"], 3);
        let text = inner["Message"].as_str().unwrap();
        assert!(text.starts_with("Nope - Operation ID"), "{text}");
        assert!(text.contains("Activity ID: act-1"));
        assert!(text.contains("/deviceManagement/x?api-version="));
    }
}
