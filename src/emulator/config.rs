//! The emulator's command line: `graph-emulator [--listen ADDR] [--state FILE] ...`. Parsed by hand because the
//! surface is small and the exact messages and exit codes are part of the contract (bad flags exit 2).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use super::clock::entropy_seed;

/// The client secret the token endpoint accepts unless `--client-secret` says otherwise.
pub const DEFAULT_CLIENT_SECRET: &str = "emulator-secret";

/// Where the emulator listens unless `--listen` says otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";

/// The usage text `--help` prints.
pub const USAGE: &str = "\
Usage: graph-emulator [OPTIONS]

A local, stateful stand-in for the Microsoft Graph endpoints the Autopilot provider uses, and for the Entra ID token
endpoint. When ready it prints `graph-emulator listening on http://ADDR` to stdout.

Options:
  --listen ADDR              address to listen on [default: 127.0.0.1:8787]; port 0 picks a free port
  --state FILE               load every tenant from FILE at start and save it there after each change
  --client-secret S          the client secret the token endpoint accepts [default: emulator-secret]
  --seed N                   seed for every random choice (ids, faults) so runs repeat [default: from the clock]
  --latency-ms N             delay every response by N milliseconds [default: 0]
  --fault-rate F             answer this share (0..1) of Graph requests with 429 (with or without Retry-After), 503 or 504 [default: 0]
  --consistency-lag-ms N     new objects 404 and updates read stale for N milliseconds [default: 0]
  --import-delay-ms N        how long an Autopilot device import stays pending, and how long a deployment
                             profile assignment takes to reach a device [default: 0]
  --membership-delay-ms N    a dynamic group's membership changes N milliseconds after what caused them (a
                             device created or retagged, a rule edited, processing resumed) [default: 0]
  --sync-interval-ms N       Autopilot device changes (the group tag) reach the Entra devices only at the
                             periodic sync every N milliseconds, or at a triggered one; 0: at once [default: 0]
  --sync-cooldown-ms N       a sync trigger within N milliseconds of the last one answers 429 [default: 600000]
  --throttle                 enforce Graph's documented per-tenant and per-app request limits
  --app-roles CLIENT=ROLES   tokens for client id CLIENT carry only these application roles (comma-separated,
                             may be empty) and calls needing others answer 403; repeatable, one per client
                             [default: every client gets every role]
  --client-certificate CLIENT=PEM_FILE
                             client id CLIENT may sign in with a client assertion signed by the key of a
                             certificate in PEM_FILE (PEM, one or more CERTIFICATE blocks); repeatable
  --federated-credential CLIENT=SUBJECT
                             client id CLIENT may exchange a token of the emulator's OIDC issuer whose sub is
                             SUBJECT (audience api://AzureADTokenExchange); repeatable
  --oidc-request-token T     the bearer token the GitHub Actions and Azure DevOps token request endpoints want
                             [default: emulator-oidc-request-token]
  --oidc-subject S           the sub of the federated tokens those endpoints issue
                             [default: repo:example/infrastructure:ref:refs/heads/main]
  --token-lifetime-s N       lifetime of every access token issued, in seconds [default: 3599]
  --managed-identity-tenant T
                             the tenant managed-identity tokens are for
                             [default: 00000000-0000-4000-8000-00000000a551]
  -h, --help                 print this help
";

/// `--app-roles`: the application roles of each named client id (lower-cased), the only ones its tokens carry.
pub type AppRoles = BTreeMap<String, Vec<String>>;

/// `--client-certificate`: the DER certificates each client id (lower-cased) may sign assertions with.
pub type ClientCertificates = BTreeMap<String, Vec<Vec<u8>>>;
/// `--federated-credential`: the subjects each client id (lower-cased) accepts federated tokens for.
pub type FederatedCredentials = BTreeMap<String, Vec<String>>;

/// The bearer token the OIDC request endpoints want unless `--oidc-request-token` says otherwise.
pub const DEFAULT_OIDC_REQUEST_TOKEN: &str = "emulator-oidc-request-token";
/// The `sub` of issued federated tokens unless `--oidc-subject` says otherwise (GitHub's form for a branch).
pub const DEFAULT_OIDC_SUBJECT: &str = "repo:example/infrastructure:ref:refs/heads/main";
/// The tenant of managed-identity tokens unless `--managed-identity-tenant` says otherwise.
pub const DEFAULT_MANAGED_IDENTITY_TENANT: &str = "00000000-0000-4000-8000-00000000a551";

/// Everything the emulator can be told at start.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub listen: SocketAddr,
    pub state_file: Option<PathBuf>,
    pub client_secret: String,
    pub seed: u64,
    pub latency_ms: u64,
    pub fault_rate: f64,
    pub consistency_lag_ms: u64,
    pub import_delay_ms: u64,
    pub membership_delay_ms: u64,
    pub sync_interval_ms: u64,
    pub sync_cooldown_ms: u64,
    pub throttle: bool,
    pub app_roles: AppRoles,
    pub client_certificates: ClientCertificates,
    pub federated_credentials: FederatedCredentials,
    pub oidc_request_token: String,
    pub oidc_subject: String,
    /// Seconds; at least 1.
    pub token_lifetime_s: i64,
    pub managed_identity_tenant: String,
}

/// Intune refuses a sync trigger within 10 minutes of the previous one (graph-api-next.md 12).
pub const DEFAULT_SYNC_COOLDOWN_MS: u64 = 600_000;

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: DEFAULT_LISTEN
                .parse()
                .expect("the default listen address parses"),
            state_file: None,
            client_secret: DEFAULT_CLIENT_SECRET.to_string(),
            seed: entropy_seed(),
            latency_ms: 0,
            fault_rate: 0.0,
            consistency_lag_ms: 0,
            import_delay_ms: 0,
            membership_delay_ms: 0,
            sync_interval_ms: 0,
            sync_cooldown_ms: DEFAULT_SYNC_COOLDOWN_MS,
            throttle: false,
            app_roles: AppRoles::new(),
            client_certificates: ClientCertificates::new(),
            federated_credentials: FederatedCredentials::new(),
            oidc_request_token: DEFAULT_OIDC_REQUEST_TOKEN.to_string(),
            oidc_subject: DEFAULT_OIDC_SUBJECT.to_string(),
            token_lifetime_s: crate::emulator::auth::TOKEN_LIFETIME_SECONDS,
            managed_identity_tenant: DEFAULT_MANAGED_IDENTITY_TENANT.to_string(),
        }
    }
}

impl Config {
    /// Parses the command-line arguments, without the program name. Accepts `--flag value` and `--flag=value`.
    /// `--help` is not handled here: the binary checks for it first, so this only ever returns a config or an error
    /// message for a bad flag.
    pub fn from_args(args: impl Iterator<Item = String>) -> Result<Config, String> {
        let mut config = Config::default();
        let mut args = args.peekable();
        while let Some(arg) = args.next() {
            let (flag, inline_value) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => {
                    (flag.to_string(), Some(value.to_string()))
                }
                _ => (arg.clone(), None),
            };
            if flag == "--throttle" {
                if inline_value.is_some() {
                    return Err("--throttle takes no value".to_string());
                }
                config.throttle = true;
                continue;
            }
            if !matches!(
                flag.as_str(),
                "--listen"
                    | "--state"
                    | "--client-secret"
                    | "--seed"
                    | "--latency-ms"
                    | "--fault-rate"
                    | "--consistency-lag-ms"
                    | "--import-delay-ms"
                    | "--app-roles"
                    | "--membership-delay-ms"
                    | "--sync-interval-ms"
                    | "--sync-cooldown-ms"
                    | "--client-certificate"
                    | "--federated-credential"
                    | "--oidc-request-token"
                    | "--oidc-subject"
                    | "--token-lifetime-s"
                    | "--managed-identity-tenant"
            ) {
                return Err(format!("unknown argument {arg:?}"));
            }
            let value = match inline_value {
                Some(value) => value,
                None => args.next().ok_or_else(|| format!("{flag} needs a value"))?,
            };
            match flag.as_str() {
                "--listen" => {
                    config.listen = value.parse().map_err(|_| {
                        format!("--listen: {value:?} is not an address like 127.0.0.1:8787")
                    })?;
                }
                "--state" => {
                    if value.is_empty() {
                        return Err("--state needs a file path".to_string());
                    }
                    config.state_file = Some(PathBuf::from(value));
                }
                "--client-secret" => {
                    if value.is_empty() {
                        return Err("--client-secret must not be empty".to_string());
                    }
                    config.client_secret = value;
                }
                "--seed" => config.seed = parse_number(&flag, &value)?,
                "--latency-ms" => config.latency_ms = parse_number(&flag, &value)?,
                "--consistency-lag-ms" => config.consistency_lag_ms = parse_number(&flag, &value)?,
                "--import-delay-ms" => config.import_delay_ms = parse_number(&flag, &value)?,
                "--app-roles" => {
                    let (client, roles) = parse_app_roles(&value)?;
                    if config.app_roles.insert(client.clone(), roles).is_some() {
                        return Err(format!("--app-roles: client {client} is named twice"));
                    }
                }
                "--membership-delay-ms" => {
                    config.membership_delay_ms = parse_number(&flag, &value)?
                }
                "--sync-interval-ms" => config.sync_interval_ms = parse_number(&flag, &value)?,
                "--sync-cooldown-ms" => config.sync_cooldown_ms = parse_number(&flag, &value)?,
                "--client-certificate" => {
                    let (client, certificates) = parse_client_certificate(&value)?;
                    config
                        .client_certificates
                        .entry(client)
                        .or_default()
                        .extend(certificates);
                }
                "--federated-credential" => {
                    let (client, subject) = client_pair(&flag, &value, "SUBJECT")?;
                    config
                        .federated_credentials
                        .entry(client)
                        .or_default()
                        .push(subject);
                }
                "--oidc-request-token" | "--oidc-subject" | "--managed-identity-tenant" => {
                    if value.trim().is_empty() {
                        return Err(format!("{flag} must not be empty"));
                    }
                    match flag.as_str() {
                        "--oidc-request-token" => config.oidc_request_token = value,
                        "--oidc-subject" => config.oidc_subject = value,
                        _ => config.managed_identity_tenant = value,
                    }
                }
                "--token-lifetime-s" => {
                    let seconds = parse_number(&flag, &value)?;
                    if seconds == 0 || seconds > 86_400 {
                        return Err(format!(
                            "--token-lifetime-s: {value} is not between 1 and 86400"
                        ));
                    }
                    config.token_lifetime_s = seconds as i64;
                }
                "--fault-rate" => {
                    let rate: f64 = value.parse().map_err(|_| {
                        format!("--fault-rate: {value:?} is not a number between 0 and 1")
                    })?;
                    if !(0.0..=1.0).contains(&rate) {
                        return Err(format!("--fault-rate: {value} is not between 0 and 1"));
                    }
                    config.fault_rate = rate;
                }
                _ => unreachable!("flag list checked above"),
            }
        }
        Ok(config)
    }
}

/// `CLIENT_ID=ROLE[,ROLE...]`; `CLIENT_ID=` names a client with no application roles at all.
fn parse_app_roles(value: &str) -> Result<(String, Vec<String>), String> {
    let (client, roles) = value
        .split_once('=')
        .filter(|(client, _)| !client.trim().is_empty())
        .ok_or_else(|| format!("--app-roles: {value:?} is not CLIENT_ID=ROLE[,ROLE...]"))?;
    let roles = roles
        .split(',')
        .map(str::trim)
        .filter(|role| !role.is_empty())
        .map(str::to_string)
        .collect();
    Ok((client.trim().to_ascii_lowercase(), roles))
}

/// `CLIENT_ID=VALUE` with both sides non-empty; the client id lower-cased.
fn client_pair(flag: &str, value: &str, what: &str) -> Result<(String, String), String> {
    value
        .split_once('=')
        .map(|(client, rest)| (client.trim(), rest.trim()))
        .filter(|(client, rest)| !client.is_empty() && !rest.is_empty())
        .map(|(client, rest)| (client.to_ascii_lowercase(), rest.to_string()))
        .ok_or_else(|| format!("{flag}: {value:?} is not CLIENT_ID={what}"))
}

/// `CLIENT_ID=PEM_FILE`, read now so a bad file stops the emulator at start rather than failing sign-ins later.
fn parse_client_certificate(value: &str) -> Result<(String, Vec<Vec<u8>>), String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let (client, path) = client_pair("--client-certificate", value, "PEM_FILE")?;
    let pem = std::fs::read(&path)
        .map_err(|e| format!("--client-certificate: cannot read {path}: {e}"))?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .map(|cert| cert.map(|der| der.to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("--client-certificate: {path} is not valid PEM: {e:?}"))?;
    if certificates.is_empty() {
        return Err(format!(
            "--client-certificate: {path} holds no CERTIFICATE block"
        ));
    }
    Ok((client, certificates))
}

fn parse_number(flag: &str, value: &str) -> Result<u64, String> {
    value
        .parse()
        .map_err(|_| format!("{flag}: {value:?} is not a non-negative whole number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, String> {
        Config::from_args(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn every_flag_is_read_in_both_spellings() {
        let config = parse(&[
            "--listen",
            "127.0.0.1:0",
            "--state=/tmp/x.json",
            "--client-secret",
            "s3",
            "--seed=42",
            "--latency-ms",
            "5",
            "--fault-rate",
            "0.25",
            "--consistency-lag-ms=2000",
            "--import-delay-ms",
            "10",
            "--membership-delay-ms=2000",
            "--sync-interval-ms",
            "3000",
            "--sync-cooldown-ms=60000",
            "--throttle",
            "--app-roles",
            "App-1=Group.Read.All, Device.Read.All",
            "--app-roles=app-2=",
        ])
        .unwrap();
        assert_eq!(config.listen, "127.0.0.1:0".parse().unwrap());
        assert_eq!(config.state_file, Some(PathBuf::from("/tmp/x.json")));
        assert_eq!(config.client_secret, "s3");
        assert_eq!(config.seed, 42);
        assert_eq!(config.latency_ms, 5);
        assert_eq!(config.fault_rate, 0.25);
        assert_eq!(config.consistency_lag_ms, 2000);
        assert_eq!(config.import_delay_ms, 10);
        assert_eq!(config.membership_delay_ms, 2000);
        assert_eq!(config.sync_interval_ms, 3000);
        assert_eq!(config.sync_cooldown_ms, 60_000);
        assert!(config.throttle);
        assert_eq!(
            config.app_roles,
            AppRoles::from([
                (
                    "app-1".to_string(),
                    vec!["Group.Read.All".to_string(), "Device.Read.All".to_string()]
                ),
                ("app-2".to_string(), vec![]),
            ])
        );
    }

    #[test]
    fn defaults_match_the_documented_ones() {
        let config = parse(&[]).unwrap();
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(config.client_secret, DEFAULT_CLIENT_SECRET);
        assert_eq!(config.fault_rate, 0.0);
        assert_eq!(config.membership_delay_ms, 0);
        assert_eq!(config.sync_interval_ms, 0);
        assert_eq!(config.sync_cooldown_ms, 600_000);
        assert!(!config.throttle);
        assert!(config.state_file.is_none());
    }

    #[test]
    fn bad_flags_say_what_is_wrong() {
        assert!(parse(&["--bogus"]).unwrap_err().contains("--bogus"));
        assert!(parse(&["--listen"]).unwrap_err().contains("needs a value"));
        assert!(
            parse(&["--listen", "nowhere"])
                .unwrap_err()
                .contains("--listen")
        );
        assert!(
            parse(&["--fault-rate", "1.5"])
                .unwrap_err()
                .contains("between 0 and 1")
        );
        assert!(parse(&["--seed", "-1"]).unwrap_err().contains("--seed"));
        assert!(parse(&["--throttle=yes"]).unwrap_err().contains("no value"));
        assert!(
            parse(&["--app-roles", "Group.Read.All"])
                .unwrap_err()
                .contains("CLIENT_ID=")
        );
        assert!(
            parse(&["--app-roles", "a=X", "--app-roles", "A=Y"])
                .unwrap_err()
                .contains("named twice")
        );
    }
}
