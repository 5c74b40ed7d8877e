//! Intune assignment filters (`/deviceManagement/assignmentFilters`, beta), graph-api-next.md 8:
//! - at most 200 per tenant, each rule at most 3,072 characters [doc]; a Windows rule is parsed with the shared
//!   parser (`rules::filter_rule`), so the emulator refuses exactly what the provider refuses at plan time. Rules of
//!   other platforms are kept unparsed: their properties are not modelled.
//! - `platform` is set on create only; creating with `windowsPhone81`, `windows81AndLater`, `androidWorkProfile` or
//!   `unknown` answers 500, and the `*MobileApplicationManagement` platforms need management type `apps` [obs].
//! - `roleScopeTags` (not `roleScopeTagIds`) defaults to `["0"]`; an unknown tag id is refused with Intune's
//!   "Invalid Role Scope Tag defined …" [obs].
//! - a filter that an ESP assignment uses cannot be deleted (the portal's text, 400 [guess]); once the last such
//!   assignment is gone the filter stays locked for `--consistency-lag-ms` more (observed: deploymenttheory waits
//!   10 s and retries; the length here is the emulator's choice).
//! - `payloads` lists the ESP assignments that use the filter.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::Tenant;
use super::groups::WriteContext;
use super::intune::Failure;
use crate::emulator::clock::Now;
use crate::rules::{filter_rule, scope_tags};

/// The most filters one tenant may hold [doc].
pub const MAX_FILTERS: usize = 200;

/// The portal's text for deleting a filter in use [doc]; the status is a guess (400).
pub const IN_USE_MESSAGE: &str = "Unable to delete assignment filter – An assignment filter is associated with \
    existing assignments. Delete all the assignments for the filter and try again.";

const PLATFORMS: &[&str] = &[
    "android",
    "androidForWork",
    "iOS",
    "macOS",
    "windowsPhone81",
    "windows81AndLater",
    "windows10AndLater",
    "androidWorkProfile",
    "unknown",
    "androidAOSP",
    "androidMobileApplicationManagement",
    "iOSMobileApplicationManagement",
    "unknownFutureValue",
    "windowsMobileApplicationManagement",
];
/// Platforms a create answers 500 for (observed by deploymenttheory's provider).
const FAILING_PLATFORMS: &[&str] = &[
    "windowsPhone81",
    "windows81AndLater",
    "androidWorkProfile",
    "unknown",
];
const WINDOWS: &str = "windows10AndLater";
const MANAGEMENT_TYPES: &[&str] = &["devices", "apps", "unknownFutureValue"];

/// Echoed read-only properties, ignored.
const READ_ONLY: &[&str] = &[
    "@odata.type",
    "id",
    "createdDateTime",
    "lastModifiedDateTime",
    "payloads",
];

/// One filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentFilter {
    pub id: String,
    pub display_name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub platform: String,
    pub rule: String,
    pub management_type: String,
    pub role_scope_tags: Vec<String>,
    pub created_date_time: String,
    pub last_modified_date_time: String,
    /// Until when a delete is refused although no assignment uses the filter any more (emulator clock, ms).
    #[serde(default)]
    pub locked_until_ms: u64,
}

/// A use of a filter by an assignment, as `payloads` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    pub payload_id: String,
    pub group_id: String,
    pub filter_type: String,
}

impl AssignmentFilter {
    pub fn render(&self, payloads: &[Payload]) -> Map<String, Value> {
        let payloads: Vec<Value> = payloads
            .iter()
            .map(|p| {
                json!({
                    "payloadId": p.payload_id,
                    "payloadType": "enrollmentConfiguration",
                    "groupId": p.group_id,
                    "assignmentFilterType": p.filter_type,
                })
            })
            .collect();
        json!({
            "@odata.type": "#microsoft.graph.deviceAndAppManagementAssignmentFilter",
            "id": self.id,
            "displayName": self.display_name,
            "description": self.description,
            "platform": self.platform,
            "rule": self.rule,
            "assignmentFilterManagementType": self.management_type,
            "roleScopeTags": self.role_scope_tags,
            "createdDateTime": self.created_date_time,
            "lastModifiedDateTime": self.last_modified_date_time,
            "payloads": payloads,
        })
        .as_object()
        .cloned()
        .unwrap_or_default()
    }
}

/// The writable properties of a body, type-checked; `None` where absent.
#[derive(Default)]
struct Input {
    display_name: Option<Option<String>>,
    description: Option<Option<String>>,
    platform: Option<String>,
    rule: Option<Option<String>>,
    role_scope_tags: Option<Vec<String>>,
    management_type: Option<String>,
}

fn wrong_type(key: &str, expected: &str) -> Failure {
    Failure::odata(format!(
        "Cannot convert a value to the expected type '{expected}' for property '{key}'."
    ))
}

fn read_input(body: &Map<String, Value>) -> Result<Input, Failure> {
    let mut input = Input::default();
    for (key, value) in body {
        let text = || match value {
            Value::Null => Ok(None),
            Value::String(text) => Ok(Some(text.clone())),
            _ => Err(wrong_type(key, "Edm.String")),
        };
        let enumeration = |allowed: &[&str], type_name: &str| match value {
            Value::String(text) if allowed.contains(&text.as_str()) => Ok(text.clone()),
            Value::String(text) => Err(Failure::odata(format!(
                "The value '{text}' is not a valid member of the enumeration type '{type_name}'."
            ))),
            _ => Err(wrong_type(key, type_name)),
        };
        match key.as_str() {
            "displayName" => input.display_name = Some(text()?),
            "description" => input.description = Some(text()?),
            "rule" => input.rule = Some(text()?),
            "platform" => {
                input.platform = Some(enumeration(
                    PLATFORMS,
                    "microsoft.graph.devicePlatformType",
                )?)
            }
            "assignmentFilterManagementType" => {
                input.management_type = Some(enumeration(
                    MANAGEMENT_TYPES,
                    "microsoft.graph.assignmentFilterManagementType",
                )?)
            }
            "roleScopeTags" => {
                let Value::Array(items) = value else {
                    return Err(wrong_type(key, "Collection(Edm.String)"));
                };
                let tags: Option<Vec<String>> = items
                    .iter()
                    .map(|i| i.as_str().map(str::to_string))
                    .collect();
                input.role_scope_tags = Some(tags.ok_or_else(|| wrong_type(key, "Edm.String"))?);
            }
            _ if READ_ONLY.contains(&key.as_str()) => {}
            _ => {
                return Err(Failure::odata(format!(
                    "The property '{key}' does not exist on type 'microsoft.graph.deviceAndAppManagementAssignmentFilter'. Make sure to only use property names that are defined by the type or mark the type as open type."
                )));
            }
        }
    }
    Ok(input)
}

fn required_name(name: Option<String>) -> Result<String, Failure> {
    match name {
        Some(name) if !name.trim().is_empty() => Ok(name),
        _ => Err(Failure::bad_request("displayName is required.")),
    }
}

/// Checks a rule for `platform`: its length always, its syntax for Windows.
pub fn check_rule(platform: &str, rule: Option<&str>) -> Result<(), Failure> {
    let Some(rule) = rule.filter(|r| !r.trim().is_empty()) else {
        return Err(Failure::bad_request("rule is required."));
    };
    let length = rule.chars().count();
    if length > filter_rule::MAX_RULE_LENGTH {
        return Err(Failure::bad_request(format!(
            "The rule is {length} characters long; a filter rule has at most {} characters.",
            filter_rule::MAX_RULE_LENGTH
        )));
    }
    if platform == WINDOWS {
        // Intune's wording for a rule it cannot parse is not documented; the reason follows the shared parser.
        filter_rule::parse(rule)
            .map_err(|error| Failure::bad_request(format!("Invalid filter rule: {error}")))?;
    }
    Ok(())
}

fn not_found(id: &str) -> Failure {
    Failure::not_found("DeviceAndAppManagementAssignmentFilter", id)
}

impl Tenant {
    fn checked_tags(&self, tags: Option<Vec<String>>) -> Result<Option<Vec<String>>, Failure> {
        let Some(tags) = tags else { return Ok(None) };
        let unknown = self.unknown_scope_tags(&tags);
        if !unknown.is_empty() {
            return Err(Failure::bad_request(scope_tags::invalid_ids_message(
                &unknown,
            )));
        }
        scope_tags::validate(&tags).map_err(Failure::bad_request)?;
        Ok(Some(scope_tags::stored(&tags)))
    }

    /// Every ESP assignment that uses filter `id`.
    pub fn filter_payloads(&self, id: &str) -> Vec<Payload> {
        self.enrollment_configurations
            .values()
            .flat_map(|config| {
                config.assignments.iter().filter_map(move |a| {
                    a.filter_id
                        .as_deref()
                        .filter(|f| f.eq_ignore_ascii_case(id))
                        .map(|_| Payload {
                            payload_id: config.id.clone(),
                            group_id: a.target.group_id().to_string(),
                            filter_type: a.filter_type.clone(),
                        })
                })
            })
            .collect()
    }

    pub fn rendered_filter(&self, filter: &AssignmentFilter) -> Map<String, Value> {
        filter.render(&self.filter_payloads(&filter.id))
    }

    pub fn assignment_filter(&self, id: &str) -> Result<&AssignmentFilter, Failure> {
        self.assignment_filters
            .get(&id.to_ascii_lowercase())
            .ok_or_else(|| not_found(id))
    }

    pub fn create_assignment_filter(
        &mut self,
        body: &Map<String, Value>,
        ctx: &WriteContext,
    ) -> Result<AssignmentFilter, Failure> {
        let input = read_input(body)?;
        let display_name = required_name(input.display_name.flatten())?;
        let Some(platform) = input.platform else {
            return Err(Failure::bad_request("platform is required."));
        };
        if FAILING_PLATFORMS.contains(&platform.as_str()) {
            return Err(Failure::Intune {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                code: "InternalServerError",
                text: "An internal server error has occurred.".to_string(),
            });
        }
        let management_type = input.management_type.unwrap_or_else(|| "devices".into());
        if platform.ends_with("MobileApplicationManagement") != (management_type == "apps") {
            return Err(Failure::bad_request(format!(
                "Platform {platform} doesn't support assignment filter management type {management_type}."
            )));
        }
        let rule = input.rule.flatten();
        check_rule(&platform, rule.as_deref())?;
        let tags = self
            .checked_tags(input.role_scope_tags)?
            .unwrap_or_else(|| vec![scope_tags::DEFAULT_TAG.to_string()]);
        if self.assignment_filters.len() >= MAX_FILTERS {
            return Err(Failure::bad_request(format!(
                "A tenant can have at most {MAX_FILTERS} assignment filters."
            )));
        }
        let filter = AssignmentFilter {
            id: ctx.random.guid(),
            display_name,
            description: input.description.flatten(),
            platform,
            rule: rule.unwrap_or_default(),
            management_type,
            role_scope_tags: tags,
            created_date_time: ctx.timestamp.clone(),
            last_modified_date_time: ctx.timestamp.clone(),
            locked_until_ms: 0,
        };
        self.assignment_filters
            .insert(filter.id.clone(), filter.clone());
        Ok(filter)
    }

    pub fn update_assignment_filter(
        &mut self,
        id: &str,
        body: &Map<String, Value>,
        ctx: &WriteContext,
    ) -> Result<(), Failure> {
        let input = read_input(body)?;
        let current = self.assignment_filter(id)?.clone();
        // The platform is fixed at create; clients send it only then (obs). A different one is refused [guess].
        if let Some(platform) = &input.platform
            && platform != &current.platform
        {
            return Err(Failure::bad_request(
                "The platform of an assignment filter can't be changed; create a new filter instead.",
            ));
        }
        if let Some(management_type) = &input.management_type
            && management_type != &current.management_type
        {
            return Err(Failure::bad_request(
                "The management type of an assignment filter can't be changed.",
            ));
        }
        let mut filter = current;
        if let Some(name) = input.display_name {
            filter.display_name = required_name(name)?;
        }
        if let Some(description) = input.description {
            filter.description = description;
        }
        if let Some(rule) = input.rule {
            check_rule(&filter.platform, rule.as_deref())?;
            filter.rule = rule.unwrap_or_default();
        }
        if let Some(tags) = self.checked_tags(input.role_scope_tags)? {
            filter.role_scope_tags = tags;
        }
        filter.last_modified_date_time = ctx.timestamp.clone();
        self.assignment_filters.insert(filter.id.clone(), filter);
        Ok(())
    }

    pub fn delete_assignment_filter(&mut self, id: &str, now: Now) -> Result<(), Failure> {
        let filter = self.assignment_filter(id)?;
        if !self.filter_payloads(&filter.id).is_empty() || now.ms() < filter.locked_until_ms {
            return Err(Failure::bad_request(IN_USE_MESSAGE));
        }
        let key = filter.id.clone();
        self.assignment_filters.remove(&key);
        Ok(())
    }

    /// Checks the filter an ESP assignment names: it must exist.
    pub fn require_assignment_filter(&self, id: &str) -> Result<(), Failure> {
        self.assignment_filter(id)
            .map(|_| ())
            .map_err(|_| Failure::bad_request(format!("Assignment filter '{id}' was not found.")))
    }

    /// After ESP assignments changed from `before` to what the tenant holds now: every filter no longer used by
    /// them stays locked for `lag`.
    pub fn lock_released_filters(&mut self, before: &[String], now: Now, lag: std::time::Duration) {
        let until = now.plus(lag).ms();
        for id in before {
            if self.filter_payloads(id).is_empty()
                && let Some(filter) = self.assignment_filters.get_mut(&id.to_ascii_lowercase())
            {
                filter.locked_until_ms = filter.locked_until_ms.max(until);
            }
        }
    }

    /// The filter ids the tenant's ESP assignments use.
    pub fn used_filter_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .enrollment_configurations
            .values()
            .flat_map(|c| c.assignments.iter().filter_map(|a| a.filter_id.clone()))
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

/// Filters by id, as the tenant keeps them.
pub type Filters = BTreeMap<String, AssignmentFilter>;
