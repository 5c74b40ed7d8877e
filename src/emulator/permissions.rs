//! Application permissions: a Graph call whose token carries none of the app roles Graph accepts for it is refused
//! with 403 before it reaches its route, in the body of the service that answers (graph-api-next.md 15). The roles
//! each call accepts come from the table the provider also reads (`rules::permissions`).
//!
//! Delegated (user) tokens are checked through their `scp` instead: Graph allows a delegated call when the token
//! carries one of the call's delegated permissions, which for most calls have the same names as the application
//! ones (the MDM enrollment scope has its own: `Policy.Read.All` / `Policy.ReadWrite.MobilityManagement`). The
//! emulator does not model the signed-in user's own directory roles, which Graph also requires.

use axum::http::{Method, StatusCode};

use super::auth::IssuedToken;
use super::odata::{ErrorReply, intune_error};
use crate::rules::permissions::{self, Requirement, Service};

/// Entra's refusal (groups, directory objects, devices; `/policies` is assumed to answer the same way).
const ENTRA_DENIED: &str = "Insufficient privileges to complete the operation.";

/// Checks the token's `roles` (or, for a delegated token, its `scp`) for `method` on `segments` (the path after the
/// version, percent-decoded).
pub fn authorize(
    method: &Method,
    segments: &[&str],
    token: &IssuedToken,
    activity_id: &str,
) -> Result<(), ErrorReply> {
    let Some(requirement) = permissions::required(method.as_str(), segments) else {
        return Ok(());
    };
    if token.is_delegated() {
        if requirement.allows_delegated(&token.scopes) {
            return Ok(());
        }
        return Err(denied(requirement, segments, &token.scopes, activity_id));
    }
    let roles = &token.roles;
    if requirement.allows(roles) {
        return Ok(());
    }
    Err(denied(requirement, segments, roles, activity_id))
}

fn denied(
    requirement: Requirement,
    segments: &[&str],
    roles: &[String],
    activity_id: &str,
) -> ErrorReply {
    match requirement.service {
        Service::Entra => ErrorReply::new(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            ENTRA_DENIED,
        ),
        Service::Intune => {
            let text = if roles.is_empty() || requirement.delegated_only() {
                // Observed (Intune-PowerShell-SDK#121) for a token without any app roles; the reference quotes only
                // the end of the sentence, the start follows Intune's usual wording.
                "Application is not authorized to perform this operation as called in app only context but does \
                 not have application permissions configured."
                    .to_string()
            } else {
                // Documented (SupportArticles "403 Forbidden error for Intune objects"): the accepted scopes in
                // documentation order; clients cut the list at " - Operation ID", which intune_error appends.
                format!(
                    "Application is not authorized to perform this operation. Application must have one of the \
                     following scopes: {}",
                    requirement.accepted.join(", ")
                )
            };
            let path = format!("/{}", segments.join("/"));
            intune_error(
                StatusCode::FORBIDDEN,
                "Forbidden",
                &text,
                &path,
                activity_id,
            )
        }
    }
}
