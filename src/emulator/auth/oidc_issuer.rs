//! The emulator as an OIDC identity provider, standing in for GitHub Actions' and Azure DevOps' token services:
//! a discovery document and JWKS under `{base}/_emulator/oidc/`, and the two request endpoints CI jobs call to get a
//! federated token (GitHub: `GET {base}/_emulator/github/token?audience=A` answering `{"value": JWT}`; Azure DevOps:
//! `POST {base}/_emulator/ado/oidctoken?serviceConnectionId=ID` answering `{"oidcToken": JWT}`). Both want
//! `Authorization: Bearer` with the value of `--oidc-request-token`, as the real ones want the job's own token.
//! Tokens are RS256-signed with a key made at first use; `sub` is `--oidc-subject`.

use aws_lc_rs::digest;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{self, KeyPair as _, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::jwt::{self, Jwt};

/// The audience Entra's workload identity federation expects in a federated token.
pub const TOKEN_EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";
/// How long a federated token lives. GitHub's live for minutes, not hours; this is of the same order.
pub const FEDERATED_TOKEN_LIFETIME_SECONDS: i64 = 600;
/// GitHub's default audience when a job asks without one is the owner's URL; the emulator's stand-in.
const DEFAULT_GITHUB_AUDIENCE: &str = "https://github.com/example";

/// The issuer's signing key and its published form.
pub struct OidcIssuer {
    key: KeyPair,
    kid: String,
}

impl OidcIssuer {
    pub fn generate() -> OidcIssuer {
        let key = KeyPair::generate(KeySize::Rsa2048).expect("aws-lc-rs generates an RSA key");
        let kid = URL_SAFE_NO_PAD
            .encode(&digest::digest(&digest::SHA256, key.public_key().as_ref()).as_ref()[..12]);
        OidcIssuer { key, kid }
    }

    /// The issuer URL of an emulator reached at `base` (`http://127.0.0.1:PORT`).
    pub fn url(base: &str) -> String {
        format!("{}/_emulator/oidc", base.trim_end_matches('/'))
    }

    /// A federated token for `subject` and `audience`, issued at `now_unix` by the issuer at `issuer_url`.
    pub fn issue(&self, issuer_url: &str, subject: &str, audience: &str, now_unix: i64) -> String {
        let header = json!({"typ": "JWT", "alg": "RS256", "kid": self.kid});
        let claims = json!({
            "iss": issuer_url,
            "sub": subject,
            "aud": audience,
            "iat": now_unix,
            "nbf": now_unix,
            "exp": now_unix + FEDERATED_TOKEN_LIFETIME_SECONDS,
            "jti": URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, format!("{subject}{now_unix}{}", self.kid).as_bytes())),
        });
        jwt::encode(&header, &claims, |input| {
            let mut signature = vec![0; self.key.public_modulus_len()];
            self.key
                .sign(
                    &signature::RSA_PKCS1_SHA256,
                    &aws_lc_rs::rand::SystemRandom::new(),
                    input,
                    &mut signature,
                )
                .expect("signing with a fresh RSA key");
            signature
        })
    }

    /// Whether `token`'s RS256 signature is this issuer's.
    pub fn signed_this(&self, token: &Jwt) -> bool {
        if token.header_str("alg") != Some("RS256") {
            return false;
        }
        UnparsedPublicKey::new(
            &signature::RSA_PKCS1_2048_8192_SHA256,
            self.key.public_key().as_ref(),
        )
        .verify(token.signing_input.as_bytes(), &token.signature)
        .is_ok()
    }

    /// `/.well-known/openid-configuration`.
    pub fn discovery(&self, issuer_url: &str) -> Value {
        json!({
            "issuer": issuer_url,
            "jwks_uri": format!("{issuer_url}/.well-known/jwks"),
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["sub", "aud", "exp", "iat", "iss", "jti", "nbf"],
        })
    }

    /// `/.well-known/jwks`: the one signing key.
    pub fn jwks(&self) -> Value {
        let (n, e) = rsa_public_key_parts(self.key.public_key().as_ref())
            .expect("aws-lc-rs encodes an RSAPublicKey");
        json!({"keys": [{
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(n),
            "e": URL_SAFE_NO_PAD.encode(e),
        }]})
    }
}

/// The modulus and exponent of a DER `RSAPublicKey` (`SEQUENCE { INTEGER n, INTEGER e }`), without the sign byte
/// DER puts before a high bit, as JWKS wants them.
fn rsa_public_key_parts(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (tag, body, _) = der_item(der)?;
    if tag != 0x30 {
        return None;
    }
    let (n_tag, n, rest) = der_item(body)?;
    let (e_tag, e, _) = der_item(rest)?;
    fn strip(int: &[u8]) -> &[u8] {
        match int {
            [0, rest @ ..] if !rest.is_empty() => rest,
            other => other,
        }
    }
    (n_tag == 0x02 && e_tag == 0x02).then(|| (strip(n), strip(e)))
}

/// One DER item: its tag, its contents and what follows it.
fn der_item(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[count..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// Which of the two request forms a CI job used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestForm {
    GitHub,
    AzureDevOps,
}

/// A refused token request: status and a JSON body in the service's manner.
pub type Refusal = (u16, Value);

/// Handles a GitHub or Azure DevOps token request; `Ok` is the JSON body to answer.
pub fn request_token(
    issuer: &OidcIssuer,
    form: RequestForm,
    request: &TokenRequest<'_>,
) -> Result<Value, Refusal> {
    let presented = request
        .authorization
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    if presented != Some(request.expected_bearer) {
        // GitHub and Azure DevOps both answer a missing or wrong job token with 401 (the exact bodies are not
        // documented; these say what is wrong).
        return Err((
            401,
            json!({"message": "Bad credentials: the request needs Authorization: Bearer with the job's request token"}),
        ));
    }
    let param = |name: &str| {
        request
            .params
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    };
    let issuer_url = OidcIssuer::url(request.base_url);
    match form {
        RequestForm::GitHub => {
            let audience = param("audience").unwrap_or(DEFAULT_GITHUB_AUDIENCE);
            let token = issuer.issue(&issuer_url, request.subject, audience, request.now_unix);
            Ok(json!({"count": token.len(), "value": token}))
        }
        RequestForm::AzureDevOps => {
            if param("serviceConnectionId").is_none() {
                return Err((
                    400,
                    json!({"message": "The serviceConnectionId query parameter is required."}),
                ));
            }
            let token = issuer.issue(
                &issuer_url,
                request.subject,
                TOKEN_EXCHANGE_AUDIENCE,
                request.now_unix,
            );
            Ok(json!({"oidcToken": token}))
        }
    }
}

/// The parts of a request for a federated token.
pub struct TokenRequest<'a> {
    pub authorization: Option<&'a str>,
    pub params: &'a [(String, String)],
    pub expected_bearer: &'a str,
    pub subject: &'a str,
    pub base_url: &'a str,
    pub now_unix: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_with_the_issuer_and_not_once_altered() {
        let issuer = OidcIssuer::generate();
        let token = issuer.issue(
            "http://127.0.0.1:1/_emulator/oidc",
            "repo:a/b:ref:refs/heads/main",
            TOKEN_EXCHANGE_AUDIENCE,
            1000,
        );
        let parsed = Jwt::parse(&token).unwrap();
        assert!(issuer.signed_this(&parsed));
        assert_eq!(
            parsed.claim_str("sub"),
            Some("repo:a/b:ref:refs/heads/main")
        );
        assert_eq!(
            parsed.claim_i64("exp"),
            Some(1000 + FEDERATED_TOKEN_LIFETIME_SECONDS)
        );
        let mut forged = parsed;
        forged.signing_input.push('x');
        assert!(!issuer.signed_this(&forged));
        assert!(!OidcIssuer::generate().signed_this(&Jwt::parse(&token).unwrap()));
    }

    #[test]
    fn the_jwks_publishes_the_signing_key_under_the_tokens_kid() {
        let issuer = OidcIssuer::generate();
        let token = Jwt::parse(&issuer.issue("i", "s", "a", 0)).unwrap();
        let jwks = issuer.jwks();
        assert_eq!(jwks["keys"][0]["kid"].as_str(), token.header_str("kid"));
        assert_eq!(jwks["keys"][0]["e"], "AQAB");
        assert_eq!(issuer.discovery("i")["jwks_uri"], "i/.well-known/jwks");
    }
}
