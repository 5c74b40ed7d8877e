//! The go-plugin process contract: check the magic cookie, negotiate protocol 6, listen on 127.0.0.1 inside
//! Terraform's port range, print the one handshake line, and serve gRPC until `GRPCController.Shutdown`.
//! `--debug` runs the same server in reattach mode for debuggers (no TLS, no cookie, the reattach JSON printed).

use std::io::Write;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::Connected;

use super::automtls::{self, ServerIdentity};
use super::grpc::{BrokerService, ControllerService, ProviderService, StdioService};
use super::proto::plugin::grpc_broker_server::GrpcBrokerServer;
use super::proto::plugin::grpc_controller_server::GrpcControllerServer;
use super::proto::plugin::grpc_stdio_server::GrpcStdioServer;
use super::proto::tfplugin6::provider_server::ProviderServer;
use super::resource::Provider;

/// Terraform's magic cookie (go-plugin's handshake config for providers).
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
const PROTOCOL_VERSION: u32 = 6;
/// terraform-plugin-go's limit; schemas and large states exceed tonic's 4 MiB default.
const MAX_MESSAGE_BYTES: usize = 256 * 1024 * 1024;

/// Why the server could not start. `main` prints it to stderr and exits non-zero.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "This binary is a plugin. These are not meant to be executed directly.\n\
         Please execute the program that consumes these plugins, which will\n\
         load any plugins automatically ({binary} is loaded by Terraform or OpenTofu)."
    )]
    NotAPluginLaunch { binary: String },
    #[error(
        "incompatible plugin protocol versions: Terraform offers {offered:?}, this provider speaks 6"
    )]
    IncompatibleProtocol { offered: String },
    #[error("{0}")]
    Setup(String),
}

/// How this process was started.
pub struct ServeOptions {
    /// The provider's source address, used in the reattach JSON (e.g. `registry.terraform.io/example/autopilot`).
    pub address: String,
    /// The provider's executable name, for the message shown when someone runs it by hand.
    pub binary: String,
    /// `--debug`: reattach mode.
    pub debug: bool,
}

/// Runs the plugin server until Terraform shuts it down.
pub async fn serve<P: Provider>(provider: P, options: ServeOptions) -> Result<(), ServeError> {
    let env = |name: &str| std::env::var(name).ok();
    if !options.debug {
        if env(MAGIC_COOKIE_KEY).as_deref() != Some(MAGIC_COOKIE_VALUE) {
            return Err(ServeError::NotAPluginLaunch {
                binary: options.binary,
            });
        }
        if let Some(offered) = env("PLUGIN_PROTOCOL_VERSIONS")
            && !offered
                .split(',')
                .any(|v| v.trim() == PROTOCOL_VERSION.to_string())
        {
            return Err(ServeError::IncompatibleProtocol { offered });
        }
    }

    let listener = if options.debug {
        TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| ServeError::Setup(format!("listening: {e}")))?
    } else {
        bind_in_range(port_range(env("PLUGIN_MIN_PORT"), env("PLUGIN_MAX_PORT"))).await?
    };
    let addr = listener
        .local_addr()
        .map_err(|e| ServeError::Setup(e.to_string()))?;

    let tls = match env("PLUGIN_CLIENT_CERT").filter(|pem| !pem.trim().is_empty() && !options.debug)
    {
        Some(pem) => {
            let client = automtls::parse_client_certificate(&pem).map_err(ServeError::Setup)?;
            let identity = ServerIdentity::generate().map_err(ServeError::Setup)?;
            let config = automtls::server_config(&identity, client).map_err(ServeError::Setup)?;
            Some((
                identity.certificate,
                tokio_rustls::TlsAcceptor::from(Arc::new(config)),
            ))
        }
        None => None,
    };

    let (shutdown_tx, mut shutdown_rx) = watch::channel(false);
    let (stop_tx, stop_rx) = watch::channel(false);
    let provider_service = ProviderService::new(provider, stop_tx, stop_rx);
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;

    let incoming = accept_loop(listener, tls.as_ref().map(|(_, acceptor)| acceptor.clone()));
    let router = tonic::transport::Server::builder()
        .add_service(
            ProviderServer::new(provider_service)
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(GrpcControllerServer::new(ControllerService::new(
            shutdown_tx.clone(),
        )))
        .add_service(GrpcStdioServer::new(StdioService))
        .add_service(GrpcBrokerServer::new(BrokerService))
        .add_service(health_service);

    announce(&options, addr, tls.as_ref().map(|(cert, _)| cert.as_ref()));
    ignore_interrupts(options.debug, shutdown_tx);

    let shutdown = async move {
        let _ = shutdown_rx.wait_for(|down| *down).await;
        log::debug!("shutting down on request");
    };
    router
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
        .map_err(|e| ServeError::Setup(format!("serving gRPC: {e}")))
}

/// Terraform passes the allowed range; go-plugin's defaults apply when it is absent.
fn port_range(min: Option<String>, max: Option<String>) -> (u16, u16) {
    let min = min.and_then(|v| v.parse().ok()).unwrap_or(10000);
    let max = max.and_then(|v| v.parse().ok()).unwrap_or(25000);
    if min <= max { (min, max) } else { (max, min) }
}

async fn bind_in_range((min, max): (u16, u16)) -> Result<TcpListener, ServeError> {
    // Start at a pid-derived offset so the several providers Terraform starts at once rarely collide.
    let span = u32::from(max - min) + 1;
    let offset = std::process::id() % span;
    for step in 0..span {
        let port = min as u32 + (offset + step) % span;
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", port as u16)).await {
            return Ok(listener);
        }
    }
    Err(ServeError::Setup(format!(
        "no free port on 127.0.0.1 between {min} and {max}"
    )))
}

/// Prints the handshake line (or, in debug mode, the reattach instructions) and flushes it: nothing else is ever
/// written to stdout.
fn announce(options: &ServeOptions, addr: SocketAddr, certificate: Option<&[u8]>) {
    let mut stdout = std::io::stdout().lock();
    if options.debug {
        let reattach = serde_json::json!({
            options.address.clone(): {
                "Protocol": "grpc",
                "ProtocolVersion": PROTOCOL_VERSION,
                "Pid": std::process::id(),
                "Test": true,
                "Addr": {"Network": "tcp", "String": addr.to_string()},
            }
        });
        let _ = writeln!(
            stdout,
            "Provider started. To attach Terraform, set TF_REATTACH_PROVIDERS to the following:\n\n\
             \tTF_REATTACH_PROVIDERS='{reattach}'\n"
        );
    } else {
        // go-plugin decodes with RawStdEncoding: padding would be rejected as illegal base64.
        let cert = certificate
            .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
            .unwrap_or_default();
        let _ = writeln!(stdout, "1|{PROTOCOL_VERSION}|tcp|{addr}|grpc|{cert}");
    }
    let _ = stdout.flush();
}

/// Ctrl-C goes to the whole process group; Terraform then sends StopProvider and Shutdown itself, so the provider
/// must survive the signal (go-plugin ignores it too). In debug mode nobody sends Shutdown: SIGINT ends the server.
fn ignore_interrupts(debug: bool, shutdown: watch::Sender<bool>) {
    tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            if debug {
                let _ = shutdown.send(true);
                return;
            }
            log::debug!("ignoring SIGINT; waiting for Terraform to stop the provider");
        }
    });
}

/// Accepts connections, sets TCP_NODELAY (without it every RPC after the first waits ~40 ms for a delayed ACK) and
/// completes TLS handshakes off the accept loop, so a slow or hostile client cannot block others.
fn accept_loop(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> ReceiverStream<Result<Connection, std::io::Error>> {
    let (sender, receiver) = mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let (socket, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    log::warn!("accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = socket.set_nodelay(true);
            let sender = sender.clone();
            match tls.clone() {
                None => {
                    if sender.send(Ok(Connection::Plain(socket))).await.is_err() {
                        return;
                    }
                }
                Some(acceptor) => {
                    tokio::spawn(async move {
                        match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(socket))
                            .await
                        {
                            Ok(Ok(stream)) => {
                                let _ = sender.send(Ok(Connection::Tls(Box::new(stream)))).await;
                            }
                            Ok(Err(e)) => log::warn!("refused a TLS connection from {peer}: {e}"),
                            Err(_) => log::warn!("TLS handshake from {peer} timed out"),
                        }
                    });
                }
            }
        }
    });
    ReceiverStream::new(receiver)
}

/// A client connection, with or without TLS.
pub enum Connection {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

impl Connected for Connection {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_flush(cx),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Connection::Plain(s) => s.is_write_vectored(),
            Connection::Tls(s) => s.is_write_vectored(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_range_defaults_and_orders() {
        assert_eq!(port_range(None, None), (10000, 25000));
        assert_eq!(
            port_range(Some("12000".into()), Some("12010".into())),
            (12000, 12010)
        );
        assert_eq!(
            port_range(Some("13000".into()), Some("12000".into())),
            (12000, 13000)
        );
    }

    #[tokio::test]
    async fn binds_inside_the_range() {
        let listener = bind_in_range((20100, 20200)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        assert!((20100..=20200).contains(&port));
        assert!(listener.local_addr().unwrap().ip().is_loopback());
    }
}
