//! Registry-style documentation generated from the schema, so the docs can never drift from what the provider
//! accepts: `docs/index.md` for the provider, `docs/resources/<name>.md` per resource (with its identity),
//! `docs/data-sources/<name>.md`, `docs/list-resources/<name>.md`, `docs/functions/<name>.md` and
//! `docs/actions/<name>.md`, with the examples from `examples/`. `make docs` writes them (`terraform-provider-autopilot docs <dir>`); a test fails when the committed
//! pages differ from what the schema generates.

use std::fmt::Write as _;
use std::path::Path;

use crate::provider::{AutopilotProvider, PROVIDER_ADDRESS};
use crate::tfplugin::{Attribute, Block, Function, IdentitySchema, Provider, Schema};

/// One generated page: its path below `docs/` and its markdown.
pub struct Page {
    pub path: String,
    pub markdown: String,
}

/// Every page, generated from the provider's schemas and the examples under `examples_dir`.
pub fn pages(examples_dir: &Path) -> Vec<Page> {
    let provider = AutopilotProvider;
    let mut pages = vec![Page {
        path: "index.md".to_string(),
        markdown: index_page(&provider.schema(), examples_dir),
    }];
    for resource in provider.resources() {
        let type_name = resource.type_name();
        let short = type_name.trim_start_matches("autopilot_");
        pages.push(Page {
            path: format!("resources/{short}.md"),
            markdown: resource_page(
                type_name,
                &resource.schema(),
                resource.identity_schema().as_ref(),
                examples_dir,
            ),
        });
    }
    for list in provider.list_resources() {
        let type_name = list.type_name();
        let short = type_name.trim_start_matches("autopilot_");
        pages.push(Page {
            path: format!("list-resources/{short}.md"),
            markdown: list_resource_page(type_name, &list.schema(), examples_dir),
        });
    }
    for data_source in provider.data_sources() {
        let type_name = data_source.type_name();
        let short = type_name.trim_start_matches("autopilot_");
        pages.push(Page {
            path: format!("data-sources/{short}.md"),
            markdown: data_source_page(type_name, &data_source.schema(), examples_dir),
        });
    }
    for function in provider.functions() {
        pages.push(Page {
            path: format!("functions/{}.md", function.name()),
            markdown: function_page(function.as_ref(), examples_dir),
        });
    }
    for action in provider.actions() {
        let type_name = action.type_name();
        let short = type_name.trim_start_matches("autopilot_");
        pages.push(Page {
            path: format!("actions/{short}.md"),
            markdown: action_page(type_name, &action.schema(), examples_dir),
        });
    }
    pages
}

/// Writes every page below `docs_dir`.
pub fn write(docs_dir: &Path, examples_dir: &Path) -> std::io::Result<()> {
    for page in pages(examples_dir) {
        let path = docs_dir.join(&page.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, page.markdown)?;
    }
    Ok(())
}

fn read_example(examples_dir: &Path, relative: &str) -> Option<String> {
    std::fs::read_to_string(examples_dir.join(relative))
        .ok()
        .map(|s| s.trim_end().to_string())
}

fn first_sentence(text: &str) -> String {
    let end = text.find(". ").map(|i| i + 1).unwrap_or(text.len());
    text[..end].replace('"', "'")
}

fn index_page(schema: &Schema, examples_dir: &Path) -> String {
    let mut page = String::new();
    let _ = writeln!(
        page,
        "---\npage_title: \"Provider: autopilot\"\ndescription: |-\n  {}\n---\n",
        first_sentence(&schema.block.description)
    );
    let _ = writeln!(
        page,
        "# autopilot Provider\n\n{}\n",
        schema.block.description
    );
    let _ = writeln!(
        page,
        "Source address: `{}`.\n\n## Authentication\n\n\
         The provider signs in to Microsoft Entra ID as an app registration with a client secret \
         (client credentials flow) and calls Microsoft Graph with the application permissions each resource \
         needs. Every setting can come from the provider block or from its environment variable; the \
         configuration wins. Keep the secret in `ARM_CLIENT_SECRET` rather than in configuration.\n\n\
         Grant the app registration these Microsoft Graph application permissions (with admin consent); each \
         resource needs only its own, and the Intune ones need an Intune licence in the tenant:\n\n\
         | resource | Graph application permission |\n|---|---|\n\
         | `autopilot_device_group` | `Group.ReadWrite.All` |\n\
         | `autopilot_enrollment_status_page` | `DeviceManagementServiceConfig.ReadWrite.All` or \
         `DeviceManagementConfiguration.ReadWrite.All` |\n\
         | `autopilot_deployment_profile` | `DeviceManagementServiceConfig.ReadWrite.All` |\n\
         | `autopilot_device_identity` | `DeviceManagementServiceConfig.ReadWrite.All` |\n\
         | `autopilot_device_registration_policy` | `Policy.ReadWrite.DeviceConfiguration` |\n\
         | `autopilot_default_enrollment_status_page` | as `autopilot_enrollment_status_page` |\n\
         | `autopilot_assignment_filter` | `DeviceManagementConfiguration.ReadWrite.All` |\n\
         | `autopilot_scope_tag` (and its data source) | `DeviceManagementRBAC.ReadWrite.All` or \
         `DeviceManagementConfiguration.ReadWrite.All` (reading only: `DeviceManagementRBAC.Read.All`) |\n\
         | `action \"autopilot_sync\"` | `DeviceManagementServiceConfig.ReadWrite.All` or \
         `DeviceManagementConfiguration.ReadWrite.All` |\n\
         | `autopilot_mdm_enrollment_scope` | none: delegated only. Sign in with the Azure CLI as a user (at least \
         Cloud Device Administrator) whose token carries `Policy.ReadWrite.MobilityManagement` |\n\
         | `data \"autopilot_effective_configuration\"` | `DeviceManagementServiceConfig.Read.All` (device, ESPs), \
         `DeviceManagementConfiguration.Read.All` (filters), `Device.Read.All` and `Group.Read.All` |\n\n\
         For a national cloud set `environment` (or `ARM_ENVIRONMENT`); to run against the local `graph-emulator`, \
         set `graph_endpoint` and `authority_host` (or `AUTOPILOT_GRAPH_ENDPOINT` and `AUTOPILOT_AUTHORITY_HOST`) to \
         its URL.\n",
        PROVIDER_ADDRESS.trim_start_matches("registry.terraform.io/")
    );
    page.push_str(SIGN_IN_KINDS);
    if let Some(example) = read_example(examples_dir, "provider/provider.tf") {
        let _ = writeln!(page, "## Example Usage\n\n```terraform\n{example}\n```\n");
    }
    let _ = writeln!(page, "## Schema\n");
    render_block(&mut page, &schema.block, 2);
    page
}

/// The index page's section on each way of signing in, with CI snippets.
const SIGN_IN_KINDS: &str = r#"## Ways of signing in

The provider uses the first kind that is fully configured, in this order (the names and variables are
hashicorp/azuread's, so an existing `ARM_*` environment works unchanged). When none is, `terraform plan` says what
each kind needs.

### Client certificate

Set `client_id` and either `client_certificate` (a base64 PKCS#12 bundle, `ARM_CLIENT_CERTIFICATE`) or
`client_certificate_path` (a `.pfx` file, or a PEM file with the certificate and its unencrypted RSA key,
`ARM_CLIENT_CERTIFICATE_PATH`), and `client_certificate_password` (`ARM_CLIENT_CERTIFICATE_PASSWORD`) for a
protected bundle. The certificate is read when the provider is configured: a wrong password fails before any request.

### Client secret

Set `client_id` and `client_secret` (`ARM_CLIENT_ID`, `ARM_CLIENT_SECRET`).

### OIDC workload identity federation

Add a federated credential to the app registration, then set `use_oidc = true` (`ARM_USE_OIDC=true`) and
`client_id`. The federated token comes from `oidc_token` (`ARM_OIDC_TOKEN`), a file (`oidc_token_file_path`,
`ARM_OIDC_TOKEN_FILE_PATH` or AKS's `AZURE_FEDERATED_TOKEN_FILE`, read again for each new token), or is requested
from the CI system (`oidc_request_url` / `oidc_request_token`, read from GitHub Actions' and Azure DevOps' own
variables when unset).

GitHub Actions:

```yaml
permissions:
  id-token: write
  contents: read
jobs:
  apply:
    runs-on: ubuntu-latest
    env:
      ARM_USE_OIDC: "true"
      ARM_TENANT_ID: ${{ vars.AZURE_TENANT_ID }}
      ARM_CLIENT_ID: ${{ vars.AZURE_CLIENT_ID }}
    steps:
      - uses: actions/checkout@v4
      - uses: hashicorp/setup-terraform@v3
      - run: terraform init && terraform apply -auto-approve
```

Azure DevOps (a workload identity federation service connection):

```yaml
steps:
  - script: terraform init && terraform apply -auto-approve
    env:
      ARM_USE_OIDC: "true"
      ARM_TENANT_ID: $(tenantId)
      ARM_CLIENT_ID: $(servicePrincipalId)
      ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID: $(serviceConnectionId)
      SYSTEM_ACCESSTOKEN: $(System.AccessToken)
```

### Managed identity

On an Azure VM, scale set, AKS node, App Service, Functions or Container Apps: set `use_msi = true`
(`ARM_USE_MSI=true`), and `client_id` for a user-assigned identity. IMDS is used unless App Service's
`IDENTITY_ENDPOINT` and `IDENTITY_HEADER` are set; `msi_endpoint` (`ARM_MSI_ENDPOINT`) replaces the IMDS address.
A self-hosted GitHub runner or Azure DevOps agent on such a VM uses the same settings.

### Azure CLI

At a desk: `az login`, then run Terraform with only `tenant_id` set. The provider runs
`az account get-access-token --scope <graph>/.default --tenant <tenant_id>`; the token acts for the signed-in user,
so the user needs the Intune and Entra roles the resources require. `use_cli = false` (`ARM_USE_CLI=false`) turns
this off.

"#;

fn resource_page(
    type_name: &str,
    schema: &Schema,
    identity: Option<&IdentitySchema>,
    examples_dir: &Path,
) -> String {
    let mut page = String::new();
    let _ = writeln!(
        page,
        "---\npage_title: \"{type_name} Resource - autopilot\"\nsubcategory: \"\"\ndescription: |-\n  {}\n---\n",
        first_sentence(&schema.block.description)
    );
    let _ = writeln!(
        page,
        "# {type_name} (Resource)\n\n{}\n",
        schema.block.description
    );
    if let Some(example) = read_example(examples_dir, &format!("resources/{type_name}/resource.tf"))
    {
        let _ = writeln!(page, "## Example Usage\n\n```terraform\n{example}\n```\n");
    }
    let _ = writeln!(page, "## Schema\n");
    render_block(&mut page, &schema.block, 2);
    if let Some(identity) = identity {
        let _ = writeln!(
            page,
            "## Resource Identity\n\nTerraform 1.12 and later record this identity for each object and import by \
             it (`import {{ to = ..., identity = {{ ... }} }}`); `terraform query` finds objects by it \
             ([list resource](../list-resources/{}.md)).\n",
            type_name.trim_start_matches("autopilot_")
        );
        for attribute in &identity.attributes {
            let required = if attribute.required_for_import {
                "Required for import"
            } else {
                "Optional for import"
            };
            let _ = writeln!(
                page,
                "- `{}` ({}, {required}) {}",
                attribute.name, attribute.ty, attribute.description
            );
        }
        let _ = writeln!(page);
    }
    if let Some(import) = read_example(examples_dir, &format!("resources/{type_name}/import.sh")) {
        let _ = writeln!(
            page,
            "## Import\n\nImport is supported using the following syntax (or an `import {{}}` block with the same id):\n\n\
             ```shell\n{import}\n```\n"
        );
    }
    page.trim_end().to_string() + "\n"
}

fn data_source_page(type_name: &str, schema: &Schema, examples_dir: &Path) -> String {
    let mut page = String::new();
    let _ = writeln!(
        page,
        "---\npage_title: \"{type_name} Data Source - autopilot\"\nsubcategory: \"\"\ndescription: |-\n  {}\n---\n",
        first_sentence(&schema.block.description)
    );
    let _ = writeln!(
        page,
        "# {type_name} (Data Source)\n\n{}\n",
        schema.block.description
    );
    if let Some(example) = read_example(
        examples_dir,
        &format!("data-sources/{type_name}/data-source.tf"),
    ) {
        let _ = writeln!(page, "## Example Usage\n\n```terraform\n{example}\n```\n");
    }
    let _ = writeln!(page, "## Schema\n");
    render_block(&mut page, &schema.block, 2);
    page.trim_end().to_string() + "\n"
}

fn list_resource_page(type_name: &str, schema: &Schema, examples_dir: &Path) -> String {
    let mut page = String::new();
    let _ = writeln!(
        page,
        "---\npage_title: \"{type_name} List Resource - autopilot\"\nsubcategory: \"\"\ndescription: |-\n  {}\n---\n",
        first_sentence(&schema.block.description)
    );
    let _ = writeln!(
        page,
        "# {type_name} (List Resource)\n\n{}\n\n\
         Used in `list` blocks of `*.tfquery.hcl` files by `terraform query` (Terraform 1.14 and later). \
         `include_resource = true` adds each object's attributes, which \
         `terraform query -generate-config-out=FILE` needs to write a `resource` block and an `import` block \
         for each result; `limit` (default 100) caps the results, and the provider stops reading Graph's pages \
         once it has that many. The arguments below go in the block's `config {{}}`. See the \
         [adoption guide](../guides/adopt-an-existing-tenant.md) for the whole workflow.\n",
        schema.block.description
    );
    if let Some(example) = read_example(
        examples_dir,
        &format!("list-resources/{type_name}/list-resource.tfquery.hcl"),
    ) {
        let _ = writeln!(page, "## Example Usage\n\n```terraform\n{example}\n```\n");
    }
    let _ = writeln!(page, "## Configuration Schema (`config`)\n");
    render_block(&mut page, &schema.block, 2);
    page.trim_end().to_string() + "\n"
}

/// An action's page: what it does, how to invoke it, its example and its arguments (none for some).
fn action_page(type_name: &str, schema: &Schema, examples_dir: &Path) -> String {
    let mut page = String::new();
    let _ = writeln!(
        page,
        "---\npage_title: \"{type_name} Action - autopilot\"\nsubcategory: \"\"\ndescription: |-\n  {}\n---\n",
        first_sentence(&schema.block.description)
    );
    let _ = writeln!(
        page,
        "# {type_name} (Action)\n\n{}\n",
        schema.block.description
    );
    if let Some(example) = read_example(examples_dir, &format!("actions/{type_name}/action.tf")) {
        let _ = writeln!(page, "## Example Usage\n\n```terraform\n{example}\n```\n");
    }
    let _ = writeln!(page, "## Schema\n");
    if schema.block.attributes.is_empty() && schema.block.blocks.is_empty() {
        let _ = writeln!(page, "This action takes no arguments.");
    } else {
        render_block(&mut page, &schema.block, 2);
    }
    page.trim_end().to_string() + "\n"
}

/// A function's page in the registry's layout: summary, description, example, signature, arguments.
fn function_page(function: &dyn Function, examples_dir: &Path) -> String {
    let name = function.name();
    let mut page = String::new();
    let _ = writeln!(
        page,
        "---\npage_title: \"{name} function - autopilot\"\nsubcategory: \"\"\ndescription: |-\n  {}\n---\n",
        function.summary()
    );
    let _ = writeln!(page, "# function: {name}\n\n{}\n", function.description());
    if let Some(example) = read_example(examples_dir, &format!("functions/{name}/function.tf")) {
        let _ = writeln!(page, "## Example Usage\n\n```terraform\n{example}\n```\n");
    }
    let _ = writeln!(
        page,
        "## Signature\n\n```text\n{}\n```\n",
        function.signature()
    );
    let parameters = function.parameters();
    if !parameters.is_empty() {
        let _ = writeln!(page, "## Arguments\n");
        for (index, parameter) in parameters.iter().enumerate() {
            let _ = writeln!(
                page,
                "{}. `{}` ({}) {}",
                index + 1,
                parameter.name,
                parameter.ty,
                parameter.description
            );
        }
    }
    page.trim_end().to_string() + "\n"
}

type AttributeFilter = fn(&Attribute) -> bool;

/// Renders a block's attributes grouped as the registry shows them, then its nested blocks.
fn render_block(page: &mut String, block: &Block, level: usize) {
    let hashes = "#".repeat(level + 1);
    let groups: [(&str, AttributeFilter); 3] = [
        ("Required", |a| a.required),
        ("Optional", |a| a.optional),
        ("Read-Only", |a| a.computed && !a.optional && !a.required),
    ];
    for (title, belongs) in groups {
        let mut names: Vec<&Attribute> = block.attributes.iter().filter(|a| belongs(a)).collect();
        let nested: Vec<_> = block
            .blocks
            .iter()
            .filter(|_| title == "Optional")
            .collect();
        if names.is_empty() && nested.is_empty() {
            continue;
        }
        names.sort_by(|a, b| a.name.cmp(&b.name));
        let _ = writeln!(page, "{hashes} {title}\n");
        for attribute in names {
            let sensitive = if attribute.sensitive {
                ", Sensitive"
            } else {
                ""
            };
            let _ = writeln!(
                page,
                "- `{}` ({}{sensitive}) {}",
                attribute.name,
                attribute.ty,
                attribute.full_description()
            );
        }
        for nested in nested {
            let _ = writeln!(
                page,
                "- `{}` (Block, Optional) {} (see [below for nested schema](#nestedblock--{}))",
                nested.type_name, nested.block.description, nested.type_name
            );
        }
        let _ = writeln!(page);
    }
    for nested in &block.blocks {
        let _ = writeln!(
            page,
            "<a id=\"nestedblock--{0}\"></a>\n{hashes} Nested Schema for `{0}`\n",
            nested.type_name
        );
        render_block(page, &nested.block, level);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    /// The committed docs are exactly what the schema generates; run `make docs` after changing a schema.
    #[test]
    fn committed_docs_match_the_schema() {
        let mut stale = Vec::new();
        for page in pages(&repo().join("examples")) {
            let committed =
                std::fs::read_to_string(repo().join("docs").join(&page.path)).unwrap_or_default();
            if committed != page.markdown {
                stale.push(page.path);
            }
        }
        assert!(
            stale.is_empty(),
            "docs out of date (run `make docs`): {stale:?}"
        );
    }

    /// The adoption guide shows the query file its integration test (`tests/integration/adoption.rs`) runs.
    #[test]
    fn the_adoption_guide_shows_the_tested_query_file() {
        let guide = std::fs::read_to_string(repo().join("docs/guides/adopt-an-existing-tenant.md"))
            .unwrap();
        let query = read_example(
            &repo().join("examples"),
            "adopt-an-existing-tenant/adopt.tfquery.hcl",
        )
        .unwrap();
        assert!(
            guide.contains(&query),
            "the guide's query file differs from the tested example"
        );
    }

    #[test]
    fn every_list_resource_page_has_its_example_and_filters() {
        let all = pages(&repo().join("examples"));
        for (page, filter) in [
            ("list-resources/device_identity.md", "group_tag"),
            ("list-resources/device_group.md", "autopilot_only"),
            (
                "list-resources/enrollment_status_page.md",
                "display_name_prefix",
            ),
            (
                "list-resources/deployment_profile.md",
                "display_name_prefix",
            ),
        ] {
            let page = all.iter().find(|p| p.path == page).expect(page);
            assert!(page.markdown.contains("## Example Usage"), "{}", page.path);
            assert!(
                page.markdown.contains(&format!("- `{filter}` (")),
                "{} lacks {filter}",
                page.path
            );
        }
        let device = all
            .iter()
            .find(|p| p.path == "resources/device_identity.md")
            .unwrap();
        assert!(device.markdown.contains("## Resource Identity"));
        assert!(
            device
                .markdown
                .contains("- `serial_number` (string, Required for import)")
        );
    }

    #[test]
    fn every_function_and_data_source_page_has_an_example() {
        let pages = pages(&repo().join("examples"));
        let provider = AutopilotProvider;
        for function in provider.functions() {
            let page = pages
                .iter()
                .find(|p| p.path == format!("functions/{}.md", function.name()))
                .expect("a page per function");
            assert!(
                page.markdown.contains("## Example Usage"),
                "{} lacks an example",
                page.path
            );
            assert!(page.markdown.contains("## Signature"), "{}", page.path);
        }
        for page in pages.iter().filter(|p| p.path.starts_with("data-sources/")) {
            assert!(
                page.markdown.contains("## Example Usage"),
                "{} lacks an example",
                page.path
            );
        }
    }

    #[test]
    fn every_action_has_a_page_with_its_example() {
        let pages = pages(&repo().join("examples"));
        let provider = AutopilotProvider;
        let actions = provider.actions();
        assert!(!actions.is_empty());
        for action in actions {
            let short = action.type_name().trim_start_matches("autopilot_");
            let page = pages
                .iter()
                .find(|p| p.path == format!("actions/{short}.md"))
                .expect("a page per action");
            assert!(
                page.markdown.contains("## Example Usage")
                    && page
                        .markdown
                        .contains(&format!("action \"{}\"", action.type_name())),
                "{} lacks its example",
                page.path
            );
        }
    }

    #[test]
    fn every_resource_page_documents_every_attribute_and_import() {
        for page in pages(&repo().join("examples"))
            .iter()
            .filter(|p| p.path.starts_with("resources/"))
        {
            assert!(
                page.markdown.contains("## Example Usage"),
                "{} lacks an example",
                page.path
            );
            assert!(
                page.markdown.contains("## Import"),
                "{} lacks import",
                page.path
            );
        }
        let group = pages(&repo().join("examples"))
            .into_iter()
            .find(|p| p.path == "resources/device_group.md")
            .unwrap();
        for attribute in [
            "display_name",
            "membership_rule",
            "members",
            "mail_nickname",
            "id",
            "create",
        ] {
            assert!(
                group.markdown.contains(&format!("- `{attribute}` (")),
                "device_group lacks {attribute}"
            );
        }
    }
}
