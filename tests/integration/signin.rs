//! Every way of signing in, through real Terraform against the emulator's Entra: a client certificate (PKCS#12 as
//! base64 or a file, PEM), OIDC federation (the token, a token file, GitHub Actions' and Azure DevOps' request
//! forms), managed identity (IMDS and App Service), the Azure CLI; which kind wins when several are configured;
//! a wrong password and a foreign certificate; tokens refreshed within one long operation; and TRACE logs that hold
//! no secret, assertion, federated token or access token.

use base64::Engine;
use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::pem::PemObject;

use crate::support::{Emulator, TEST_CLIENT_ID, TfOutput, Workspace, http};

const TENANT: &str = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f";
/// The tenant the emulator's managed identity lives in (its default).
const MSI_TENANT: &str = "00000000-0000-4000-8000-00000000a551";
const PFX_PASSWORD: &str = "pfx-Pa55word-never-logged";
const OIDC_REQUEST_TOKEN: &str = "job-request-token-never-logged";
const SUBJECT: &str = "repo:example/infrastructure:ref:refs/heads/main";

const GROUP: &str = r#"
resource "autopilot_device_group" "signin" {
  display_name = "Sign-in check"
}
"#;

struct TestCertificate {
    pem_cert: String,
    pem_key: String,
    pfx: Vec<u8>,
}

fn certificate(name: &str) -> TestCertificate {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("RSA key");
    let cert = rcgen::CertificateParams::new(vec![name.to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let key_der = PrivateKeyDer::from_pem_slice(key.serialize_pem().as_bytes()).unwrap();
    let chain = p12_keystore::PrivateKeyChain::new(
        vec![7u8; 20],
        p12_keystore::PrivateKey::from_der(key_der.secret_der()).unwrap(),
        [p12_keystore::Certificate::from_der(cert.der()).unwrap()],
    );
    let mut store = p12_keystore::KeyStore::new();
    store.add_entry(
        "client",
        p12_keystore::KeyStoreEntry::PrivateKeyChain(chain),
    );
    TestCertificate {
        pem_cert: cert.pem(),
        pem_key: key.serialize_pem(),
        pfx: store.writer(PFX_PASSWORD).write().unwrap(),
    }
}

/// A workspace for `emulator` and `tenant` with no credential at all (no secret, no CLI on PATH).
fn bare_workspace(emulator: &Emulator, tenant: &str) -> Workspace {
    let mut ws = Workspace::new(emulator, tenant);
    ws.remove_env("ARM_CLIENT_SECRET");
    ws.set_env("ARM_USE_CLI", "false");
    ws.set_env("TF_LOG_PROVIDER", "TRACE");
    ws.write("main.tf", GROUP);
    ws
}

/// Applies and destroys the one group; returns the outputs for log checks.
fn apply_and_destroy(ws: &Workspace) -> Vec<TfOutput> {
    let apply = ws.apply();
    assert!(apply.success(), "apply failed:\n{apply}");
    let destroy = ws.destroy();
    assert!(destroy.success(), "destroy failed:\n{destroy}");
    vec![apply, destroy]
}

fn tokens_by_grant(emulator: &Emulator, grant: &str) -> u64 {
    emulator.stats()["tokens_by_grant"][grant]
        .as_u64()
        .unwrap_or(0)
}

/// No JWT (every access token, assertion and federated token starts `eyJ`) and none of `secrets` in any output.
fn assert_nothing_secret_logged(outputs: &[TfOutput], secrets: &[&str]) {
    for out in outputs {
        let text = format!("{}{}", out.stdout, out.stderr);
        assert!(
            text.contains("[TRACE]") || text.contains("[DEBUG]"),
            "provider logging was not on:\n{out}"
        );
        assert!(
            !text.contains("eyJ"),
            "a token or assertion was logged:\n{out}"
        );
        for secret in secrets {
            assert!(!text.contains(secret), "{secret:?} was logged:\n{out}");
        }
    }
}

#[test]
fn certificates_sign_in_as_pfx_base64_pfx_file_and_pem_file() {
    let cert = certificate("signin-app");
    let dir = tempfile::tempdir().unwrap();
    let pem_path = dir.path().join("app.pem");
    std::fs::write(&pem_path, format!("{}{}", cert.pem_cert, cert.pem_key)).unwrap();
    let cert_only = dir.path().join("app.crt");
    std::fs::write(&cert_only, &cert.pem_cert).unwrap();
    let pfx_path = dir.path().join("app.pfx");
    std::fs::write(&pfx_path, &cert.pfx).unwrap();
    let registered = format!("{TEST_CLIENT_ID}={}", cert_only.display());
    let emulator = Emulator::start(&["--client-certificate", &registered]);
    let pfx_base64 = base64::engine::general_purpose::STANDARD.encode(&cert.pfx);

    let mut outputs = Vec::new();
    let mut ws = bare_workspace(&emulator, TENANT);
    ws.set_env("ARM_CLIENT_CERTIFICATE", &pfx_base64);
    ws.set_env("ARM_CLIENT_CERTIFICATE_PASSWORD", PFX_PASSWORD);
    outputs.extend(apply_and_destroy(&ws));

    let mut ws = bare_workspace(&emulator, TENANT);
    ws.set_env("ARM_CLIENT_CERTIFICATE_PATH", &pfx_path.to_string_lossy());
    ws.set_env("ARM_CLIENT_CERTIFICATE_PASSWORD", PFX_PASSWORD);
    outputs.extend(apply_and_destroy(&ws));

    let ws = bare_workspace(&emulator, TENANT);
    ws.write(
        "provider.tf",
        &format!(
            "provider \"autopilot\" {{\n  client_certificate_path = {:?}\n}}\n",
            pem_path.to_string_lossy()
        ),
    );
    outputs.extend(apply_and_destroy(&ws));

    assert!(
        tokens_by_grant(&emulator, "client_certificate") >= 3,
        "{}",
        emulator.stats()
    );
    assert_eq!(tokens_by_grant(&emulator, "client_secret"), 0);
    assert!(emulator.collection(TENANT, "groups").is_empty());
    let key_body = cert.pem_key.lines().nth(1).unwrap().to_string();
    assert_nothing_secret_logged(&outputs, &[PFX_PASSWORD, &key_body, &pfx_base64[..40]]);
}

#[test]
fn a_wrong_password_fails_at_configure_and_a_foreign_certificate_gets_entras_code() {
    let cert = certificate("signin-app");
    let foreign = certificate("someone-else");
    let dir = tempfile::tempdir().unwrap();
    let registered_path = dir.path().join("registered.crt");
    std::fs::write(&registered_path, &cert.pem_cert).unwrap();
    let registered = format!("{TEST_CLIENT_ID}={}", registered_path.display());
    let emulator = Emulator::start(&["--client-certificate", &registered]);

    let mut ws = bare_workspace(&emulator, TENANT);
    ws.set_env(
        "ARM_CLIENT_CERTIFICATE",
        &base64::engine::general_purpose::STANDARD.encode(&cert.pfx),
    );
    ws.set_env("ARM_CLIENT_CERTIFICATE_PASSWORD", "not-the-password");
    let plan = ws.run(&["plan", "-input=false"]);
    assert!(!plan.success(), "plan must fail:\n{plan}");
    let text = plan.to_string();
    assert!(
        text.contains("Unusable Client Certificate")
            && text.contains("client_certificate_password"),
        "{text}"
    );
    assert!(
        emulator.stats()["tokens_by_grant"]
            .as_object()
            .is_none_or(|m| m.is_empty())
    );
    assert_eq!(
        emulator.stats()["requests"],
        0,
        "nothing reached the emulator"
    );

    let mut ws = bare_workspace(&emulator, TENANT);
    let foreign_pem = dir.path().join("foreign.pem");
    std::fs::write(
        &foreign_pem,
        format!("{}{}", foreign.pem_cert, foreign.pem_key),
    )
    .unwrap();
    ws.set_env(
        "ARM_CLIENT_CERTIFICATE_PATH",
        &foreign_pem.to_string_lossy(),
    );
    let apply = ws.run(&["apply", "-auto-approve", "-input=false"]);
    assert!(!apply.success(), "apply must fail:\n{apply}");
    assert!(apply.to_string().contains("AADSTS700027"), "{apply}");
    assert!(emulator.collection(TENANT, "groups").is_empty());
}

#[test]
fn oidc_signs_in_with_a_token_a_token_file_and_the_github_and_azure_devops_request_forms() {
    let federated = format!("{TEST_CLIENT_ID}={SUBJECT}");
    let emulator = Emulator::start(&[
        "--federated-credential",
        &federated,
        "--oidc-request-token",
        OIDC_REQUEST_TOKEN,
    ]);
    let base = emulator.base_url().to_string();
    let github_token = || {
        let answer = http::send(
            "GET",
            &format!("{base}/_emulator/github/token?audience=api://AzureADTokenExchange"),
            &[("Authorization", &format!("Bearer {OIDC_REQUEST_TOKEN}"))],
            None,
        )
        .unwrap();
        assert_eq!(answer.status, 200);
        answer.json()["value"].as_str().unwrap().to_string()
    };
    let mut outputs = Vec::new();

    let mut federated_before = 0;
    let mut check_kind = |ws: &Workspace, outputs: &mut Vec<TfOutput>, kind: &str| {
        outputs.extend(apply_and_destroy(ws));
        let now = tokens_by_grant(&emulator, "federated");
        assert!(
            now > federated_before,
            "{kind}: no federated token was used: {}",
            emulator.stats()
        );
        federated_before = now;
    };

    let mut ws = bare_workspace(&emulator, TENANT);
    ws.set_env("ARM_USE_OIDC", "true");
    ws.set_env("ARM_OIDC_TOKEN", &github_token());
    check_kind(&ws, &mut outputs, "oidc_token");

    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, github_token()).unwrap();
    let mut ws = bare_workspace(&emulator, TENANT);
    ws.set_env("ARM_USE_OIDC", "true");
    ws.set_env("AZURE_FEDERATED_TOKEN_FILE", &token_file.to_string_lossy());
    ws.remove_env("ARM_CLIENT_ID");
    ws.set_env("AZURE_CLIENT_ID", TEST_CLIENT_ID);
    check_kind(&ws, &mut outputs, "AZURE_FEDERATED_TOKEN_FILE");

    let mut ws = bare_workspace(&emulator, TENANT);
    ws.set_env("ARM_USE_OIDC", "true");
    ws.set_env(
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        &format!("{base}/_emulator/github/token?api-version=2.0"),
    );
    ws.set_env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", OIDC_REQUEST_TOKEN);
    check_kind(&ws, &mut outputs, "GitHub request");

    let mut ws = bare_workspace(&emulator, TENANT);
    ws.set_env("ARM_USE_OIDC", "true");
    ws.set_env(
        "SYSTEM_OIDCREQUESTURI",
        &format!("{base}/_emulator/ado/oidctoken"),
    );
    ws.set_env("SYSTEM_ACCESSTOKEN", OIDC_REQUEST_TOKEN);
    ws.set_env(
        "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID",
        "7e1c3c5a-0000-4000-8000-000000000001",
    );
    check_kind(&ws, &mut outputs, "Azure DevOps request");

    assert_eq!(tokens_by_grant(&emulator, "client_secret"), 0);
    assert!(emulator.collection(TENANT, "groups").is_empty());
    assert_nothing_secret_logged(&outputs, &[OIDC_REQUEST_TOKEN]);
}

#[test]
fn a_federated_token_for_another_subject_is_refused_with_entras_code() {
    let federated = format!("{TEST_CLIENT_ID}=repo:example/other:ref:refs/heads/main");
    let emulator = Emulator::start(&[
        "--federated-credential",
        &federated,
        "--oidc-request-token",
        OIDC_REQUEST_TOKEN,
    ]);
    let mut ws = bare_workspace(&emulator, TENANT);
    ws.set_env("ARM_USE_OIDC", "true");
    ws.set_env(
        "ARM_OIDC_REQUEST_URL",
        &format!("{}/_emulator/github/token", emulator.base_url()),
    );
    ws.set_env("ARM_OIDC_REQUEST_TOKEN", OIDC_REQUEST_TOKEN);
    let apply = ws.run(&["apply", "-auto-approve", "-input=false"]);
    assert!(!apply.success(), "{apply}");
    assert!(apply.to_string().contains("AADSTS700213"), "{apply}");
}

#[test]
fn managed_identity_signs_in_through_imds_and_app_service() {
    let emulator = Emulator::start(&[]);
    let base = emulator.base_url().to_string();
    let mut ws = bare_workspace(&emulator, MSI_TENANT);
    ws.set_env("ARM_USE_MSI", "true");
    ws.set_env(
        "ARM_MSI_ENDPOINT",
        &format!("{base}/metadata/identity/oauth2/token"),
    );
    let mut outputs = apply_and_destroy(&ws);
    assert_eq!(
        emulator.stats()["by_route"]["GET /metadata/identity/oauth2/token"]
            .as_u64()
            .map(|n| n >= 2),
        Some(true)
    );

    let mut ws = bare_workspace(&emulator, MSI_TENANT);
    ws.set_env("ARM_USE_MSI", "true");
    ws.remove_env("ARM_CLIENT_ID");
    ws.set_env("IDENTITY_ENDPOINT", &format!("{base}/msi/token"));
    ws.set_env("IDENTITY_HEADER", "emulator-identity-header");
    outputs.extend(apply_and_destroy(&ws));
    assert!(
        emulator.stats()["by_route"]["GET /msi/token"]
            .as_u64()
            .unwrap_or(0)
            >= 2
    );
    assert!(tokens_by_grant(&emulator, "managed_identity") >= 4);
    assert!(emulator.collection(MSI_TENANT, "groups").is_empty());
    assert_nothing_secret_logged(&outputs, &["emulator-identity-header"]);
}

#[cfg(unix)]
#[test]
fn the_azure_cli_signs_in_with_the_users_delegated_token() {
    use std::os::unix::fs::PermissionsExt;
    let emulator = Emulator::start(&[]);
    let answer = http::send(
        "POST",
        &format!(
            "{}/_emulator/user-token?tenant={TENANT}&upn=admin@contoso.example",
            emulator.base_url()
        ),
        &[],
        None,
    )
    .unwrap();
    assert_eq!(answer.status, 200);
    let token = answer.json()["access_token"].as_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let args_file = dir.path().join("az-args");
    let printed = serde_json::json!({
        "accessToken": token,
        "expiresOn": "2099-01-01 00:00:00.000000",
        "expires_on": 4_070_908_800u64,
        "tenant": TENANT,
        "tokenType": "Bearer",
    });
    let script = format!(
        "#!/bin/sh\necho \"$@\" >> '{}'\ncat <<'JSON'\n{printed}\nJSON\n",
        args_file.display()
    );
    let az = dir.path().join("az");
    std::fs::write(&az, script).unwrap();
    std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();

    let mut ws = bare_workspace(&emulator, TENANT);
    ws.remove_env("ARM_USE_CLI");
    ws.remove_env("ARM_CLIENT_ID");
    let path = std::env::var("PATH").unwrap_or_default();
    ws.set_env("PATH", &format!("{}:{path}", dir.path().display()));
    let outputs = apply_and_destroy(&ws);
    let args = std::fs::read_to_string(&args_file).unwrap();
    let first = args.lines().next().unwrap();
    assert!(
        first.starts_with("account get-access-token --scope https://graph.microsoft.com/.default"),
        "{first}"
    );
    assert!(
        first.contains(&format!("--tenant {TENANT}")) && first.contains("--output json"),
        "{first}"
    );
    assert!(emulator.collection(TENANT, "groups").is_empty());
    assert_nothing_secret_logged(&outputs, &[]);
}

#[test]
fn the_certificate_wins_over_the_secret_and_the_secret_over_oidc() {
    let cert = certificate("signin-app");
    let dir = tempfile::tempdir().unwrap();
    let crt = dir.path().join("app.crt");
    std::fs::write(&crt, &cert.pem_cert).unwrap();
    let pem = dir.path().join("app.pem");
    std::fs::write(&pem, format!("{}{}", cert.pem_cert, cert.pem_key)).unwrap();
    let registered = format!("{TEST_CLIENT_ID}={}", crt.display());
    let federated = format!("{TEST_CLIENT_ID}={SUBJECT}");
    let emulator = Emulator::start(&[
        "--client-certificate",
        &registered,
        "--federated-credential",
        &federated,
    ]);

    let mut ws = Workspace::new(&emulator, TENANT);
    ws.write("main.tf", GROUP);
    ws.set_env("ARM_USE_CLI", "false");
    ws.set_env("ARM_CLIENT_CERTIFICATE_PATH", &pem.to_string_lossy());
    ws.apply();
    assert_eq!(
        tokens_by_grant(&emulator, "client_secret"),
        0,
        "{}",
        emulator.stats()
    );
    assert!(tokens_by_grant(&emulator, "client_certificate") >= 1);

    ws.remove_env("ARM_CLIENT_CERTIFICATE_PATH");
    ws.set_env("ARM_USE_OIDC", "true");
    ws.set_env(
        "ARM_OIDC_REQUEST_URL",
        &format!("{}/_emulator/github/token", emulator.base_url()),
    );
    ws.set_env("ARM_OIDC_REQUEST_TOKEN", "emulator-oidc-request-token");
    // The plan refreshes the group from Graph, so it signs in.
    let plan = ws.run(&["plan", "-input=false"]);
    assert!(plan.success(), "{plan}");
    assert_eq!(
        tokens_by_grant(&emulator, "client_secret"),
        1,
        "{}",
        emulator.stats()
    );
    assert_eq!(tokens_by_grant(&emulator, "federated"), 0);

    ws.remove_env("ARM_CLIENT_SECRET");
    let plan = ws.run(&["plan", "-input=false"]);
    assert!(plan.success(), "{plan}");
    assert_eq!(tokens_by_grant(&emulator, "federated"), 1);

    ws.set_env("ARM_USE_OIDC", "false");
    let plan = ws.run(&["plan", "-input=false"]);
    assert!(!plan.success());
    let text = plan.to_string();
    for kind in [
        "Client certificate",
        "Client secret",
        "OIDC workload identity",
        "Managed identity",
        "Azure CLI",
        "ARM_CLIENT_CERTIFICATE_PATH",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
    ] {
        assert!(text.contains(kind), "{kind} missing from:\n{text}");
    }
    ws.set_env("ARM_USE_OIDC", "true");
    ws.destroy();
    assert!(emulator.collection(TENANT, "groups").is_empty());
}

#[test]
fn tokens_are_refreshed_during_an_operation_that_outlives_them() {
    // Every request takes 1.2 s and a token lives 3 s (handed out for half of it): one apply needs several.
    let emulator = Emulator::start(&["--token-lifetime-s", "3", "--latency-ms", "1200"]);
    let ws = Workspace::new(&emulator, TENANT);
    ws.write(
        "main.tf",
        r#"
resource "autopilot_device_group" "many" {
  count        = 4
  display_name = "Refresh ${count.index}"
}
"#,
    );
    let apply = ws.run(&["apply", "-auto-approve", "-input=false", "-parallelism=1"]);
    assert!(apply.success(), "{apply}");
    // With nothing in state only the apply step's provider process talks to Graph: without refreshing, one token.
    assert!(
        tokens_by_grant(&emulator, "client_secret") >= 3,
        "{}",
        emulator.stats()
    );
    let destroy = ws.destroy();
    assert!(destroy.success(), "{destroy}");
    assert!(emulator.collection(TENANT, "groups").is_empty());
}

/// A federated token from the emulator's GitHub request endpoint, for the exchange audience.
fn github_federated_token(emulator: &Emulator) -> String {
    let answer = http::send(
        "GET",
        &format!(
            "{}/_emulator/github/token?audience=api://AzureADTokenExchange",
            emulator.base_url()
        ),
        &[("Authorization", &format!("Bearer {OIDC_REQUEST_TOKEN}"))],
        None,
    )
    .unwrap();
    assert_eq!(answer.status, 200);
    answer.json()["value"].as_str().unwrap().to_string()
}

#[test]
fn a_token_file_replaced_during_an_apply_is_read_again_once_the_old_token_has_expired() {
    // Access tokens live 3 s and every request takes 1 s, so the apply exchanges a federated token many times.
    let federated = format!("{TEST_CLIENT_ID}={SUBJECT}");
    let emulator = Emulator::start(&[
        "--federated-credential",
        &federated,
        "--oidc-request-token",
        OIDC_REQUEST_TOKEN,
        "--token-lifetime-s",
        "3",
        "--latency-ms",
        "1000",
    ]);
    // Federated tokens live 10 minutes (plus Entra's 5 of skew). The first is issued now, the second 450 s later
    // on the emulator's clock, so one clock step can expire the first while the second still lives.
    let first = github_federated_token(&emulator);
    emulator.advance_clock(450_000);
    let second = github_federated_token(&emulator);
    assert_ne!(first, second);

    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("azure-identity-token");
    std::fs::write(&token_file, &first).unwrap();
    let mut ws = bare_workspace(&emulator, TENANT);
    ws.set_env("ARM_USE_OIDC", "true");
    ws.set_env("AZURE_FEDERATED_TOKEN_FILE", &token_file.to_string_lossy());
    ws.write(
        "main.tf",
        r#"
resource "autopilot_device_group" "rotated" {
  count        = 4
  display_name = "Rotated ${count.index}"
}
"#,
    );

    let (apply, created_before_switch) = std::thread::scope(|scope| {
        let apply =
            scope.spawn(|| ws.run(&["apply", "-auto-approve", "-input=false", "-parallelism=1"]));
        // Once the first group exists the apply has signed in with the first token; the kubelet now rotates the
        // file, and then the first token expires. Every later exchange only works if the file is read again.
        let started = std::time::Instant::now();
        while emulator.collection(TENANT, "groups").is_empty() && !apply.is_finished() {
            assert!(
                started.elapsed().as_secs() < 120,
                "no group was ever created"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        std::fs::write(&token_file, &second).unwrap();
        let created = emulator.collection(TENANT, "groups").len();
        emulator.advance_clock(460_000);
        (apply.join().unwrap(), created)
    });
    assert!(
        apply.success(),
        "apply failed:\n{apply}\n{}",
        emulator.log_tail()
    );
    assert!(
        created_before_switch < 4,
        "the apply finished before the token file changed; the test proved nothing"
    );
    assert_eq!(emulator.collection(TENANT, "groups").len(), 4);
    assert!(
        tokens_by_grant(&emulator, "federated") >= 3,
        "{}",
        emulator.stats()
    );

    // With only the first token in the file, signing in now fails as Entra refuses an expired assertion.
    std::fs::write(&token_file, &first).unwrap();
    let plan = ws.run(&["plan", "-input=false"]);
    assert!(!plan.success(), "{plan}");
    assert!(plan.to_string().contains("AADSTS700024"), "{plan}");

    std::fs::write(&token_file, &second).unwrap();
    let destroy = ws.destroy();
    assert!(destroy.success(), "{destroy}");
    assert!(emulator.collection(TENANT, "groups").is_empty());
    assert_nothing_secret_logged(&[apply, destroy], &[OIDC_REQUEST_TOKEN]);
}

#[test]
fn oidc_signs_in_in_a_national_cloud_with_the_login_and_graph_hosts_overridden() {
    let federated = format!("{TEST_CLIENT_ID}={SUBJECT}");
    let emulator = Emulator::start(&[
        "--federated-credential",
        &federated,
        "--oidc-request-token",
        OIDC_REQUEST_TOKEN,
    ]);
    let base = emulator.base_url().to_string();
    let mut ws = bare_workspace(&emulator, TENANT);
    // The overrides come from the provider block here, next to the cloud they override.
    ws.remove_env("AUTOPILOT_GRAPH_ENDPOINT");
    ws.remove_env("AUTOPILOT_AUTHORITY_HOST");
    ws.set_env("ARM_USE_OIDC", "true");
    ws.set_env(
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        &format!("{base}/_emulator/github/token?api-version=2.0"),
    );
    ws.set_env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", OIDC_REQUEST_TOKEN);
    ws.write(
        "provider.tf",
        &format!(
            "provider \"autopilot\" {{\n  environment    = \"usgovernment\"\n  authority_host = \"{base}\"\n  graph_endpoint = \"{base}\"\n}}\n"
        ),
    );
    let outputs = apply_and_destroy(&ws);
    assert!(
        tokens_by_grant(&emulator, "federated") >= 2,
        "{}",
        emulator.stats()
    );
    assert_eq!(tokens_by_grant(&emulator, "client_secret"), 0);
    let log = format!("{}{}", outputs[0].stdout, outputs[0].stderr);
    assert!(
        log.contains(&format!("{base}/{TENANT}/oauth2/v2.0/token")),
        "the token request did not go to the overridden login host:\n{log}"
    );
    for host in [
        "login.microsoftonline.us",
        "graph.microsoft.us/v1.0",
        "graph.microsoft.us/beta",
    ] {
        assert!(!log.contains(host), "{host} was called:\n{log}");
    }
    assert!(emulator.collection(TENANT, "groups").is_empty());
    assert_nothing_secret_logged(&outputs, &[OIDC_REQUEST_TOKEN]);
}
