//! Intune role scope tags (`/deviceManagement/roleScopeTags`, beta), graph-api-next.md 9: the built-in Default tag
//! has id `"0"` (name "Default", `isBuiltIn: true`) and can be neither changed nor deleted; custom tags get small
//! integers as strings (`"1"`, `"2"`…), never reused; a tenant holds at most 100 tags (obs IntuneDocs#2961, counted
//! here with the Default tag). The list pages at 25 (obs M365DSC PR#5466).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::Tenant;
use super::intune::Failure;
use crate::rules::scope_tags::DEFAULT_TAG;

/// The most tags one tenant may hold, the Default tag included.
pub const MAX_TENANT_TAGS: usize = 100;
const DEFAULT_NAME: &str = "Default";
const DEFAULT_DESCRIPTION: &str = "Default scope tag";

/// One custom tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeTag {
    pub id: String,
    pub display_name: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// The tenant's custom tags and the next id to give.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeTags {
    #[serde(default)]
    pub tags: BTreeMap<u64, ScopeTag>,
    #[serde(default)]
    pub last_id: u64,
}

const WRITABLE: &[&str] = &["displayName", "description"];
/// Properties a client may echo back; they are ignored, as Intune does with read-only ones.
const READ_ONLY: &[&str] = &["@odata.type", "id", "isBuiltIn"];

fn render(id: &str, name: &str, description: Option<&str>, built_in: bool) -> Map<String, Value> {
    json!({
        "id": id,
        "displayName": name,
        "description": description,
        "isBuiltIn": built_in,
    })
    .as_object()
    .cloned()
    .unwrap_or_default()
}

impl ScopeTag {
    pub fn render(&self) -> Map<String, Value> {
        render(
            &self.id,
            &self.display_name,
            self.description.as_deref(),
            false,
        )
    }
}

/// The Default tag as Graph shows it.
pub fn render_default() -> Map<String, Value> {
    render(DEFAULT_TAG, DEFAULT_NAME, Some(DEFAULT_DESCRIPTION), true)
}

fn not_found(id: &str) -> Failure {
    Failure::not_found("RoleScopeTag", id)
}

fn check_keys(body: &Map<String, Value>) -> Result<(), Failure> {
    for key in body.keys() {
        if !WRITABLE.contains(&key.as_str()) && !READ_ONLY.contains(&key.as_str()) {
            return Err(Failure::odata(format!(
                "The property '{key}' does not exist on type 'microsoft.graph.roleScopeTag'. Make sure to only use property names that are defined by the type or mark the type as open type."
            )));
        }
    }
    Ok(())
}

fn text(body: &Map<String, Value>, key: &str) -> Result<Option<Option<String>>, Failure> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(text)) => Ok(Some(Some(text.clone()))),
        Some(_) => Err(Failure::odata(format!(
            "Cannot convert a value to the expected type 'Edm.String' for property '{key}'."
        ))),
    }
}

fn display_name(value: Option<String>) -> Result<String, Failure> {
    match value {
        Some(name) if !name.trim().is_empty() => Ok(name),
        _ => Err(Failure::bad_request("displayName is required.")),
    }
}

impl Tenant {
    /// Every tag's Graph JSON, the Default tag first.
    pub fn rendered_scope_tags(&self) -> Vec<Map<String, Value>> {
        std::iter::once(render_default())
            .chain(self.scope_tags.tags.values().map(ScopeTag::render))
            .collect()
    }

    /// Whether `id` names a tag of this tenant.
    pub fn scope_tag_exists(&self, id: &str) -> bool {
        id == DEFAULT_TAG
            || custom_key(id).is_some_and(|key| self.scope_tags.tags.contains_key(&key))
    }

    /// The ids of `ids` that name no tag, for Graph's "Invalid Role Scope Tag defined …".
    pub fn unknown_scope_tags<'a>(&self, ids: &'a [String]) -> Vec<&'a str> {
        ids.iter()
            .map(String::as_str)
            .filter(|id| !self.scope_tag_exists(id))
            .collect()
    }

    pub fn scope_tag(&self, id: &str) -> Result<Map<String, Value>, Failure> {
        if id == DEFAULT_TAG {
            return Ok(render_default());
        }
        custom_key(id)
            .and_then(|key| self.scope_tags.tags.get(&key))
            .map(ScopeTag::render)
            .ok_or_else(|| not_found(id))
    }

    pub fn create_scope_tag(&mut self, body: &Map<String, Value>) -> Result<ScopeTag, Failure> {
        check_keys(body)?;
        let name = display_name(text(body, "displayName")?.flatten())?;
        let description = text(body, "description")?.flatten();
        if self.scope_tags.tags.len() + 1 >= MAX_TENANT_TAGS {
            return Err(Failure::bad_request(format!(
                "A tenant can have at most {MAX_TENANT_TAGS} scope tags."
            )));
        }
        let key = self.scope_tags.last_id + 1;
        self.scope_tags.last_id = key;
        let tag = ScopeTag {
            id: key.to_string(),
            display_name: name,
            description,
        };
        self.scope_tags.tags.insert(key, tag.clone());
        Ok(tag)
    }

    pub fn update_scope_tag(&mut self, id: &str, body: &Map<String, Value>) -> Result<(), Failure> {
        if id == DEFAULT_TAG {
            return Err(Failure::bad_request(
                "The built-in Default scope tag can't be modified.",
            ));
        }
        check_keys(body)?;
        let name = text(body, "displayName")?;
        let description = text(body, "description")?;
        let tag = custom_key(id)
            .and_then(|key| self.scope_tags.tags.get_mut(&key))
            .ok_or_else(|| not_found(id))?;
        if let Some(name) = name {
            tag.display_name = display_name(name)?;
        }
        if let Some(description) = description {
            tag.description = description;
        }
        Ok(())
    }

    pub fn delete_scope_tag(&mut self, id: &str) -> Result<(), Failure> {
        if id == DEFAULT_TAG {
            return Err(Failure::bad_request(
                "The built-in Default scope tag can't be deleted.",
            ));
        }
        custom_key(id)
            .and_then(|key| self.scope_tags.tags.remove(&key))
            .map(|_| ())
            .ok_or_else(|| not_found(id))
    }
}

/// A custom tag's key: its id as a number (ids like "007" name no tag; Intune writes them without zeros).
fn custom_key(id: &str) -> Option<u64> {
    if id.starts_with('0') || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}
