//! Every sign-in flow the emulator plays as Entra (and as GitHub Actions, Azure DevOps, IMDS and App Service), and
//! each refusal, over HTTP: client assertions signed with a certificate, workload identity federation, the OIDC
//! issuer's discovery document and keys, managed identity, delegated user tokens, `--token-lifetime-s` and the
//! `tokens_by_grant` counts. The assertions here are built and signed by the test itself, not by the provider's
//! client, so they check the emulator against the documented rules rather than against our own client.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::digest;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::{self, RsaPublicKeyComponents};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::*;

const APP: &str = "c3a1e0f2-5b4d-4c6e-8f70-9a1b2c3d4e5f";
const SUBJECT: &str = "repo:contoso/autopilot:environment:production";
const REQUEST_TOKEN: &str = "job-request-token";
const EXCHANGE: &str = "api://AzureADTokenExchange";
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A self-signed certificate and the key that signs assertions for it.
struct AppCertificate {
    der: Vec<u8>,
    key: KeyPair,
}

fn app_certificate(name: &str) -> AppCertificate {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("RSA key");
    let cert = rcgen::CertificateParams::new(vec![name.to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    AppCertificate {
        der: cert.der().to_vec(),
        key: KeyPair::from_pkcs8(&key.serialize_der()).expect("rcgen writes PKCS#8"),
    }
}

fn thumbprint(algorithm: &'static digest::Algorithm, der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(algorithm, der))
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// What goes into one assertion; [`Assertion::valid`] is what Entra accepts, tests change one thing.
struct Assertion {
    alg: &'static str,
    /// `(header name, thumbprint)`: `x5t` (SHA-1) or `x5t#S256` (SHA-256).
    thumbprint: (&'static str, String),
    claims: Value,
}

impl Assertion {
    fn valid(certificate: &AppCertificate, token_url: &str) -> Assertion {
        let now = unix_now();
        Assertion {
            alg: "RS256",
            thumbprint: ("x5t#S256", thumbprint(&digest::SHA256, &certificate.der)),
            claims: json!({
                "aud": token_url,
                "iss": APP,
                "sub": APP,
                "iat": now,
                "nbf": now,
                "exp": now + 600,
                "jti": uuid::Uuid::new_v4().to_string(),
            }),
        }
    }

    fn signed_with(&self, key: &KeyPair) -> String {
        let mut header = json!({"alg": self.alg, "typ": "JWT"});
        header[self.thumbprint.0] = json!(self.thumbprint.1);
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(self.claims.to_string())
        );
        let padding: &'static dyn signature::RsaEncoding = match self.alg {
            "PS256" => &signature::RSA_PSS_SHA256,
            _ => &signature::RSA_PKCS1_SHA256,
        };
        let mut sig = vec![0; key.public_modulus_len()];
        key.sign(padding, &SystemRandom::new(), input.as_bytes(), &mut sig)
            .unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }
}

/// An emulator where [`APP`] has `certificate` and a federated credential for [`SUBJECT`].
async fn signin_harness(certificate: &AppCertificate) -> Harness {
    let mut config = config();
    config
        .client_certificates
        .insert(APP.to_string(), vec![certificate.der.clone()]);
    config
        .federated_credentials
        .insert(APP.to_string(), vec![SUBJECT.to_string()]);
    config.oidc_request_token = REQUEST_TOKEN.to_string();
    config.oidc_subject = SUBJECT.to_string();
    harness_with(config).await
}

fn token_url(h: &Harness) -> String {
    format!("{}/{TENANT}/oauth2/v2.0/token", h.base)
}

async fn send_json(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A client-credentials request for [`APP`] with `assertion` as its client assertion.
async fn exchange(h: &Harness, assertion: &str) -> (StatusCode, Value) {
    send_json(h.client.post(token_url(h)).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", APP),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", assertion),
        ("scope", "https://graph.microsoft.com/.default"),
    ]))
    .await
}

/// Entra's refusal: 401 `invalid_client` with `code` first in `error_codes` and at the start of the description.
fn assert_refused(answer: &(StatusCode, Value), code: u32, wording: &str) {
    let (status, body) = answer;
    assert_eq!(*status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "invalid_client", "{body}");
    assert_eq!(body["error_codes"][0], code, "{body}");
    let description = body["error_description"].as_str().unwrap_or_default();
    assert!(
        description.starts_with(&format!("AADSTS{code}:")) && description.contains(wording),
        "{description}"
    );
}

fn claims_of(jwt: &str) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwt.split('.').nth(1).expect("a JWT"))
            .unwrap(),
    )
    .unwrap()
}

fn grant_count(stats: &Value, grant: &str) -> u64 {
    stats["tokens_by_grant"][grant].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn a_certificate_assertion_signs_in_with_rs256_and_ps256_and_either_thumbprint() {
    let certificate = app_certificate("app");
    let h = signin_harness(&certificate).await;
    let url = token_url(&h);

    let rs256 = Assertion::valid(&certificate, &url).signed_with(&certificate.key);
    let (status, body) = exchange(&h, &rs256).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(claims_of(token)["appid"], APP);
    assert_eq!(claims_of(token)["tid"], TENANT);
    let groups = h
        .call_with(Method::GET, "/v1.0/groups", None, token, &[])
        .await;
    assert_eq!(groups.status, StatusCode::OK, "{:?}", groups.body);

    let mut ps256 = Assertion::valid(&certificate, &url);
    ps256.alg = "PS256";
    let (status, body) = exchange(&h, &ps256.signed_with(&certificate.key)).await;
    assert_eq!(status, StatusCode::OK, "PS256: {body}");

    let mut sha1 = Assertion::valid(&certificate, &url);
    sha1.thumbprint = (
        "x5t",
        thumbprint(&digest::SHA1_FOR_LEGACY_USE_ONLY, &certificate.der),
    );
    let (status, body) = exchange(&h, &sha1.signed_with(&certificate.key)).await;
    assert_eq!(status, StatusCode::OK, "x5t: {body}");

    assert_eq!(grant_count(&h.stats().await, "client_certificate"), 3);
}

#[tokio::test]
async fn assertions_a_certificate_does_not_prove_are_refused() {
    let certificate = app_certificate("app");
    let foreign = app_certificate("someone-else");
    let h = signin_harness(&certificate).await;
    let url = token_url(&h);

    // Names the registered certificate but is signed by another key.
    let forged = Assertion::valid(&certificate, &url).signed_with(&foreign.key);
    assert_refused(
        &exchange(&h, &forged).await,
        700027,
        "failed signature validation",
    );
    // The signature breaks once a claim is altered after signing.
    let genuine = Assertion::valid(&certificate, &url).signed_with(&certificate.key);
    let mut parts: Vec<String> = genuine.split('.').map(str::to_string).collect();
    let mut claims = claims_of(&genuine);
    claims["sub"] = json!("someone-else");
    parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
    assert_refused(
        &exchange(&h, &parts.join(".")).await,
        700027,
        "failed signature validation",
    );
    // A certificate the app registration does not have, signed with its own key.
    let outsider = Assertion::valid(&foreign, &url).signed_with(&foreign.key);
    assert_refused(
        &exchange(&h, &outsider).await,
        700027,
        "is not registered on application",
    );
    // The registered key, but the header's thumbprint is not the registered certificate's: the SHA-256 value under
    // the SHA-1 name.
    let mut mislabelled = Assertion::valid(&certificate, &url);
    mislabelled.thumbprint.0 = "x5t";
    assert_refused(
        &exchange(&h, &mislabelled.signed_with(&certificate.key)).await,
        700027,
        "is not registered on application",
    );
    // An algorithm Entra does not take.
    let mut hs256 = Assertion::valid(&certificate, &url);
    hs256.alg = "HS256";
    assert_refused(
        &exchange(&h, &hs256.signed_with(&certificate.key)).await,
        700027,
        "HS256",
    );
    assert_eq!(grant_count(&h.stats().await, "client_certificate"), 0);
}

#[tokio::test]
async fn assertions_outside_their_time_for_another_audience_or_replayed_are_refused() {
    let certificate = app_certificate("app");
    let h = signin_harness(&certificate).await;
    let url = token_url(&h);
    let now = unix_now();

    // Beyond Entra's five minutes of clock skew on either side.
    let mut expired = Assertion::valid(&certificate, &url);
    expired.claims["exp"] = json!(now - 301 - 60);
    expired.claims["nbf"] = json!(now - 3600);
    assert_refused(
        &exchange(&h, &expired.signed_with(&certificate.key)).await,
        700024,
        "not within its valid time range",
    );
    let mut early = Assertion::valid(&certificate, &url);
    early.claims["nbf"] = json!(now + 3600);
    early.claims["exp"] = json!(now + 7200);
    assert_refused(
        &exchange(&h, &early.signed_with(&certificate.key)).await,
        700024,
        "not within its valid time range",
    );
    // Within the skew is still fine.
    let mut skewed = Assertion::valid(&certificate, &url);
    skewed.claims["nbf"] = json!(now + 120);
    let (status, body) = exchange(&h, &skewed.signed_with(&certificate.key)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let other_tenant = format!("{}/{}/oauth2/v2.0/token", h.base, uuid::Uuid::new_v4());
    let wrong_aud = Assertion::valid(&certificate, &other_tenant).signed_with(&certificate.key);
    assert_refused(&exchange(&h, &wrong_aud).await, 50013, "audience");

    let mut foreign_issuer = Assertion::valid(&certificate, &url);
    foreign_issuer.claims["sub"] = json!("another-app");
    assert_refused(
        &exchange(&h, &foreign_issuer.signed_with(&certificate.key)).await,
        50013,
        "sub claim",
    );

    let once = Assertion::valid(&certificate, &url).signed_with(&certificate.key);
    let (status, body) = exchange(&h, &once).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_refused(&exchange(&h, &once).await, 50013, "already presented");
    // A new jti with everything else the same is a new assertion.
    let mut fresh = Assertion::valid(&certificate, &url);
    fresh.claims["jti"] = json!(uuid::Uuid::new_v4().to_string());
    assert_eq!(
        exchange(&h, &fresh.signed_with(&certificate.key)).await.0,
        StatusCode::OK
    );
    assert_eq!(grant_count(&h.stats().await, "client_certificate"), 3);
}

/// A federated token from the GitHub request endpoint for `audience`.
async fn github_token(h: &Harness, audience: &str) -> String {
    let (status, body) = send_json(
        h.client
            .get(format!("{}/_emulator/github/token", h.base))
            .query(&[("audience", audience)])
            .bearer_auth(REQUEST_TOKEN),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["value"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_github_and_azure_devops_request_endpoints_want_the_jobs_bearer_token() {
    let h = signin_harness(&app_certificate("app")).await;
    let github = format!("{}/_emulator/github/token?audience={EXCHANGE}", h.base);
    let ado = format!(
        "{}/_emulator/ado/oidctoken?api-version=7.1&serviceConnectionId=7e1c3c5a-0000-4000-8000-000000000001",
        h.base
    );
    for (name, request) in [
        ("GitHub without", h.client.get(&github)),
        ("GitHub wrong", h.client.get(&github).bearer_auth("not-it")),
        (
            "GitHub basic",
            h.client.get(&github).basic_auth("x", Some(REQUEST_TOKEN)),
        ),
        ("ADO without", h.client.post(&ado)),
        ("ADO wrong", h.client.post(&ado).bearer_auth("not-it")),
    ] {
        let (status, body) = send_json(request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}: {body}");
        assert!(body.get("value").is_none() && body.get("oidcToken").is_none());
    }

    let token = github_token(&h, "api://custom-audience").await;
    let claims = claims_of(&token);
    assert_eq!(claims["aud"], "api://custom-audience");
    assert_eq!(claims["sub"], SUBJECT);
    assert_eq!(claims["iss"], format!("{}/_emulator/oidc", h.base));

    let (status, body) = send_json(h.client.post(&ado).bearer_auth(REQUEST_TOKEN)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let claims = claims_of(body["oidcToken"].as_str().unwrap());
    assert_eq!(claims["aud"], EXCHANGE);
    assert_eq!(claims["sub"], SUBJECT);

    let no_connection = format!("{}/_emulator/ado/oidctoken?api-version=7.1", h.base);
    let (status, _) = send_json(h.client.post(&no_connection).bearer_auth(REQUEST_TOKEN)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_issued_federated_token_verifies_with_the_key_the_jwks_publishes() {
    let h = signin_harness(&app_certificate("app")).await;
    let issuer = format!("{}/_emulator/oidc", h.base);
    let (status, discovery) = send_json(
        h.client
            .get(format!("{issuer}/.well-known/openid-configuration")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(discovery["issuer"], issuer.as_str());
    let (status, jwks) = send_json(h.client.get(discovery["jwks_uri"].as_str().unwrap())).await;
    assert_eq!(status, StatusCode::OK);

    let token = github_token(&h, EXCHANGE).await;
    let (signing_input, signature_part) = token.rsplit_once('.').unwrap();
    let header_part = signing_input.split('.').next().unwrap();
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header_part).unwrap()).unwrap();
    assert_eq!(header["alg"], "RS256");
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("the token's kid is in the JWKS");
    let component = |name: &str| URL_SAFE_NO_PAD.decode(key[name].as_str().unwrap()).unwrap();
    let public = RsaPublicKeyComponents {
        n: component("n"),
        e: component("e"),
    };
    let signature_bytes = URL_SAFE_NO_PAD.decode(signature_part).unwrap();
    public
        .verify(
            &signature::RSA_PKCS1_2048_8192_SHA256,
            signing_input.as_bytes(),
            &signature_bytes,
        )
        .expect("the JWKS key verifies the token");
    assert!(
        public
            .verify(
                &signature::RSA_PKCS1_2048_8192_SHA256,
                format!("{signing_input}x").as_bytes(),
                &signature_bytes,
            )
            .is_err(),
        "and nothing else"
    );
}

/// A federated exchange for `client` with `token` as its assertion.
async fn federated_exchange(h: &Harness, client: &str, token: &str) -> (StatusCode, Value) {
    send_json(h.client.post(token_url(h)).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", client),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", token),
        ("scope", "https://graph.microsoft.com/.default"),
    ]))
    .await
}

#[tokio::test]
async fn a_federated_token_is_exchanged_only_for_a_matching_credential_while_it_lives() {
    let h = signin_harness(&app_certificate("app")).await;
    let token = github_token(&h, EXCHANGE).await;
    let (status, body) = federated_exchange(&h, APP, &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        claims_of(body["access_token"].as_str().unwrap())["appid"],
        APP
    );

    // An app with no federated identity credential at all.
    let stranger = "d4b2f1a3-0000-4000-8000-0000000000ff";
    assert_refused(
        &federated_exchange(&h, stranger, &token).await,
        70021,
        "No matching federated identity record",
    );
    // The token's audience is not the exchange audience.
    let other_audience = github_token(&h, "https://github.com/contoso").await;
    assert_refused(
        &federated_exchange(&h, APP, &other_audience).await,
        700212,
        "audience",
    );

    // Another subject: the same emulator with a credential for a different branch.
    let mut config = config();
    config.federated_credentials.insert(
        APP.to_string(),
        vec!["repo:contoso/autopilot:ref:refs/heads/feature".to_string()],
    );
    config.oidc_request_token = REQUEST_TOKEN.to_string();
    config.oidc_subject = SUBJECT.to_string();
    let other = harness_with(config).await;
    let token_for_main = github_token(&other, EXCHANGE).await;
    assert_refused(
        &federated_exchange(&other, APP, &token_for_main).await,
        700213,
        "subject",
    );

    // Federated tokens live ten minutes; past that and Entra's five minutes of skew, the exchange is refused.
    let late = github_token(&h, EXCHANGE).await;
    let clock = h
        .client
        .post(format!("{}/_emulator/clock?advance_ms={}", h.base, 901_000))
        .send()
        .await
        .unwrap();
    assert_eq!(clock.status(), StatusCode::OK);
    assert_refused(
        &federated_exchange(&h, APP, &late).await,
        700024,
        "not within its valid time range",
    );
    assert_eq!(grant_count(&h.stats().await, "federated"), 1);
}

#[tokio::test]
async fn managed_identity_answers_in_the_imds_and_app_service_forms_only_with_their_header() {
    let h = harness().await;
    let imds = format!(
        "{}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://graph.microsoft.com",
        h.base
    );
    let (status, body) = send_json(h.client.get(&imds)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("metadata header")
    );
    let (status, _) = send_json(h.client.get(&imds).header("Metadata", "false")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let user_assigned = "6b7c8d9e-0000-4000-8000-0000000000aa";
    let (status, body) = send_json(
        h.client
            .get(format!("{imds}&client_id={user_assigned}"))
            .header("Metadata", "true"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // IMDS sends its numbers as strings.
    assert!(
        body["expires_in"].is_string() && body["expires_on"].is_string(),
        "{body}"
    );
    assert_eq!(body["client_id"], user_assigned);
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(claims_of(token)["appid"], user_assigned);
    let groups = h
        .call_with(Method::GET, "/v1.0/groups", None, token, &[])
        .await;
    assert_eq!(groups.status, StatusCode::OK, "{:?}", groups.body);

    let app_service = format!(
        "{}/msi/token?api-version=2019-08-01&resource=https://graph.microsoft.com",
        h.base
    );
    for request in [
        h.client.get(&app_service),
        h.client
            .get(&app_service)
            .header("X-IDENTITY-HEADER", "guess"),
    ] {
        let (status, body) = send_json(request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert!(body.get("access_token").is_none());
    }
    let (status, body) = send_json(
        h.client
            .get(&app_service)
            .header("X-IDENTITY-HEADER", "emulator-identity-header"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let expires_on: i64 = body["expires_on"].as_str().unwrap().parse().unwrap();
    assert!(expires_on > unix_now() + 3000, "{body}");
    assert_eq!(grant_count(&h.stats().await, "managed_identity"), 2);
}

#[tokio::test]
async fn a_user_token_is_delegated_with_scp_and_no_roles() {
    let h = harness().await;
    let upn = "admin@contoso.example";
    let (status, body) = send_json(
        h.client
            .post(format!("{}/_emulator/user-token", h.base))
            .query(&[
                ("tenant", TENANT),
                ("upn", upn),
                ("scp", "Group.Read.All Device.Read.All"),
            ]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["access_token"].as_str().unwrap();
    let claims = claims_of(token);
    assert_eq!(claims["scp"], "Group.Read.All Device.Read.All");
    assert_eq!(claims["upn"], upn);
    assert_eq!(claims["tid"], TENANT);
    assert_eq!(claims["idtyp"], "user");
    assert!(claims.get("roles").is_none(), "{claims}");
    assert!(body["expires_in"].as_i64().unwrap() > 0);
    let groups = h
        .call_with(Method::GET, "/v1.0/groups", None, token, &[])
        .await;
    assert_eq!(groups.status, StatusCode::OK, "{:?}", groups.body);

    // Without scp: every delegated permission the provider could need.
    let (_, body) = send_json(
        h.client
            .post(format!("{}/_emulator/user-token", h.base))
            .query(&[("tenant", TENANT), ("upn", upn)]),
    )
    .await;
    let scp = claims_of(body["access_token"].as_str().unwrap())["scp"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(scp.split(' ').any(|s| s == "Group.ReadWrite.All"), "{scp}");

    let (status, _) = send_json(
        h.client
            .post(format!("{}/_emulator/user-token", h.base))
            .query(&[("tenant", TENANT)]),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(grant_count(&h.stats().await, "user"), 2);
}

#[tokio::test]
async fn token_lifetime_s_sets_how_long_every_kind_of_token_lives() {
    let mut config = config();
    config.token_lifetime_s = 30;
    let h = harness_with(config).await;
    let claims = claims_of(&h.token);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        30
    );
    let (_, body) = send_json(
        h.client
            .get(format!(
                "{}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://graph.microsoft.com",
                h.base
            ))
            .header("Metadata", "true"),
    )
    .await;
    assert_eq!(body["expires_in"], "30");
    let (_, body) = send_json(
        h.client
            .post(format!("{}/_emulator/user-token", h.base))
            .query(&[("tenant", TENANT), ("upn", "u@contoso.example")]),
    )
    .await;
    assert_eq!(body["expires_in"], 30);

    assert_eq!(h.get("/v1.0/groups").await.status, StatusCode::OK);
    let clock = h
        .client
        .post(format!("{}/_emulator/clock?advance_ms=31000", h.base))
        .send()
        .await
        .unwrap();
    assert_eq!(clock.status(), StatusCode::OK);
    let answer = h.get("/v1.0/groups").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(
        answer.error_message().contains("expired"),
        "{:?}",
        answer.body
    );
}

#[tokio::test]
async fn tokens_by_grant_counts_each_grant_and_no_refusal() {
    let certificate = app_certificate("app");
    let h = signin_harness(&certificate).await;
    let url = token_url(&h);
    // The harness signed in once with the secret.
    let assertion = Assertion::valid(&certificate, &url).signed_with(&certificate.key);
    assert_eq!(exchange(&h, &assertion).await.0, StatusCode::OK);
    assert_eq!(exchange(&h, &assertion).await.0, StatusCode::UNAUTHORIZED);
    for _ in 0..2 {
        let federated = github_token(&h, EXCHANGE).await;
        assert_eq!(
            federated_exchange(&h, APP, &federated).await.0,
            StatusCode::OK
        );
    }
    let stranger = "d4b2f1a3-0000-4000-8000-0000000000ff";
    let federated = github_token(&h, EXCHANGE).await;
    assert_eq!(
        federated_exchange(&h, stranger, &federated).await.0,
        StatusCode::UNAUTHORIZED
    );
    let imds = format!(
        "{}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://graph.microsoft.com",
        h.base
    );
    assert_eq!(
        send_json(h.client.get(&imds).header("Metadata", "true"))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        send_json(h.client.get(&imds)).await.0,
        StatusCode::BAD_REQUEST
    );
    let user = send_json(
        h.client
            .post(format!("{}/_emulator/user-token", h.base))
            .query(&[("tenant", TENANT), ("upn", "u@contoso.example")]),
    )
    .await;
    assert_eq!(user.0, StatusCode::OK);
    fetch_token(&h.client, &h.base, TENANT).await;

    let stats = h.stats().await;
    assert_eq!(
        stats["tokens_by_grant"],
        json!({
            "client_secret": 2,
            "client_certificate": 1,
            "federated": 2,
            "managed_identity": 1,
            "user": 1,
        }),
        "{stats}"
    );
}
