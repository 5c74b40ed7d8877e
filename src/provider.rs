//! The `autopilot` provider: its configuration (tenant, credentials, cloud, endpoint overrides) and the registry
//! of resources. Configuration only builds a Graph client; the first token is fetched when a resource needs one,
//! because Terraform starts the provider several times per command and most of those never touch Graph.

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

/// Each setting, its environment fallback and its documentation.
struct Setting {
    name: &'static str,
    env: &'static str,
    description: &'static str,
    sensitive: bool,
}

const SETTINGS: &[Setting] = &[
    Setting {
        name: "tenant_id",
        env: "ARM_TENANT_ID",
        description: "The Microsoft Entra tenant (directory) id to manage. Required, here or in `ARM_TENANT_ID`.",
        sensitive: false,
    },
    Setting {
        name: "client_id",
        env: "ARM_CLIENT_ID",
        description: "The application (client) id of the app registration the provider signs in as. \
                      Can also be set with `ARM_CLIENT_ID`.",
        sensitive: false,
    },
    Setting {
        name: "client_secret",
        env: "ARM_CLIENT_SECRET",
        description: "A client secret of that app registration. Can also be set with `ARM_CLIENT_SECRET`; \
                      never logged.",
        sensitive: true,
    },
    Setting {
        name: "environment",
        env: "ARM_ENVIRONMENT",
        description: "The cloud: `global` (default), `usgovernment` (GCC High), `dod` or `china`. Picks the login \
                      host and the Graph root. Can also be set with `ARM_ENVIRONMENT`.",
        sensitive: false,
    },
    Setting {
        name: "graph_endpoint",
        env: "AUTOPILOT_GRAPH_ENDPOINT",
        description: "Overrides the Graph root, e.g. the URL of a local `graph-emulator`. Plain `http://` is \
                      accepted only for loopback addresses. Can also be set with `AUTOPILOT_GRAPH_ENDPOINT`.",
        sensitive: false,
    },
    Setting {
        name: "authority_host",
        env: "AUTOPILOT_AUTHORITY_HOST",
        description: "Overrides the login host; the token URL is `{authority_host}/{tenant_id}/oauth2/v2.0/token`. \
                      Plain `http://` is accepted only for loopback addresses. Can also be set with \
                      `AUTOPILOT_AUTHORITY_HOST`.",
        sensitive: false,
    },
];

pub struct AutopilotProvider;

/// A setting's value: the configuration wins, then the environment variable.
fn setting(config: &Value, name: &str, env: &str) -> Option<String> {
    config
        .attr(name)
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| std::env::var(env).ok())
        .filter(|v| !v.trim().is_empty())
}

#[async_trait]
impl Provider for AutopilotProvider {
    type Data = ProviderData;

    fn schema(&self) -> Schema {
        let mut block = Block::new(
            "Manages the Windows Autopilot set-up of a Microsoft Intune tenant through Microsoft Graph: device \
             groups, Enrollment Status Pages, deployment profiles and device registrations.",
        );
        for s in SETTINGS {
            let mut attribute = Attribute::string(s.name)
                .optional()
                .description(s.description);
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
        let get = |name: &str| {
            let s = SETTINGS
                .iter()
                .find(|s| s.name == name)
                .expect("known setting");
            setting(config, s.name, s.env)
        };
        let missing = |diags: &mut Diagnostics, name: &str, env: &str| {
            diags.attribute_error(
                AttrPath::root(name),
                "Missing Provider Setting",
                format!("Set {name} in the provider block or the {env} environment variable."),
            )
        };
        let tenant_id = get("tenant_id");
        let client_id = get("client_id");
        let client_secret = get("client_secret");
        if tenant_id.is_none() {
            missing(diags, "tenant_id", "ARM_TENANT_ID");
        }
        if client_id.is_none() {
            missing(diags, "client_id", "ARM_CLIENT_ID");
        }
        if client_secret.is_none() {
            missing(diags, "client_secret", "ARM_CLIENT_SECRET");
        }
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
        let (Some(tenant_id), Some(client_id), Some(client_secret)) =
            (tenant_id, client_id, client_secret)
        else {
            return None;
        };
        let client_config = ClientConfig {
            credentials: Credentials {
                tenant_id,
                client_id,
                client_secret,
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
}
