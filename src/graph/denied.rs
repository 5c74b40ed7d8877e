//! Graph's 403: the app registration lacks a permission. The refusal is turned into [`GraphError::Denied`], which
//! names the call and the application permissions Graph accepts for it, so the user knows what to grant. Intune
//! lists the accepted scopes in its message; Entra says only "Insufficient privileges", so the permission table
//! Graph documents (`rules::permissions`, the one the emulator enforces) supplies them.

use super::error::GraphError;
use crate::rules::permissions;

/// Where Intune's message lists the scopes it accepts ("... Application must have one of the following scopes:
/// A, B"); the client already cut the message at " - Operation ID".
const INTUNE_SCOPES: &str = "one of the following scopes:";

/// `error` (a 403 answer to `method` on `path`) as a [`GraphError::Denied`]; other errors unchanged.
pub(crate) fn denied(method: &str, path: &str, error: GraphError) -> GraphError {
    let GraphError::Api {
        status: 403,
        message,
        ..
    } = &error
    else {
        return error;
    };
    let call_path = after_version(path);
    let permissions = listed_scopes(message).unwrap_or_else(|| {
        permissions::required_for_path(method, call_path)
            .map(|requirement| requirement.accepted.iter().map(|r| r.to_string()).collect())
            .unwrap_or_default()
    });
    GraphError::Denied {
        call: format!("{method} {path}"),
        permissions,
        error: Box::new(error),
    }
}

/// The path from the API version on (`/v1.0/groups`), whatever root the Graph endpoint has.
fn after_version(path: &str) -> &str {
    ["/v1.0/", "/beta/"]
        .iter()
        .filter_map(|version| path.find(version))
        .min()
        .map_or(path, |at| &path[at..])
}

fn listed_scopes(message: &str) -> Option<Vec<String>> {
    let (_, list) = message.split_once(INTUNE_SCOPES)?;
    let scopes: Vec<String> = list
        .split(',')
        .map(|scope| scope.trim().trim_end_matches('.').to_string())
        .filter(|scope| !scope.is_empty())
        .collect();
    (!scopes.is_empty()).then_some(scopes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forbidden(code: &str, message: &str) -> GraphError {
        GraphError::Api {
            status: 403,
            code: code.into(),
            message: message.into(),
            request_id: Some("r-1".into()),
            client_request_id: None,
            retry_after: None,
        }
    }

    #[test]
    fn an_entra_refusal_names_the_call_and_the_documented_permission() {
        let error = denied(
            "POST",
            "/v1.0/groups",
            forbidden(
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            ),
        );
        let text = error.to_string();
        assert!(
            text.starts_with(
                "Graph refused POST /v1.0/groups: the app registration lacks the application permission \
                 Group.Create (or one of Group.ReadWrite.All, Directory.ReadWrite.All)"
            ),
            "{text}"
        );
        assert!(text.contains("admin consent"), "{text}");
        assert!(
            text.ends_with(
                "Graph returned 403 Authorization_RequestDenied: Insufficient privileges to complete the \
                 operation. (request-id: r-1)"
            ),
            "{text}"
        );
        assert_eq!(error.status(), Some(403));
        assert_eq!(error.code(), Some("Authorization_RequestDenied"));
        assert_eq!(error.request_id(), Some("r-1"));
    }

    #[test]
    fn an_intune_refusal_names_the_scopes_its_message_lists() {
        let error = denied(
            "GET",
            "/root/beta/deviceManagement/windowsAutopilotDeviceIdentities",
            forbidden(
                "Forbidden",
                "Application is not authorized to perform this operation. Application must have one of the \
                 following scopes: DeviceManagementServiceConfiguration.Read.All, DeviceManagementServiceConfig.ReadWrite.All",
            ),
        );
        assert!(matches!(&error, GraphError::Denied { permissions, .. }
            if permissions == &["DeviceManagementServiceConfiguration.Read.All", "DeviceManagementServiceConfig.ReadWrite.All"]));
        let without_list = denied(
            "GET",
            "/root/beta/deviceManagement/windowsAutopilotDeviceIdentities",
            forbidden(
                "Forbidden",
                "Application is not authorized to perform this operation as called in app only context.",
            ),
        );
        assert!(
            without_list.to_string().contains(
                "lacks the application permission DeviceManagementServiceConfig.Read.All"
            ),
            "{without_list}"
        );
    }

    #[test]
    fn other_errors_and_unknown_calls_stay_plain_or_say_what_is_known() {
        let not_found = GraphError::Api {
            status: 404,
            code: "Request_ResourceNotFound".into(),
            message: "gone".into(),
            request_id: None,
            client_request_id: None,
            retry_after: None,
        };
        assert!(matches!(
            denied("GET", "/v1.0/groups", not_found),
            GraphError::Api { .. }
        ));
        let unknown = denied(
            "GET",
            "/v1.0/users",
            forbidden("Authorization_RequestDenied", "No."),
        );
        assert!(
            unknown
                .to_string()
                .contains("needs a permission the app registration lacks"),
            "{unknown}"
        );
    }
}
