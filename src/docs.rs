//! Registry-style documentation generated from the schema, so the docs can never drift from what the provider
//! accepts: `docs/index.md` for the provider and `docs/resources/<name>.md` per resource, with the examples from
//! `examples/`. `make docs` writes them (`terraform-provider-autopilot docs <dir>`); a test fails when the committed
//! pages differ from what the schema generates.

use std::fmt::Write as _;
use std::path::Path;

use crate::provider::{AutopilotProvider, PROVIDER_ADDRESS};
use crate::tfplugin::{Attribute, Block, Provider, Schema};

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
            markdown: resource_page(type_name, &resource.schema(), examples_dir),
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
         | `autopilot_assignment_filter` | `DeviceManagementConfiguration.ReadWrite.All` |\n\
         | `autopilot_scope_tag` (and its data source) | `DeviceManagementRBAC.ReadWrite.All` or \
         `DeviceManagementConfiguration.ReadWrite.All` (reading only: `DeviceManagementRBAC.Read.All`) |\n\n\
         For a national cloud set `environment` (or `ARM_ENVIRONMENT`); to run against the local `graph-emulator`, \
         set `graph_endpoint` and `authority_host` (or `AUTOPILOT_GRAPH_ENDPOINT` and `AUTOPILOT_AUTHORITY_HOST`) to \
         its URL.\n",
        PROVIDER_ADDRESS.trim_start_matches("registry.terraform.io/")
    );
    if let Some(example) = read_example(examples_dir, "provider/provider.tf") {
        let _ = writeln!(page, "## Example Usage\n\n```terraform\n{example}\n```\n");
    }
    let _ = writeln!(page, "## Schema\n");
    render_block(&mut page, &schema.block, 2);
    page
}

fn resource_page(type_name: &str, schema: &Schema, examples_dir: &Path) -> String {
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
