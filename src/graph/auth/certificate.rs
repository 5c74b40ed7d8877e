//! Signing in with a certificate: the private key signs a short-lived client assertion (an RS256 JWT) for every
//! token request, as Entra's certificate credentials are documented: header `alg` RS256 with `x5t` (SHA-1) and
//! `x5t#S256` (SHA-256) thumbprints of the certificate, claims `aud` the token URL, `iss` and `sub` the client id,
//! a fresh `jti`, `nbf`, `iat` and `exp` ten minutes later.
//!
//! The certificate comes as PKCS#12 (a `.pfx`, as Windows and `openssl pkcs12 -export` write it: AES/PBES2, 3DES
//! or RC2 bags; read by `p12-keystore`) or as PEM holding the certificate and its key (PKCS#8 or PKCS#1 "RSA
//! PRIVATE KEY"). Everything is read and checked when the provider is configured, so a bad file or a wrong password
//! fails before any request, and the key is checked to belong to the certificate. Entra only accepts RSA keys.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::digest;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::RSA_PKCS1_SHA256;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::json;

use crate::graph::GraphError;

/// How long a client assertion is valid; Entra accepts up to the token lifetime, ten minutes is the usual choice.
const ASSERTION_LIFETIME_SECS: u64 = 600;

/// Why a certificate could not be used; the message never quotes key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CertificateError(pub String);

/// A certificate and its RSA private key, ready to sign client assertions. `Debug` shows only the thumbprint.
pub struct ClientCertificate {
    key: KeyPair,
    /// base64url SHA-1 of the certificate's DER.
    x5t: String,
    /// base64url SHA-256 of the certificate's DER.
    x5t_s256: String,
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("x5t#S256", &self.x5t_s256)
            .finish_non_exhaustive()
    }
}

impl ClientCertificate {
    /// A PKCS#12 bundle protected by `password` (may be empty).
    pub fn from_pkcs12(
        bundle: &[u8],
        password: &str,
    ) -> Result<ClientCertificate, CertificateError> {
        let store = p12_keystore::KeyStore::from_pkcs12(bundle, password, p12_keystore::Pkcs12ImportPolicy::Relaxed)
            .map_err(|e| match e {
                p12_keystore::error::Error::MacError(_) => CertificateError(
                    "the PKCS#12 bundle cannot be opened with this password (its integrity check failed)".into(),
                ),
                other => CertificateError(format!("not a PKCS#12 bundle this provider can read: {other}")),
            })?;
        let (_, chain) = store.private_key_chain().ok_or_else(|| {
            CertificateError("the PKCS#12 bundle holds no private key with its certificate".into())
        })?;
        let certificate = chain.certs().first().ok_or_else(|| {
            CertificateError(
                "the PKCS#12 bundle holds a private key but not its certificate".into(),
            )
        })?;
        let key = KeyPair::from_pkcs8(chain.key().as_der()).map_err(|_| not_rsa())?;
        ClientCertificate::new(certificate.as_der(), key)
    }

    /// PEM text with a CERTIFICATE block and its private key (PRIVATE KEY or RSA PRIVATE KEY).
    pub fn from_pem(pem: &[u8]) -> Result<ClientCertificate, CertificateError> {
        let certificate = CertificateDer::pem_slice_iter(pem)
            .next()
            .ok_or_else(|| CertificateError("the PEM file holds no CERTIFICATE block".into()))?
            .map_err(|_| {
                CertificateError("the PEM file's CERTIFICATE block cannot be read".into())
            })?;
        let key = match PrivateKeyDer::from_pem_slice(pem) {
            Ok(PrivateKeyDer::Pkcs8(key)) => KeyPair::from_pkcs8(key.secret_pkcs8_der()),
            Ok(PrivateKeyDer::Pkcs1(key)) => KeyPair::from_der(key.secret_pkcs1_der()),
            Ok(_) => return Err(not_rsa()),
            Err(_) => {
                return Err(CertificateError(
                    "the PEM file holds no PRIVATE KEY or RSA PRIVATE KEY block (an encrypted key is not supported; \
                     use a PKCS#12 file with a password instead)"
                        .into(),
                ));
            }
        }
        .map_err(|_| not_rsa())?;
        ClientCertificate::new(&certificate, key)
    }

    /// A file's contents: PEM when it looks like PEM, PKCS#12 otherwise.
    pub fn from_file_contents(
        contents: &[u8],
        password: &str,
    ) -> Result<ClientCertificate, CertificateError> {
        if contents.windows(11).any(|w| w == b"-----BEGIN ") {
            ClientCertificate::from_pem(contents)
        } else {
            ClientCertificate::from_pkcs12(contents, password)
        }
    }

    fn new(certificate_der: &[u8], key: KeyPair) -> Result<ClientCertificate, CertificateError> {
        let der = CertificateDer::from(certificate_der);
        let end_entity = webpki::EndEntityCert::try_from(&der)
            .map_err(|e| CertificateError(format!("the certificate cannot be parsed: {e:?}")))?;
        // A key from another certificate would only fail later at Entra with a signature error; say so now.
        let probe = b"terraform-provider-autopilot key check";
        let signature = sign(&key, probe).map_err(|_| not_rsa())?;
        end_entity
            .verify_signature(
                webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA256,
                probe,
                &signature,
            )
            .map_err(|_| {
                CertificateError("the private key does not belong to the certificate".into())
            })?;
        Ok(ClientCertificate {
            key,
            x5t: URL_SAFE_NO_PAD.encode(digest::digest(
                &digest::SHA1_FOR_LEGACY_USE_ONLY,
                certificate_der,
            )),
            x5t_s256: URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, certificate_der)),
        })
    }

    /// base64url SHA-256 thumbprint, as Entra's app registration shows certificates.
    pub fn thumbprint_sha256(&self) -> &str {
        &self.x5t_s256
    }

    /// A fresh client assertion for `client_id` at `token_url`.
    pub(crate) fn assertion(&self, client_id: &str, token_url: &str) -> Result<String, GraphError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        self.assertion_at(client_id, token_url, now)
    }

    fn assertion_at(
        &self,
        client_id: &str,
        token_url: &str,
        now: u64,
    ) -> Result<String, GraphError> {
        let header =
            json!({"alg": "RS256", "typ": "JWT", "x5t": self.x5t, "x5t#S256": self.x5t_s256});
        let claims = json!({
            "aud": token_url,
            "iss": client_id,
            "sub": client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": now,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_SECS,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = sign(&self.key, signing_input.as_bytes()).map_err(|_| {
            GraphError::InvalidConfig(
                "signing the client assertion with the certificate's key failed".into(),
            )
        })?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}

fn sign(key: &KeyPair, message: &[u8]) -> Result<Vec<u8>, aws_lc_rs::error::Unspecified> {
    let mut signature = vec![0; key.public_modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        message,
        &mut signature,
    )?;
    Ok(signature)
}

fn not_rsa() -> CertificateError {
    CertificateError(
        "the private key is not an RSA key (Entra ID accepts only RSA certificates)".into(),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A self-signed RSA certificate and its key as PEM, and the DER of the certificate.
    pub(crate) fn rsa_certificate(name: &str) -> (String, String, Vec<u8>) {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("RSA key");
        let cert = rcgen::CertificateParams::new(vec![name.to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        (cert.pem(), key.serialize_pem(), cert.der().to_vec())
    }

    fn pkcs12(
        cert_der: &[u8],
        key_pem: &str,
        password: &str,
        algorithm: p12_keystore::EncryptionAlgorithm,
    ) -> Vec<u8> {
        let key_der = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).unwrap();
        let key = p12_keystore::PrivateKey::from_der(key_der.secret_der()).unwrap();
        let cert = p12_keystore::Certificate::from_der(cert_der).unwrap();
        let chain = p12_keystore::PrivateKeyChain::new(vec![1u8; 20], key, [cert]);
        let mut store = p12_keystore::KeyStore::new();
        store.add_entry(
            "client",
            p12_keystore::KeyStoreEntry::PrivateKeyChain(chain),
        );
        store
            .writer(password)
            .encryption_algorithm(algorithm)
            .write()
            .unwrap()
    }

    /// The RSAPrivateKey inside a PKCS#8 PrivateKeyInfo (SEQUENCE { INTEGER, SEQUENCE, OCTET STRING }).
    fn pkcs1_inside(pkcs8: &[u8]) -> Vec<u8> {
        fn item(input: &[u8]) -> (&[u8], &[u8]) {
            let (len, header) = match input[1] {
                n if n < 0x80 => (usize::from(n), 2),
                n => {
                    let count = usize::from(n & 0x7f);
                    let len = input[2..2 + count]
                        .iter()
                        .fold(0, |acc, b| (acc << 8) | usize::from(*b));
                    (len, 2 + count)
                }
            };
            (&input[header..header + len], &input[header + len..])
        }
        let (body, _) = item(pkcs8);
        let (_, rest) = item(body);
        let (_, rest) = item(rest);
        item(rest).0.to_vec()
    }

    fn decode_part(token: &str, index: usize) -> serde_json::Value {
        let part = token.split('.').nth(index).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    #[test]
    fn pkcs12_bundles_in_every_common_encryption_open_with_their_password_only() {
        let (_, key_pem, der) = rsa_certificate("app");
        for algorithm in [
            p12_keystore::EncryptionAlgorithm::PbeWithHmacSha256AndAes256,
            p12_keystore::EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc,
            p12_keystore::EncryptionAlgorithm::PbeWithShaAnd40BitRc4Cbc,
        ] {
            let bundle = pkcs12(&der, &key_pem, "pfx-pass", algorithm);
            let cert = ClientCertificate::from_pkcs12(&bundle, "pfx-pass").unwrap();
            assert_eq!(
                cert.thumbprint_sha256(),
                URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, &der))
            );
            let wrong = ClientCertificate::from_pkcs12(&bundle, "nope").unwrap_err();
            assert!(wrong.0.contains("password"), "{algorithm:?}: {wrong}");
        }
    }

    #[test]
    fn pem_with_pkcs8_or_pkcs1_keys_is_read_and_a_foreign_key_is_refused() {
        let (cert_pem, key_pem, _) = rsa_certificate("app");
        assert!(
            ClientCertificate::from_file_contents(format!("{cert_pem}{key_pem}").as_bytes(), "")
                .is_ok()
        );
        let pkcs8 = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).unwrap();
        let pkcs1 = pkcs1_inside(pkcs8.secret_der());
        let pkcs1_pem = format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(pkcs1)
        );
        assert!(ClientCertificate::from_pem(format!("{cert_pem}{pkcs1_pem}").as_bytes()).is_ok());
        let (_, other_key, _) = rsa_certificate("other");
        let err =
            ClientCertificate::from_pem(format!("{cert_pem}{other_key}").as_bytes()).unwrap_err();
        assert!(err.0.contains("does not belong"), "{err}");
        assert!(
            ClientCertificate::from_pem(cert_pem.as_bytes())
                .unwrap_err()
                .0
                .contains("PRIVATE KEY")
        );
        assert!(ClientCertificate::from_file_contents(b"garbage", "").is_err());
    }

    #[test]
    fn the_assertion_has_entras_header_and_claims_and_a_valid_signature() {
        let (cert_pem, key_pem, der) = rsa_certificate("app");
        let cert = ClientCertificate::from_pem(format!("{cert_pem}{key_pem}").as_bytes()).unwrap();
        let url = "https://login.microsoftonline.com/t/oauth2/v2.0/token";
        let token = cert.assertion_at("client-1", url, 1_000).unwrap();
        let header = decode_part(&token, 0);
        assert_eq!(header["alg"], "RS256");
        assert_eq!(
            header["x5t#S256"],
            URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, &der))
        );
        assert_eq!(
            header["x5t"],
            URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &der))
        );
        let claims = decode_part(&token, 1);
        assert_eq!(
            (
                claims["aud"].as_str(),
                claims["iss"].as_str(),
                claims["sub"].as_str()
            ),
            (Some(url), Some("client-1"), Some("client-1"))
        );
        assert_eq!(claims["exp"], 1_600);
        let again = cert.assertion_at("client-1", url, 1_000).unwrap();
        assert_ne!(
            decode_part(&again, 1)["jti"],
            claims["jti"],
            "every assertion has its own jti"
        );
        let (input, signature) = token.rsplit_once('.').unwrap();
        let der = CertificateDer::from(der.as_slice());
        webpki::EndEntityCert::try_from(&der)
            .unwrap()
            .verify_signature(
                webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA256,
                input.as_bytes(),
                &URL_SAFE_NO_PAD.decode(signature).unwrap(),
            )
            .unwrap();
        assert!(!format!("{cert:?}").contains("PRIVATE"));
    }
}
