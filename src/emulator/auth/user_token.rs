//! `POST {base}/_emulator/user-token?tenant=T&upn=U[&scp=S]`: a delegated token for user U in tenant T, what a
//! signed-in `az` would hand out. Tests put a stand-in `az` on PATH that prints it in `az account get-access-token`'s
//! shape. The token carries `scp` (space-separated delegated permissions: `scp` when given, otherwise every
//! permission the provider could need) and is issued to the Azure CLI's public client id.

use serde_json::{Value, json};

use super::{IssuedToken, Principal, mint};
use crate::emulator::config::Config;
use crate::emulator::prng::Random;
use crate::rules::permissions;

/// The Azure CLI's well-known application id, the `appid` of the tokens it gets.
pub const AZURE_CLI_CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/// `Ok((body, token, issued))`, or the status and body of the refusal.
pub fn issue(
    params: &[(String, String)],
    audience: &str,
    config: &Config,
    random: &Random,
    now_unix: i64,
) -> Result<(Value, String, IssuedToken), (u16, Value)> {
    let param = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.trim().is_empty())
    };
    let (Some(tenant), Some(upn)) = (param("tenant"), param("upn")) else {
        return Err((
            400,
            json!({"error": "the tenant and upn query parameters are required"}),
        ));
    };
    let scopes: Vec<String> = match param("scp") {
        Some(scp) => scp.split_whitespace().map(str::to_string).collect(),
        None => permissions::all_delegated_scopes()
            .into_iter()
            .map(str::to_string)
            .collect(),
    };
    let principal = Principal {
        tenant,
        app_id: AZURE_CLI_CLIENT_ID,
        roles: Vec::new(),
        scopes: scopes.clone(),
        upn: Some(upn),
    };
    let lifetime = config.token_lifetime_s;
    let (token, issued) = mint(principal, audience, lifetime, random, now_unix);
    let body = json!({
        "token_type": "Bearer",
        "access_token": token,
        "expires_in": lifetime,
        "scope": scopes.join(" "),
    });
    Ok((body, token, issued))
}
