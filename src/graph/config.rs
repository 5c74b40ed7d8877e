//! What a client needs to be built, and the checks that make a bad configuration fail before any request:
//! only `https://` endpoints, except `http://` to this machine (the emulator), so a typo can never send a
//! client secret or a bearer token over plain HTTP across a network.

use std::fmt;
use std::net::IpAddr;

use reqwest::Url;

use super::auth::Credential;
use super::cloud::Cloud;
use super::error::GraphError;

/// Who the client signs in as, and how.
#[derive(Clone)]
pub struct Credentials {
    /// The directory (tenant) id, or one of its domain names.
    pub tenant_id: String,
    /// The application (client) id; for managed identity the user-assigned identity (empty: system-assigned);
    /// unused by the Azure CLI.
    pub client_id: String,
    /// The proof; secrets, keys and tokens in it never show in `Debug`.
    pub credential: Credential,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("credential", &self.credential)
            .finish()
    }
}

/// Everything [`super::GraphClient::new`] needs; one per configured provider block.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub credentials: Credentials,
    pub cloud: Cloud,
    /// Replaces the cloud's Graph root (e.g. the emulator's base URL); without the `/v1.0` segment.
    pub graph_endpoint: Option<String>,
    /// Replaces the cloud's login host; tokens come from `{authority_host}/{tenant_id}/oauth2/v2.0/token`.
    pub authority_host: Option<String>,
    /// Sent on every request, e.g. `terraform-provider-autopilot/0.1.0 terraform/1.15.5`.
    pub user_agent: String,
}

/// The resolved, checked endpoints of a client.
#[derive(Clone, Debug)]
pub(crate) struct Endpoints {
    /// Where Graph requests go, without a trailing slash, e.g. `https://graph.microsoft.com`.
    pub graph_root: Url,
    pub token_url: Url,
    /// The OAuth2 scope: always the cloud's own Graph root, also when `graph_endpoint` points elsewhere, because
    /// the token's audience is Graph itself (a proxy or private endpoint forwards to Graph; the emulator accepts
    /// any host).
    pub scope: String,
}

impl ClientConfig {
    pub(crate) fn endpoints(&self) -> Result<Endpoints, GraphError> {
        let creds = &self.credentials;
        check_tenant_id(&creds.tenant_id)?;
        let needs_client_id = !matches!(
            creds.credential,
            Credential::ManagedIdentity(_) | Credential::AzureCli(_)
        );
        if needs_client_id && creds.client_id.trim().is_empty() {
            return Err(GraphError::InvalidConfig(
                "client_id must not be empty".into(),
            ));
        }
        if matches!(&creds.credential, Credential::ClientSecret(secret) if secret.is_empty()) {
            return Err(GraphError::InvalidConfig(
                "client_secret must not be empty".into(),
            ));
        }

        let graph_root = base_url(
            "graph_endpoint",
            self.graph_endpoint
                .as_deref()
                .unwrap_or(self.cloud.graph_root()),
        )?;
        let last_segment = graph_root
            .path_segments()
            .and_then(|mut s| s.next_back())
            .unwrap_or("");
        if matches!(last_segment, "v1.0" | "beta") {
            return Err(GraphError::InvalidConfig(format!(
                "graph_endpoint {graph_root} must be the Graph root without the API version (e.g. https://graph.microsoft.com)"
            )));
        }
        let authority = base_url(
            "authority_host",
            self.authority_host
                .as_deref()
                .unwrap_or(self.cloud.authority_host()),
        )?;
        let token_url = Url::parse(&format!(
            "{}/{}/oauth2/v2.0/token",
            trimmed(&authority),
            creds.tenant_id.trim()
        ))
        .map_err(|e| GraphError::InvalidConfig(format!("cannot build the token URL: {e}")))?;

        Ok(Endpoints {
            graph_root,
            token_url,
            scope: format!("{}/.default", self.cloud.graph_root()),
        })
    }
}

/// A sign-in endpoint (an OIDC token request URL, a managed identity endpoint): `https://`, or `http://` to this
/// machine, or to IMDS's link-local address when `link_local_ok` (IMDS is plain HTTP by design and never leaves the
/// host). Unlike [`base_url`] it may carry a query (GitHub's request URL has one).
pub fn sign_in_url(attribute: &str, value: &str, link_local_ok: bool) -> Result<Url, GraphError> {
    let url = Url::parse(value.trim()).map_err(|e| {
        GraphError::InvalidConfig(format!(
            "{attribute} {value:?} is not a URL such as https://host ({e})"
        ))
    })?;
    let link_local = url
        .host_str()
        .and_then(|h| h.parse::<IpAddr>().ok())
        .is_some_and(|ip| matches!(ip, IpAddr::V4(v4) if v4.is_link_local()));
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) || (link_local_ok && link_local) => Ok(url),
        "http" => Err(GraphError::InvalidConfig(format!(
            "{attribute} {value:?} uses plain http, which is only allowed for this machine{}; use https",
            if link_local_ok {
                " and the link-local IMDS address"
            } else {
                ""
            }
        ))),
        other => Err(GraphError::InvalidConfig(format!(
            "{attribute} {value:?} has unsupported scheme {other:?}"
        ))),
    }
}

/// A URL without its trailing slash, the form paths are appended to.
pub(crate) fn trimmed(url: &Url) -> &str {
    url.as_str().trim_end_matches('/')
}

/// Tenant ids are GUIDs or domain names; anything else would change the token URL's path.
fn check_tenant_id(tenant_id: &str) -> Result<(), GraphError> {
    let t = tenant_id.trim();
    let ok = !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(GraphError::InvalidConfig(format!(
            "tenant_id {tenant_id:?} must be a directory id (a GUID) or a domain name"
        )))
    }
}

fn base_url(attribute: &str, value: &str) -> Result<Url, GraphError> {
    let url = Url::parse(value.trim()).map_err(|e| {
        GraphError::InvalidConfig(format!(
            "{attribute} {value:?} is not a URL such as https://host ({e})"
        ))
    })?;
    if url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(GraphError::InvalidConfig(format!(
            "{attribute} {value:?} must be a plain base URL (no credentials, query or fragment)"
        )));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(GraphError::InvalidConfig(format!(
            "{attribute} {value:?} uses plain http, which is only allowed for this machine \
             (127.0.0.0/8, ::1, localhost); use https"
        ))),
        other => Err(GraphError::InvalidConfig(format!(
            "{attribute} {value:?} has unsupported scheme {other:?}"
        ))),
    }
}

pub(crate) fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(graph: Option<&str>, authority: Option<&str>) -> ClientConfig {
        ClientConfig {
            credentials: Credentials {
                tenant_id: "00000000-0000-0000-0000-000000000001".into(),
                client_id: "app".into(),
                credential: Credential::ClientSecret("s3cr3t-value".into()),
            },
            cloud: Cloud::Global,
            graph_endpoint: graph.map(String::from),
            authority_host: authority.map(String::from),
            user_agent: "test".into(),
        }
    }

    #[test]
    fn the_cloud_defaults_give_the_documented_token_url_and_scope() {
        let mut c = config(None, None);
        c.cloud = Cloud::UsGovernment;
        let e = c.endpoints().unwrap();
        assert_eq!(
            e.token_url.as_str(),
            "https://login.microsoftonline.us/00000000-0000-0000-0000-000000000001/oauth2/v2.0/token"
        );
        assert_eq!(e.scope, "https://graph.microsoft.us/.default");
        assert_eq!(trimmed(&e.graph_root), "https://graph.microsoft.us");
    }

    #[test]
    fn http_is_accepted_for_loopback_hosts_only() {
        for ok in [
            "http://127.0.0.1:8787",
            "http://127.8.9.10",
            "http://[::1]:9000/",
            "http://LocalHost:1",
        ] {
            assert!(
                config(Some(ok), Some(ok)).endpoints().is_ok(),
                "{ok} should be accepted"
            );
        }
        for refused in [
            "http://graph.example.com",
            "http://10.0.0.1:8787",
            "http://[::2]",
            "http://localhost.evil.com",
        ] {
            let err = config(Some(refused), None).endpoints().unwrap_err();
            assert!(
                err.to_string().contains("only allowed for this machine"),
                "{refused}: {err}"
            );
            let err = config(None, Some(refused)).endpoints().unwrap_err();
            assert!(
                err.to_string().starts_with("authority_host"),
                "{refused}: {err}"
            );
        }
    }

    #[test]
    fn https_overrides_are_accepted_anywhere_and_trailing_slashes_do_not_matter() {
        let e = config(
            Some("https://graph.contoso.test/"),
            Some("https://login.contoso.test/"),
        )
        .endpoints()
        .unwrap();
        assert_eq!(trimmed(&e.graph_root), "https://graph.contoso.test");
        assert_eq!(
            e.token_url.as_str(),
            "https://login.contoso.test/00000000-0000-0000-0000-000000000001/oauth2/v2.0/token"
        );
        assert_eq!(
            e.scope, "https://graph.microsoft.com/.default",
            "the scope stays the cloud's Graph"
        );
    }

    #[test]
    fn a_graph_endpoint_with_the_version_is_refused_with_a_hint() {
        let err = config(Some("https://graph.microsoft.com/v1.0"), None)
            .endpoints()
            .unwrap_err();
        assert!(err.to_string().contains("without the API version"), "{err}");
    }

    #[test]
    fn other_schemes_and_garbage_are_refused() {
        assert!(config(Some("ftp://127.0.0.1"), None).endpoints().is_err());
        assert!(
            config(Some("graph.microsoft.com"), None)
                .endpoints()
                .is_err()
        );
        assert!(
            config(Some("https://user:pw@graph.microsoft.com"), None)
                .endpoints()
                .is_err()
        );
    }

    #[test]
    fn a_tenant_id_that_would_change_the_token_path_is_refused() {
        let mut c = config(None, None);
        c.credentials.tenant_id = "contoso.onmicrosoft.com".into();
        assert!(c.endpoints().is_ok());
        c.credentials.tenant_id = "../common".into();
        assert!(c.endpoints().is_err());
        c.credentials.tenant_id = String::new();
        assert!(c.endpoints().is_err());
    }

    #[test]
    fn debug_output_never_contains_the_secret() {
        let c = config(None, None);
        let shown = format!("{c:?} {:#?}", c.credentials);
        assert!(!shown.contains("s3cr3t-value"), "{shown}");
        assert!(shown.contains("client secret"));
    }
}
