//! AutoMTLS as go-plugin does it: Terraform passes its client certificate in `PLUGIN_CLIENT_CERT`; the provider
//! answers with a fresh server certificate for `localhost` (sent, base64 DER, in the handshake line) and accepts
//! only connections that present exactly Terraform's certificate.
//!
//! Two details decide whether this works at all (reference/terraform-protocol.md §0 and §7):
//! - Terraform's certificate is ECDSA P-521/SHA-512. Go sends no client certificate unless the server's
//!   CertificateRequest lists that scheme, so the verifier advertises aws-lc-rs's full scheme list (ring has no
//!   P-521).
//! - The certificate is marked CA, which webpki rejects as an end entity. Pinning its exact bytes sidesteps chain
//!   building entirely, and is stricter than chain validation anyway: nothing else can ever match.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{
    CryptoProvider, WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    DigitallySignedStruct, DistinguishedName, Error as TlsError, ServerConfig, SignatureScheme,
};

/// The server's certificate and key, generated for each process.
pub struct ServerIdentity {
    pub certificate: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

impl ServerIdentity {
    /// A self-signed P-256 certificate for `localhost` with the serverAuth usage Go's client requires.
    pub fn generate() -> Result<ServerIdentity, String> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|e| format!("generating the server key: {e}"))?;
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()])
            .map_err(|e| format!("building the server certificate: {e}"))?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::DigitalSignature,
            rcgen::KeyUsagePurpose::KeyEncipherment,
        ];
        let certificate = params
            .self_signed(&key)
            .map_err(|e| format!("signing the server certificate: {e}"))?;
        Ok(ServerIdentity {
            certificate: certificate.der().clone(),
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        })
    }
}

/// Parses the PEM certificate Terraform passes in `PLUGIN_CLIENT_CERT`.
pub fn parse_client_certificate(pem: &str) -> Result<CertificateDer<'static>, String> {
    CertificateDer::from_pem_slice(pem.as_bytes())
        .map_err(|e| format!("PLUGIN_CLIENT_CERT is not a PEM certificate: {e}"))
}

fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Accepts exactly one client certificate, byte for byte.
#[derive(Debug)]
pub struct PinnedClientVerifier {
    pinned: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedClientVerifier {
    pub fn new(pinned: CertificateDer<'static>) -> PinnedClientVerifier {
        PinnedClientVerifier {
            pinned,
            algorithms: crypto_provider().signature_verification_algorithms,
        }
    }
}

impl ClientCertVerifier for PinnedClientVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, TlsError> {
        if end_entity.as_ref() == self.pinned.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(TlsError::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The TLS configuration for the plugin server: our identity, Terraform's pinned certificate, and ALPN `h2`
/// (without it Go's gRPC client drops the connection after a successful handshake).
pub fn server_config(
    identity: &ServerIdentity,
    client_certificate: CertificateDer<'static>,
) -> Result<ServerConfig, String> {
    let mut config = ServerConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS versions: {e}"))?
        .with_client_cert_verifier(Arc::new(PinnedClientVerifier::new(client_certificate)))
        .with_single_cert(
            vec![identity.certificate.clone()],
            PrivateKeyDer::Pkcs8(identity.key.clone_key()),
        )
        .map_err(|e| format!("TLS server certificate: {e}"))?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::client::danger::{ServerCertVerified, ServerCertVerifier};
    use rustls::pki_types::ServerName;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    /// A client certificate shaped like Terraform's: ECDSA P-521, marked CA, for localhost.
    fn terraform_like_client() -> (CertificateDer<'static>, PrivatePkcs8KeyDer<'static>) {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        (
            cert.der().clone(),
            PrivatePkcs8KeyDer::from(key.serialize_der()),
        )
    }

    /// The test client trusts whatever server it reaches: what is under test is the server's client check.
    #[derive(Debug)]
    struct AnyServer(WebPkiSupportedAlgorithms);

    impl ServerCertVerifier for AnyServer {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, TlsError> {
            Ok(ServerCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            m: &[u8],
            c: &CertificateDer<'_>,
            d: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, TlsError> {
            verify_tls12_signature(m, c, d, &self.0)
        }
        fn verify_tls13_signature(
            &self,
            m: &[u8],
            c: &CertificateDer<'_>,
            d: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, TlsError> {
            verify_tls13_signature(m, c, d, &self.0)
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.supported_schemes()
        }
    }

    /// Starts a one-connection echo server with the plugin's TLS config and returns its address.
    async fn start_server(pinned: CertificateDer<'static>) -> std::net::SocketAddr {
        let identity = ServerIdentity::generate().unwrap();
        let acceptor =
            tokio_rustls::TlsAcceptor::from(Arc::new(server_config(&identity, pinned).unwrap()));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            if let Ok(mut tls) = acceptor.accept(socket).await {
                let mut buf = [0u8; 4];
                if tls.read_exact(&mut buf).await.is_ok() {
                    let _ = tls.write_all(&buf).await;
                }
            }
        });
        addr
    }

    /// Connects, sends "ping" and returns whether the echo came back (i.e. the server accepted the client).
    async fn echo_with(
        addr: std::net::SocketAddr,
        identity: Option<(CertificateDer<'static>, PrivatePkcs8KeyDer<'static>)>,
    ) -> bool {
        let provider = crypto_provider();
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyServer(
                provider.signature_verification_algorithms,
            )));
        let mut config = match identity {
            Some((cert, key)) => builder
                .with_client_auth_cert(vec![cert], PrivateKeyDer::Pkcs8(key))
                .unwrap(),
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = vec![b"h2".to_vec()];
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let socket = TcpStream::connect(addr).await.unwrap();
        let Ok(mut tls) = connector
            .connect(ServerName::try_from("localhost").unwrap(), socket)
            .await
        else {
            return false;
        };
        // Under TLS 1.3 a refused client certificate surfaces on the first read, not in the handshake.
        if tls.write_all(b"ping").await.is_err() {
            return false;
        }
        let mut buf = [0u8; 4];
        tls.read_exact(&mut buf).await.is_ok() && &buf == b"ping"
    }

    #[tokio::test]
    async fn accepts_the_pinned_p521_ca_certificate() {
        let (cert, key) = terraform_like_client();
        let addr = start_server(cert.clone()).await;
        assert!(echo_with(addr, Some((cert, key))).await);
    }

    #[tokio::test]
    async fn refuses_a_client_without_a_certificate() {
        let (cert, _) = terraform_like_client();
        let addr = start_server(cert).await;
        assert!(!echo_with(addr, None).await);
    }

    #[tokio::test]
    async fn refuses_a_different_certificate_of_the_same_kind() {
        let (pinned, _) = terraform_like_client();
        let other = terraform_like_client();
        let addr = start_server(pinned).await;
        assert!(!echo_with(addr, Some(other)).await);
    }

    #[test]
    fn parses_pem_from_the_environment_form() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        assert_eq!(
            parse_client_certificate(&cert.pem()).unwrap().as_ref(),
            cert.der().as_ref()
        );
        assert!(parse_client_certificate("not a certificate").is_err());
    }
}
