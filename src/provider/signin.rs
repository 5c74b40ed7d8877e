//! Which way of signing in a provider block configures: the first kind that is fully configured wins, in the order
//! hashicorp/azuread uses (certificate, secret, OIDC, managed identity, Azure CLI). Every input has a setting and
//! environment fallbacks of the same names as azuread's, so a pipeline's `ARM_*` environment works unchanged. When
//! no kind is configured, the diagnostic lists each with what it needs. A certificate that cannot be read fails here,
//! naming the setting, before any request.

use std::path::PathBuf;

use base64::Engine;

use crate::graph::{
    AzureCli, ClientCertificate, Credential, FederatedToken, IMDS_ENDPOINT, ManagedIdentity,
    sign_in_url,
};
use crate::tfplugin::{AttrPath, Diagnostics};

/// Reads one setting (configuration first, then its environment variables in order).
pub trait Settings {
    fn text(&self, name: &str) -> Option<String>;
    /// A boolean setting; `None` when unset. Environment values `true`/`1` and `false`/`0` are understood.
    fn flag(&self, name: &str) -> Option<bool>;
}

/// The client id for workload identity may also come from `AZURE_CLIENT_ID` (AKS sets it); the caller passes
/// `client_id` already resolved that way.
pub fn select(
    settings: &dyn Settings,
    client_id: Option<&str>,
    diags: &mut Diagnostics,
) -> Option<Credential> {
    let has_client_id = client_id.is_some();
    // 1. Certificate: the bundle's base64 or a file; the password belongs to either.
    let password = settings
        .text("client_certificate_password")
        .unwrap_or_default();
    if let Some(encoded) = settings.text("client_certificate") {
        let bytes = match base64::engine::general_purpose::STANDARD
            .decode(encoded.trim().replace(['\n', '\r'], ""))
        {
            Ok(bytes) => bytes,
            Err(_) => {
                bad_certificate(
                    diags,
                    "client_certificate",
                    "is not base64 (it holds the PKCS#12 bundle, base64-encoded)",
                );
                return None;
            }
        };
        return match ClientCertificate::from_pkcs12(&bytes, &password) {
            Ok(cert) if has_client_id => Some(Credential::ClientCertificate(cert.into())),
            Ok(_) => missing_client_id(diags, "a client certificate"),
            Err(e) => {
                bad_certificate(diags, certificate_blame(&e.0, "client_certificate"), &e.0);
                None
            }
        };
    }
    if let Some(path) = settings.text("client_certificate_path") {
        let contents = match std::fs::read(path.trim()) {
            Ok(contents) => contents,
            Err(e) => {
                bad_certificate(
                    diags,
                    "client_certificate_path",
                    &format!("cannot be read ({path}): {e}"),
                );
                return None;
            }
        };
        return match ClientCertificate::from_file_contents(&contents, &password) {
            Ok(cert) if has_client_id => Some(Credential::ClientCertificate(cert.into())),
            Ok(_) => missing_client_id(diags, "a client certificate"),
            Err(e) => {
                bad_certificate(
                    diags,
                    certificate_blame(&e.0, "client_certificate_path"),
                    &format!("{path}: {}", e.0),
                );
                None
            }
        };
    }
    // 2. Secret.
    if let Some(secret) = settings.text("client_secret") {
        return if has_client_id {
            Some(Credential::ClientSecret(secret))
        } else {
            missing_client_id(diags, "a client secret")
        };
    }
    // 3. OIDC, only when asked for.
    if settings.flag("use_oidc") == Some(true)
        && let Some(source) = federated_source(settings, diags)?
    {
        return if has_client_id {
            Some(Credential::Federated(source))
        } else {
            missing_client_id(diags, "an OIDC federated token")
        };
    }
    // 4. Managed identity, only when asked for.
    if settings.flag("use_msi") == Some(true) {
        return managed_identity(settings, diags).map(Credential::ManagedIdentity);
    }
    // 5. The Azure CLI, unless turned off, when it is installed.
    if settings.flag("use_cli") != Some(false) && AzureCli::find_on_path().is_some() {
        return Some(Credential::AzureCli(AzureCli::default()));
    }
    none_configured(settings, diags);
    None
}

/// A wrong password is the password's fault; anything else the certificate's.
fn certificate_blame<'a>(message: &str, certificate_setting: &'a str) -> &'a str {
    if message.contains("password") {
        "client_certificate_password"
    } else {
        certificate_setting
    }
}

fn bad_certificate(diags: &mut Diagnostics, setting: &str, problem: &str) {
    diags.attribute_error(
        AttrPath::root(setting),
        "Unusable Client Certificate",
        format!("The client certificate cannot be used: {setting}: {problem}"),
    );
}

fn missing_client_id<T>(diags: &mut Diagnostics, kind: &str) -> Option<T> {
    diags.attribute_error(
        AttrPath::root("client_id"),
        "Missing Provider Setting",
        format!(
            "Signing in with {kind} needs the application's client id: set client_id in the provider block or the \
             ARM_CLIENT_ID environment variable."
        ),
    );
    None
}

/// The federated token's source, `Ok(None)` when none is configured; `None` after a diagnostic.
fn federated_source(
    settings: &dyn Settings,
    diags: &mut Diagnostics,
) -> Option<Option<FederatedToken>> {
    if let Some(token) = settings.text("oidc_token") {
        return Some(Some(FederatedToken::Token(token)));
    }
    if let Some(path) = settings.text("oidc_token_file_path") {
        return Some(Some(FederatedToken::File(PathBuf::from(path.trim()))));
    }
    let (Some(url), Some(request_token)) = (
        settings.text("oidc_request_url"),
        settings.text("oidc_request_token"),
    ) else {
        return Some(None);
    };
    let request_url = match sign_in_url("oidc_request_url", &url, false) {
        Ok(url) => url,
        Err(e) => {
            diags.attribute_error(
                AttrPath::root("oidc_request_url"),
                "Invalid Provider Setting",
                e.to_string(),
            );
            return None;
        }
    };
    Some(Some(
        match settings.text("ado_pipeline_service_connection_id") {
            Some(service_connection_id) => FederatedToken::AzureDevOps {
                request_url,
                request_token,
                service_connection_id,
            },
            None => FederatedToken::GitHub {
                request_url,
                request_token,
            },
        },
    ))
}

fn managed_identity(settings: &dyn Settings, diags: &mut Diagnostics) -> Option<ManagedIdentity> {
    let endpoint = |setting: &str, value: &str, diags: &mut Diagnostics| match sign_in_url(
        setting, value, true,
    ) {
        Ok(url) => Some(url),
        Err(e) => {
            diags.attribute_error(
                AttrPath::root("msi_endpoint"),
                "Invalid Provider Setting",
                e.to_string(),
            );
            None
        }
    };
    if let Some(value) = settings.text("msi_endpoint") {
        return Some(ManagedIdentity::Imds {
            endpoint: endpoint("msi_endpoint", &value, diags)?,
        });
    }
    let app_service = (
        std::env::var("IDENTITY_ENDPOINT").ok(),
        std::env::var("IDENTITY_HEADER").ok(),
    );
    if let (Some(value), Some(identity_header)) = app_service
        && !value.trim().is_empty()
    {
        return Some(ManagedIdentity::AppService {
            endpoint: endpoint("IDENTITY_ENDPOINT", &value, diags)?,
            identity_header,
        });
    }
    Some(ManagedIdentity::Imds {
        endpoint: endpoint("msi_endpoint", IMDS_ENDPOINT, diags)?,
    })
}

fn none_configured(settings: &dyn Settings, diags: &mut Diagnostics) {
    let cli = if settings.flag("use_cli") == Some(false) {
        "turned off (use_cli = false / ARM_USE_CLI=false)"
    } else {
        "`az` was not found on PATH; install it and run `az login`"
    };
    diags.error(
        "No Sign-in Configured",
        format!(
            "The provider found no complete way to sign in. Configure one of these (the first complete one wins, \
             in this order), in the provider block or the environment:\n\
             1. Client certificate: client_id (ARM_CLIENT_ID) and client_certificate (ARM_CLIENT_CERTIFICATE, a \
             base64 PKCS#12 bundle) or client_certificate_path (ARM_CLIENT_CERTIFICATE_PATH, a PKCS#12 or PEM \
             file), with client_certificate_password (ARM_CLIENT_CERTIFICATE_PASSWORD) for a protected bundle.\n\
             2. Client secret: client_id (ARM_CLIENT_ID) and client_secret (ARM_CLIENT_SECRET).\n\
             3. OIDC workload identity: use_oidc = true (ARM_USE_OIDC), client_id (ARM_CLIENT_ID or \
             AZURE_CLIENT_ID), and oidc_token (ARM_OIDC_TOKEN), or oidc_token_file_path (ARM_OIDC_TOKEN_FILE_PATH \
             or AZURE_FEDERATED_TOKEN_FILE), or oidc_request_url and oidc_request_token (ARM_OIDC_REQUEST_URL / \
             ARM_OIDC_REQUEST_TOKEN, or GitHub Actions' ACTIONS_ID_TOKEN_REQUEST_URL / \
             ACTIONS_ID_TOKEN_REQUEST_TOKEN, or Azure DevOps' SYSTEM_OIDCREQUESTURI / SYSTEM_ACCESSTOKEN with \
             ado_pipeline_service_connection_id / ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID).\n\
             4. Managed identity: use_msi = true (ARM_USE_MSI), optionally client_id for a user-assigned identity \
             and msi_endpoint (ARM_MSI_ENDPOINT); App Service's IDENTITY_ENDPOINT and IDENTITY_HEADER are used when \
             set.\n\
             5. Azure CLI: use_cli (ARM_USE_CLI, default true): {cli}."
        ),
    );
}
