//! Client assertions signed with a certificate (`--client-certificate CLIENT=PEM_FILE`), checked the way Entra
//! checks them (Microsoft identity platform, "Microsoft identity platform application authentication certificate
//! credentials"): an RS256 or PS256 JWT whose `x5t` (SHA-1) or `x5t#S256` (SHA-256) header names a certificate
//! registered for the client, a signature that key verifies, `aud` the token URL, `iss` and `sub` the client id,
//! `exp` and `nbf` around now, and a `jti` not presented before.

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rustls::pki_types::CertificateDer;
use webpki::EndEntityCert;

use super::jwt::{Jwt, check_time_window};
use super::{SignInState, TokenError};

/// Everything the assertion is checked against.
pub struct AssertionCheck<'a> {
    pub client_id: &'a str,
    /// The DER certificates registered for the client (none: the app has no certificate credential).
    pub certificates: &'a [Vec<u8>],
    /// The URL the request was sent to.
    pub token_url: &'a str,
    pub now_unix: i64,
}

/// `Ok` when `assertion` proves the client holds the key of one of its certificates.
pub fn verify(
    assertion: &Jwt,
    check: &AssertionCheck<'_>,
    state: &SignInState,
) -> Result<(), TokenError> {
    let algorithm = match assertion.header_str("alg") {
        Some("RS256") => webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA256,
        Some("PS256") => webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
        other => {
            return Err(TokenError::invalid_client(
                700027,
                format!(
                    "Client assertion failed signature validation. The signing algorithm {} is not supported; use \
                     RS256 or PS256.",
                    other.unwrap_or("(none)")
                ),
            ));
        }
    };
    let thumbprint_sha256 = assertion.header_str("x5t#S256");
    let thumbprint_sha1 = assertion.header_str("x5t");
    if thumbprint_sha1.is_none() && thumbprint_sha256.is_none() {
        return Err(TokenError::invalid_client(
            700027,
            "Client assertion failed signature validation. The assertion header names no certificate (x5t or x5t#S256).",
        ));
    }
    let registered = check.certificates.iter().find(|der| {
        thumbprint_sha256 == Some(&thumbprint(&digest::SHA256, der))
            || thumbprint_sha1 == Some(&thumbprint(&digest::SHA1_FOR_LEGACY_USE_ONLY, der))
    });
    let Some(certificate) = registered else {
        return Err(TokenError::invalid_client(
            700027,
            format!(
                "The certificate with identifier used to sign the client assertion is not registered on application. \
                 [Reason - The key was not found., Thumbprint of key used by client: '{}', Please visit the Azure \
                 Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '{}'.]",
                thumbprint_sha256.or(thumbprint_sha1).unwrap_or_default(),
                check.client_id
            ),
        ));
    };
    let der = CertificateDer::from(certificate.as_slice());
    let verified = EndEntityCert::try_from(&der).is_ok_and(|cert| {
        cert.verify_signature(
            algorithm,
            assertion.signing_input.as_bytes(),
            &assertion.signature,
        )
        .is_ok()
    });
    if !verified {
        return Err(TokenError::invalid_client(
            700027,
            "Client assertion failed signature validation.",
        ));
    }
    // AADSTS50013 is Entra's "assertion is invalid" for the claim checks; the per-claim wording below is ours.
    let invalid = |why: String| {
        TokenError::invalid_client(50013, format!("Assertion failed validation: {why}"))
    };
    let audience_ok = assertion
        .audiences()
        .iter()
        .any(|aud| aud.trim_end_matches('/') == check.token_url.trim_end_matches('/'));
    if !audience_ok {
        return Err(invalid(format!(
            "the audience {:?} is not the token endpoint {}.",
            assertion.audiences(),
            check.token_url
        )));
    }
    for claim in ["iss", "sub"] {
        if !assertion
            .claim_str(claim)
            .is_some_and(|value| value.eq_ignore_ascii_case(check.client_id))
        {
            return Err(invalid(format!(
                "the {claim} claim must be the client id {}.",
                check.client_id
            )));
        }
    }
    let expires_at = check_time_window(assertion, check.now_unix)
        .map_err(|message| TokenError::invalid_client(700024, message))?;
    let Some(jti) = assertion.claim_str("jti").filter(|jti| !jti.is_empty()) else {
        return Err(invalid("the jti claim is missing.".into()));
    };
    if !state.first_use_of(jti, expires_at, check.now_unix) {
        return Err(invalid(format!(
            "the assertion with jti {jti} was already presented; a client assertion is for one request."
        )));
    }
    Ok(())
}

/// A certificate thumbprint as JWT headers carry it: base64url of the digest of the DER.
pub fn thumbprint(algorithm: &'static digest::Algorithm, der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(algorithm, der))
}
