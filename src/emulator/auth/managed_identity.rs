//! Managed identity, in its two documented forms ("How to use managed identities for Azure resources on an Azure VM
//! to acquire an access token"; "How to use managed identities for App Service and Azure Functions"):
//! - IMDS: `GET {base}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=R[&client_id=C]` with
//!   `Metadata: true`; the answer's numbers are strings (`expires_in`, `expires_on`, ...).
//! - App Service / Functions: `GET {base}/msi/token?api-version=2019-08-01&resource=R[&client_id=C]` with
//!   `X-IDENTITY-HEADER` set to the `IDENTITY_HEADER` the platform gives the app ([`IDENTITY_HEADER`] here);
//!   `expires_on` is unix seconds as a string.
//!
//! Tokens are for the tenant `--managed-identity-tenant` (an identity lives in one tenant and the request does not
//! name it). Without `client_id` the token is the system-assigned identity's ([`SYSTEM_ASSIGNED_CLIENT_ID`]).

use serde_json::{Value, json};

use super::{IssuedToken, Principal, granted_roles, mint};
use crate::emulator::config::Config;
use crate::emulator::prng::Random;

/// The value App Service puts in `IDENTITY_HEADER`, as the emulator expects it in `X-IDENTITY-HEADER`.
pub const IDENTITY_HEADER: &str = "emulator-identity-header";
/// The client id of the emulated system-assigned identity.
pub const SYSTEM_ASSIGNED_CLIENT_ID: &str = "5a1c0f00-0000-4000-8000-00000000a551";

/// Which form a request used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Imds,
    AppService,
}

impl Form {
    /// The form served at `path`, if any.
    pub fn of_path(path: &str) -> Option<Form> {
        match path.trim_end_matches('/') {
            "/metadata/identity/oauth2/token" => Some(Form::Imds),
            "/msi/token" => Some(Form::AppService),
            _ => None,
        }
    }
}

/// A managed-identity token request.
pub struct MsiRequest<'a> {
    pub form: Form,
    pub method: &'a str,
    pub params: &'a [(String, String)],
    /// `Metadata` (IMDS) or `X-IDENTITY-HEADER` (App Service), as sent.
    pub proof_header: Option<&'a str>,
    pub now_unix: i64,
}

/// `Ok((body, token, issued))`, or the status and body of the refusal.
pub fn issue(
    request: &MsiRequest<'_>,
    config: &Config,
    random: &Random,
) -> Result<(Value, String, IssuedToken), (u16, Value)> {
    let refuse = |status: u16, error: &str, description: &str| {
        Err((
            status,
            json!({"error": error, "error_description": description}),
        ))
    };
    if request.method != "GET" {
        return refuse(405, "invalid_request", "Only GET is allowed.");
    }
    match request.form {
        Form::Imds if request.proof_header.map(str::trim) != Some("true") => {
            return refuse(
                400,
                "invalid_request",
                "Required metadata header not specified",
            );
        }
        // The platform's wording for a missing or wrong header is not documented; a 401 with this text is ours.
        Form::AppService if request.proof_header != Some(IDENTITY_HEADER) => {
            return refuse(
                401,
                "invalid_request",
                "The X-IDENTITY-HEADER header is missing or wrong.",
            );
        }
        _ => {}
    }
    let param = |name: &str| {
        request
            .params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    };
    if param("api-version").is_none() {
        return refuse(
            400,
            "invalid_request",
            "Required query variable 'api-version' is missing",
        );
    }
    let Some(resource) = param("resource") else {
        return refuse(
            400,
            "invalid_request",
            "Required query variable 'resource' is missing",
        );
    };
    let client_id = param("client_id").unwrap_or(SYSTEM_ASSIGNED_CLIENT_ID);
    let audience = resource.trim_end_matches('/');
    let principal = Principal {
        tenant: &config.managed_identity_tenant,
        app_id: client_id,
        roles: granted_roles(&config.app_roles, client_id),
        scopes: Vec::new(),
        upn: None,
    };
    let lifetime = config.token_lifetime_s;
    let (token, issued) = mint(principal, audience, lifetime, random, request.now_unix);
    let expires_on = (request.now_unix + lifetime).to_string();
    let body = match request.form {
        Form::Imds => json!({
            "access_token": token,
            "client_id": client_id,
            "expires_in": lifetime.to_string(),
            "expires_on": expires_on,
            "ext_expires_in": lifetime.to_string(),
            "not_before": request.now_unix.to_string(),
            "resource": resource,
            "token_type": "Bearer",
        }),
        Form::AppService => json!({
            "access_token": token,
            "expires_on": expires_on,
            "resource": resource,
            "token_type": "Bearer",
            "client_id": client_id,
        }),
    };
    Ok((body, token, issued))
}
