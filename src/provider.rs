//! The `autopilot` provider: its configuration (tenant, credentials, cloud, endpoint overrides) and the registry
//! of resources. Configuration only builds a Graph client; the first token is fetched when a resource needs one,
//! because Terraform starts the provider several times per command and most of those never touch Graph.

mod signin;

use std::sync::Arc;

use async_trait::async_trait;

use crate::graph::{ClientConfig, Cloud, Credentials, GraphClient};
use crate::resources::{self, ProviderData};
use crate::tfplugin::validators::OneOf;
use crate::tfplugin::{
    AttrPath, Attribute, Block, Diagnostics, DynDataSource, DynListResource, DynResource, Provider,
    Schema, Value,
};

/// The source address users write in `required_providers`.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/example/autopilot";

const ENVIRONMENTS: &[&str] = &["global", "usgovernment", "dod", "china"];

/// Each setting, its environment fallbacks (first set wins) and its documentation.
struct Setting {
    name: &'static str,
    envs: &'static [&'static str],
    description: &'static str,
    sensitive: bool,
    /// A boolean (`use_oidc`, `use_msi`, `use_cli`) rather than a string.
    flag: bool,
}

const SETTINGS: &[Setting] = &[
    Setting {
        name: "tenant_id",
        envs: &["ARM_TENANT_ID", "AZURE_TENANT_ID"],
        description: "The Microsoft Entra tenant (directory) id to manage. Required, here or in `ARM_TENANT_ID` \
                      (or `AZURE_TENANT_ID`, which AKS workload identity sets).",
        sensitive: false,
        flag: false,
    },
    Setting {
        name: "client_id",
        envs: &["ARM_CLIENT_ID", "AZURE_CLIENT_ID"],
        description: "The application (client) id of the app registration the provider signs in as; with \
                      managed identity, the client id of a user-assigned identity (unset: the system-assigned one). \
                      Can also be set with `ARM_CLIENT_ID` (or `AZURE_CLIENT_ID`, which AKS workload identity sets).",
        sensitive: false,
        flag: false,
    },
    Setting {
        name: "client_secret",
        envs: &["ARM_CLIENT_SECRET"],
        description: "A client secret of that app registration. Can also be set with `ARM_CLIENT_SECRET`; \
                      never logged.",
        sensitive: true,
        flag: false,
    },
    Setting {
        name: "environment",
        envs: &["ARM_ENVIRONMENT"],
        description: "The cloud: `global` (default), `usgovernment` (GCC High), `dod` or `china`. Picks the login \
                      host and the Graph root. Can also be set with `ARM_ENVIRONMENT`.",
        sensitive: false,
        flag: false,
    },
    Setting {
        name: "graph_endpoint",
        envs: &["AUTOPILOT_GRAPH_ENDPOINT"],
        description: "Overrides the Graph root, e.g. the URL of a local `graph-emulator`. Plain `http://` is \
                      accepted only for loopback addresses. Can also be set with `AUTOPILOT_GRAPH_ENDPOINT`.",
        sensitive: false,
        flag: false,
    },
    Setting {
        name: "authority_host",
        envs: &["AUTOPILOT_AUTHORITY_HOST"],
        description: "Overrides the login host; the token URL is `{authority_host}/{tenant_id}/oauth2/v2.0/token`. \
                      Plain `http://` is accepted only for loopback addresses. Can also be set with \
                      `AUTOPILOT_AUTHORITY_HOST`.",
        sensitive: false,
        flag: false,
    },
];

/// The settings of the sign-in kinds beyond the secret, with hashicorp/azuread's names and variables.
const SIGN_IN_SETTINGS: &[Setting] = &[
    Setting {
        name: "client_certificate",
        envs: &["ARM_CLIENT_CERTIFICATE"],
        description: "A PKCS#12 (PFX) bundle holding the app registration's certificate and its private key, \
                      base64-encoded. Can also be set with `ARM_CLIENT_CERTIFICATE`. Wins over every other kind of \
                      sign-in; never logged.",
        sensitive: true,
        flag: false,
    },
    Setting {
        name: "client_certificate_path",
        envs: &["ARM_CLIENT_CERTIFICATE_PATH"],
        description: "The path of a PKCS#12 (`.pfx`/`.p12`) file, or of a PEM file holding the certificate and its \
                      unencrypted private key (`PRIVATE KEY` or `RSA PRIVATE KEY`). Can also be set with \
                      `ARM_CLIENT_CERTIFICATE_PATH`. Read when the provider is configured.",
        sensitive: false,
        flag: false,
    },
    Setting {
        name: "client_certificate_password",
        envs: &["ARM_CLIENT_CERTIFICATE_PASSWORD"],
        description: "The password of the PKCS#12 bundle (empty when unset). Can also be set with \
                      `ARM_CLIENT_CERTIFICATE_PASSWORD`; never logged.",
        sensitive: true,
        flag: false,
    },
    Setting {
        name: "use_oidc",
        envs: &["ARM_USE_OIDC"],
        description: "Sign in with an OIDC federated token (workload identity federation: GitHub Actions, Azure \
                      DevOps, AKS). Default false. Can also be set with `ARM_USE_OIDC`.",
        sensitive: false,
        flag: true,
    },
    Setting {
        name: "oidc_token",
        envs: &["ARM_OIDC_TOKEN"],
        description: "The federated token itself. Can also be set with `ARM_OIDC_TOKEN`; never logged.",
        sensitive: true,
        flag: false,
    },
    Setting {
        name: "oidc_token_file_path",
        envs: &["ARM_OIDC_TOKEN_FILE_PATH", "AZURE_FEDERATED_TOKEN_FILE"],
        description: "A file holding the federated token, read again for every new access token (the platform \
                      replaces it before it expires). Can also be set with `ARM_OIDC_TOKEN_FILE_PATH` or AKS's \
                      `AZURE_FEDERATED_TOKEN_FILE`.",
        sensitive: false,
        flag: false,
    },
    Setting {
        name: "oidc_request_url",
        envs: &[
            "ARM_OIDC_REQUEST_URL",
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            "SYSTEM_OIDCREQUESTURI",
        ],
        description: "Where to request a federated token: GitHub Actions' `ACTIONS_ID_TOKEN_REQUEST_URL` or Azure \
                      DevOps' `SYSTEM_OIDCREQUESTURI`, both read when this is unset, as is `ARM_OIDC_REQUEST_URL`.",
        sensitive: false,
        flag: false,
    },
    Setting {
        name: "oidc_request_token",
        envs: &[
            "ARM_OIDC_REQUEST_TOKEN",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            "SYSTEM_ACCESSTOKEN",
        ],
        description: "The bearer token for `oidc_request_url`: GitHub Actions' `ACTIONS_ID_TOKEN_REQUEST_TOKEN` or \
                      Azure DevOps' `SYSTEM_ACCESSTOKEN`, both read when this is unset, as is \
                      `ARM_OIDC_REQUEST_TOKEN`. Never logged.",
        sensitive: true,
        flag: false,
    },
    Setting {
        name: "ado_pipeline_service_connection_id",
        envs: &["ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID"],
        description: "The id of the Azure DevOps service connection; when set, the federated token is requested in \
                      Azure DevOps' form. Can also be set with `ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID`.",
        sensitive: false,
        flag: false,
    },
    Setting {
        name: "use_msi",
        envs: &["ARM_USE_MSI"],
        description: "Sign in with the managed identity of the Azure resource the provider runs on: IMDS, or App \
                      Service / Functions through `IDENTITY_ENDPOINT` and `IDENTITY_HEADER`. Default false. Can also \
                      be set with `ARM_USE_MSI`.",
        sensitive: false,
        flag: true,
    },
    Setting {
        name: "msi_endpoint",
        envs: &["ARM_MSI_ENDPOINT"],
        description: "Replaces the IMDS token endpoint \
                      (`http://169.254.169.254/metadata/identity/oauth2/token`). Can also be set with \
                      `ARM_MSI_ENDPOINT`.",
        sensitive: false,
        flag: false,
    },
    Setting {
        name: "use_cli",
        envs: &["ARM_USE_CLI"],
        description: "Sign in as the Azure CLI's signed-in account (`az account get-access-token`) when no other \
                      kind is configured. Default true. Can also be set with `ARM_USE_CLI`.",
        sensitive: false,
        flag: true,
    },
];

pub struct AutopilotProvider;

/// A boolean setting: the configuration wins, then the first environment variable set (`true`/`1`, `false`/`0`).
fn flag_setting(config: &Value, name: &str, envs: &[&str]) -> Option<bool> {
    config.attr(name).and_then(Value::as_bool).or_else(|| {
        envs.iter().find_map(|env| {
            match std::env::var(env)
                .ok()?
                .trim()
                .to_ascii_lowercase()
                .as_str()
            {
                "true" | "1" => Some(true),
                "false" | "0" => Some(false),
                _ => None,
            }
        })
    })
}

/// The provider configuration with its environment fallbacks, as sign-in selection reads it.
struct ConfiguredSettings<'a>(&'a Value);

impl signin::Settings for ConfiguredSettings<'_> {
    fn text(&self, name: &str) -> Option<String> {
        find_setting(name).and_then(|s| setting(self.0, s.name, s.envs))
    }

    fn flag(&self, name: &str) -> Option<bool> {
        find_setting(name).and_then(|s| flag_setting(self.0, s.name, s.envs))
    }
}

fn find_setting(name: &str) -> Option<&'static Setting> {
    SETTINGS
        .iter()
        .chain(SIGN_IN_SETTINGS)
        .find(|s| s.name == name)
}

/// A setting's value: the configuration wins, then the first of its environment variables that is set.
fn setting(config: &Value, name: &str, envs: &[&str]) -> Option<String> {
    config
        .attr(name)
        .and_then(Value::as_str)
        .map(str::to_string)
        .filter(|v| !v.trim().is_empty())
        .or_else(|| {
            envs.iter()
                .filter_map(|env| std::env::var(env).ok())
                .find(|v| !v.trim().is_empty())
        })
}

#[async_trait]
impl Provider for AutopilotProvider {
    type Data = ProviderData;

    fn schema(&self) -> Schema {
        let mut block = Block::new(
            "Manages the Windows Autopilot set-up of a Microsoft Intune tenant through Microsoft Graph: device \
             groups, Enrollment Status Pages, deployment profiles and device registrations.",
        );
        for s in SETTINGS.iter().chain(SIGN_IN_SETTINGS) {
            let attribute = if s.flag {
                Attribute::bool(s.name)
            } else {
                Attribute::string(s.name)
            };
            let mut attribute = attribute.optional().description(s.description);
            if s.sensitive {
                attribute = attribute.sensitive();
            }
            if s.name == "environment" {
                attribute = attribute.validator(OneOf(ENVIRONMENTS));
            }
            block = block.attribute(attribute);
        }
        Schema::new(0, block)
    }

    async fn configure(&self, config: &Value, diags: &mut Diagnostics) -> Option<ProviderData> {
        let settings = ConfiguredSettings(config);
        let get = |name: &str| signin::Settings::text(&settings, name);
        let tenant_id = get("tenant_id");
        let client_id = get("client_id");
        if tenant_id.is_none() {
            diags.attribute_error(
                AttrPath::root("tenant_id"),
                "Missing Provider Setting",
                "Set tenant_id in the provider block or the ARM_TENANT_ID environment variable.",
            );
        }
        let credential = signin::select(&settings, client_id.as_deref(), diags);
        let environment = get("environment").unwrap_or_else(|| "global".to_string());
        let cloud: Cloud = match environment.parse() {
            Ok(cloud) => cloud,
            Err(_) => {
                diags.attribute_error(
                    AttrPath::root("environment"),
                    "Invalid Cloud Environment",
                    format!("environment must be one of {ENVIRONMENTS:?}, got {environment:?}."),
                );
                return None;
            }
        };
        let (Some(tenant_id), Some(credential)) = (tenant_id, credential) else {
            return None;
        };
        log::debug!("signing in with {}", credential.kind());
        let client_config = ClientConfig {
            credentials: Credentials {
                tenant_id,
                client_id: client_id.unwrap_or_default(),
                credential,
            },
            cloud,
            graph_endpoint: get("graph_endpoint"),
            authority_host: get("authority_host"),
            user_agent: format!("terraform-provider-autopilot/{}", env!("CARGO_PKG_VERSION")),
        };
        match GraphClient::new(client_config) {
            Ok(graph) => Some(ProviderData::new(graph)),
            Err(e) => {
                diags.error("Invalid Provider Configuration", e.to_string());
                None
            }
        }
    }

    fn resources(&self) -> Vec<Arc<dyn DynResource<ProviderData>>> {
        resources::all()
    }

    fn data_sources(&self) -> Vec<Arc<dyn DynDataSource<ProviderData>>> {
        resources::all_data_sources()
    }

    fn list_resources(&self) -> Vec<Arc<dyn DynListResource<ProviderData>>> {
        resources::all_list_resources()
    }

    fn functions(&self) -> Vec<Arc<dyn crate::tfplugin::Function>> {
        resources::functions::all()
    }

    fn actions(&self) -> Vec<Arc<dyn crate::tfplugin::DynAction<ProviderData>>> {
        resources::actions::all()
    }
}
