//! Intune's device enrollment configurations (`/deviceManagement/deviceEnrollmentConfigurations`): the Enrollment
//! Status Page and the tenant's other defaults. The model, Intune's validation of create and update bodies,
//! `/assign` (which replaces the whole set), `setPriority` (custom priorities stay contiguous from 1, per type), and
//! the Graph JSON in v1.0's and beta's shapes.
//!
//! Errors come in the two shapes Graph clients meet on these routes: the OData layer's plain `BadRequest` for a
//! body that does not fit the type (unknown property, wrong JSON type, abstract type), and Intune's own errors,
//! whose message is a JSON document (see [`Failure`]).

mod assignments;
mod defaults;
mod kinds;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::groups::WriteContext;
use super::input::BodyProperty;
use super::replication::Snapshot;
use super::{Rendered, Tenant};
use crate::emulator::odata::ApiVersion;
use crate::rules::{guid, scope_tags};
pub use assignments::{ALL_DEVICES_GROUP_ID, ALL_USERS_GROUP_ID, Assignment, Target};
pub use defaults::is_default_id;
pub use kinds::{Kind, Property, Shape};

/// The role scope tag every Intune object gets when none is given: "Default".
pub const DEFAULT_SCOPE_TAG: &str = scope_tags::DEFAULT_TAG;
const BASE_TYPE: &str = "microsoft.graph.deviceEnrollmentConfiguration";

pub use super::intune::Failure;

/// One enrollment configuration as Intune stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrollmentConfiguration {
    pub id: String,
    pub kind: Kind,
    pub display_name: Option<String>,
    pub description: Option<String>,
    /// 0 for the tenant's defaults (they always lose); custom ones 1..n per type, 1 wins.
    pub priority: i32,
    pub version: i32,
    pub created_date_time: String,
    pub last_modified_date_time: String,
    pub role_scope_tag_ids: Vec<String>,
    /// The type's own properties (every one of them, beta's set), in Graph JSON.
    pub settings: Map<String, Value>,
    pub assignments: Vec<Assignment>,
}

impl EnrollmentConfiguration {
    pub fn is_default(&self) -> bool {
        is_default_id(&self.id)
    }

    /// The configuration's Graph JSON for `version`, `@odata.type` first (the collection is polymorphic).
    pub fn render(&self, version: ApiVersion) -> Rendered {
        let mut default = Map::new();
        default.insert("@odata.type".into(), json!(self.kind.odata_type()));
        default.insert("id".into(), json!(self.id));
        default.insert("displayName".into(), json!(self.display_name));
        default.insert("description".into(), json!(self.description));
        default.insert("priority".into(), json!(self.priority));
        default.insert("createdDateTime".into(), json!(self.created_date_time));
        default.insert(
            "lastModifiedDateTime".into(),
            json!(self.last_modified_date_time),
        );
        default.insert("version".into(), json!(self.version));
        if version == ApiVersion::Beta {
            default.insert("roleScopeTagIds".into(), json!(self.role_scope_tag_ids));
            default.insert(
                "deviceEnrollmentConfigurationType".into(),
                json!(self.kind.configuration_type()),
            );
        }
        for property in self.kind.properties() {
            if version == ApiVersion::Beta || property.in_v1 {
                let value = self
                    .settings
                    .get(property.name)
                    .cloned()
                    .unwrap_or(Value::Null);
                default.insert(property.name.into(), value);
            }
        }
        Rendered {
            default,
            on_select: Map::new(),
        }
    }

    /// The assignments' Graph JSON.
    pub fn render_assignments(&self) -> Vec<Value> {
        self.assignments
            .iter()
            .map(|assignment| Value::Object(assignment.render(&self.id)))
            .collect()
    }

    /// Records a change: Intune bumps `version` and `lastModifiedDateTime` on every one.
    fn touch(&mut self, timestamp: &str) {
        self.version = self.version.saturating_add(1);
        self.last_modified_date_time = timestamp.to_string();
    }
}

/// Every property any configuration type shows in `version`, for `$select` and `$filter`.
pub fn sample(version: ApiVersion) -> Rendered {
    let mut rendered = Rendered::default();
    for config in defaults::defaults("sample") {
        if config.kind.in_version(version) {
            rendered.default.extend(config.render(version).default);
        }
    }
    rendered
}

/// The typed properties of one create or update body.
struct Input {
    /// The type `@odata.type` names; `None` for the (abstract) base type or no `@odata.type` at all.
    kind: Option<Kind>,
    display_name: BodyProperty<String>,
    description: BodyProperty<String>,
    role_scope_tag_ids: BodyProperty<Vec<String>>,
    settings: Vec<(&'static str, Value)>,
}

/// Base properties a body may set.
const BASE_WRITABLE: &[&str] = &["displayName", "description"];
/// Server-managed properties: ignored when a client echoes them back (priority changes only through setPriority).
const BASE_READ_ONLY: &[&str] = &[
    "id",
    "createdDateTime",
    "lastModifiedDateTime",
    "version",
    "priority",
];

fn unresolved_type(name: &str) -> Failure {
    Failure::odata(format!(
        "A type named '{name}' could not be resolved by the model. When a model is available, each type name must resolve to a valid type."
    ))
}

fn unknown_property(name: &str, kind: Option<Kind>) -> Failure {
    let type_name = kind.map_or(BASE_TYPE.to_string(), |kind| {
        format!("microsoft.graph.{}", kind.type_name())
    });
    Failure::odata(format!(
        "The property '{name}' does not exist on type '{type_name}'. Make sure to only use property names that are defined by the type or mark the type as open type."
    ))
}

fn wrong_type(name: &str, expected: &str) -> Failure {
    Failure::odata(format!(
        "Cannot convert the value of property '{name}' to the expected type '{expected}'."
    ))
}

fn not_nullable(name: &str, expected: &str) -> Failure {
    Failure::odata(format!(
        "A null value was found for the property named '{name}', which has the expected type '{expected}'. The expected type '{expected}' does not allow null values."
    ))
}

impl Input {
    fn read(map: &Map<String, Value>, version: ApiVersion) -> Result<Self, Failure> {
        let kind = match map.get("@odata.type") {
            None => None,
            Some(Value::String(text)) => {
                let bare = text.strip_prefix('#').unwrap_or(text);
                if bare == BASE_TYPE {
                    None
                } else {
                    Some(
                        Kind::from_odata_type(text, version)
                            .ok_or_else(|| unresolved_type(bare))?,
                    )
                }
            }
            Some(_) => return Err(unresolved_type("")),
        };
        let mut input = Input {
            kind,
            display_name: BodyProperty::Absent,
            description: BodyProperty::Absent,
            role_scope_tag_ids: BodyProperty::Absent,
            settings: Vec::new(),
        };
        let beta = version == ApiVersion::Beta;
        for (key, value) in map {
            let key = key.as_str();
            if key.ends_with("@odata.bind") {
                return Err(Failure::odata(format!("Invalid property '{key}'.")));
            }
            if key.starts_with('@') || key.contains("@odata.") {
                continue;
            }
            if BASE_WRITABLE.contains(&key) {
                let field = match value {
                    Value::Null => BodyProperty::Null,
                    Value::String(text) => BodyProperty::Value(text.clone()),
                    _ => return Err(wrong_type(key, "Edm.String")),
                };
                if key == "displayName" {
                    input.display_name = field;
                } else {
                    input.description = field;
                }
            } else if BASE_READ_ONLY.contains(&key)
                || (beta && key == "deviceEnrollmentConfigurationType")
            {
                continue;
            } else if beta && key == "roleScopeTagIds" {
                input.role_scope_tag_ids = BodyProperty::Value(read_scope_tags(value)?);
            } else if key == "assignments" {
                // A client serialising a whole object may send an empty navigation; anything in it is refused.
                if value.as_array().is_some_and(Vec::is_empty) {
                    continue;
                }
                return Err(Failure::bad_request(
                    "Assignments can't be set with the configuration; use the assign action.",
                ));
            } else if let Some(property) = kind.and_then(|kind| kind.property(key, version)) {
                input
                    .settings
                    .push((property.name, checked(property, value)?));
            } else {
                return Err(unknown_property(key, kind));
            }
        }
        Ok(input)
    }

    /// Sets the body's base properties on `config`; Intune requires a display name.
    fn apply_base(&self, config: &mut EnrollmentConfiguration) -> Result<(), Failure> {
        match &self.display_name {
            BodyProperty::Absent => {}
            BodyProperty::Value(name) if !name.trim().is_empty() => {
                config.display_name = Some(name.clone());
            }
            _ => return Err(Failure::bad_request("displayName is required.")),
        }
        match &self.description {
            BodyProperty::Absent => {}
            BodyProperty::Null => config.description = None,
            BodyProperty::Value(text) => config.description = Some(text.clone()),
        }
        if let BodyProperty::Value(tags) = &self.role_scope_tag_ids {
            config.role_scope_tag_ids = scope_tags::stored(tags);
        }
        for (name, value) in &self.settings {
            config.settings.insert((*name).to_string(), value.clone());
        }
        Ok(())
    }
}

/// Role scope tag ids are the decimal ids of Intune scope tags ([`scope_tags`]).
fn read_scope_tags(value: &Value) -> Result<Vec<String>, Failure> {
    let Value::Array(items) = value else {
        return Err(wrong_type("roleScopeTagIds", "Collection(Edm.String)"));
    };
    let mut tags = Vec::new();
    for item in items {
        let Some(tag) = item.as_str() else {
            return Err(wrong_type("roleScopeTagIds", "Collection(Edm.String)"));
        };
        tags.push(tag.to_string());
    }
    let invalid = scope_tags::invalid_ids(&tags);
    if !invalid.is_empty() {
        return Err(Failure::bad_request(scope_tags::invalid_ids_message(
            &invalid,
        )));
    }
    scope_tags::validate(&tags).map_err(Failure::bad_request)?;
    Ok(scope_tags::stored(&tags))
}

/// Checks one type-specific property value against its shape and limits.
fn checked(property: Property, value: &Value) -> Result<Value, Failure> {
    let name = property.name;
    match property.shape {
        Shape::Bool => match value {
            Value::Bool(_) => Ok(value.clone()),
            Value::Null => Err(not_nullable(name, "Edm.Boolean")),
            _ => Err(wrong_type(name, "Edm.Boolean")),
        },
        Shape::Int { min, max, nullable } => match value {
            Value::Null if nullable => Ok(Value::Null),
            Value::Null => Err(not_nullable(name, "Edm.Int32")),
            Value::Number(number) => match number.as_i64() {
                Some(n) if (min..=max).contains(&n) => Ok(value.clone()),
                Some(n) => Err(Failure::bad_request(format!(
                    "{name} must be between {min} and {max}; {n} is out of range."
                ))),
                None => Err(wrong_type(name, "Edm.Int32")),
            },
            _ => Err(wrong_type(name, "Edm.Int32")),
        },
        Shape::Text {
            max_chars,
            nullable,
        } => match value {
            Value::Null if nullable => Ok(Value::Null),
            Value::Null => Err(not_nullable(name, "Edm.String")),
            Value::String(text) => {
                let length = text.chars().count();
                if length > max_chars {
                    Err(Failure::bad_request(format!(
                        "{name} is {length} characters long; the maximum length is {max_chars}."
                    )))
                } else {
                    Ok(value.clone())
                }
            }
            _ => Err(wrong_type(name, "Edm.String")),
        },
        Shape::GuidList { max_items } => {
            let Value::Array(items) = value else {
                return Err(wrong_type(name, "Collection(Edm.String)"));
            };
            if items.len() > max_items {
                return Err(Failure::bad_request(format!(
                    "{name} has {} items; at most {max_items} are allowed.",
                    items.len()
                )));
            }
            for item in items {
                let Some(text) = item.as_str() else {
                    return Err(wrong_type(name, "Collection(Edm.String)"));
                };
                if !guid::is_guid(text) {
                    return Err(Failure::bad_request(format!(
                        "{name} contains '{text}', which is not a GUID."
                    )));
                }
            }
            Ok(value.clone())
        }
        Shape::Choice(choices) => match value {
            Value::String(text) if choices.contains(&text.as_str()) => Ok(value.clone()),
            Value::Null => Err(not_nullable(name, "Edm.Enum")),
            _ => Err(Failure::odata(format!(
                "The value of property '{name}' must be one of: {}.",
                choices.join(", ")
            ))),
        },
        Shape::Object => match value {
            Value::Object(_) => Ok(value.clone()),
            _ => Err(wrong_type(name, "Edm.ComplexType")),
        },
    }
}

/// The settings of a newly created configuration: Graph's documented defaults (booleans false, the ESP timeout 60
/// minutes, no message, no blocking apps).
fn new_settings(kind: Kind) -> Map<String, Value> {
    kind.properties()
        .iter()
        .map(|property| {
            let value = match (property.name, property.shape) {
                ("installProgressTimeoutInMinutes", _) => json!(60),
                (_, Shape::Bool) => json!(false),
                (_, Shape::GuidList { .. }) => json!([]),
                (_, Shape::Int { min, .. }) => json!(min),
                (_, Shape::Choice(choices)) => json!(choices.first()),
                _ => Value::Null,
            };
            (property.name.to_string(), value)
        })
        .collect()
}

impl Tenant {
    /// Adds whichever default configurations the tenant lacks (all of them for a new tenant; a state file from
    /// before enrollment configurations existed gets them on load).
    pub fn seed_enrollment_defaults(&mut self, tenant_id: &str) {
        // Runs on every request, so the usual case (all present) must not build the payloads.
        if defaults::default_ids(tenant_id)
            .all(|id| self.enrollment_configurations.contains_key(&id))
        {
            return;
        }
        for config in defaults::defaults(tenant_id) {
            self.enrollment_configurations
                .entry(config.id.clone())
                .or_insert(config);
        }
    }

    fn enrollment_configuration(&self, id: &str) -> Result<&EnrollmentConfiguration, Failure> {
        self.enrollment_configurations
            .get(id)
            .ok_or_else(|| Failure::not_found("DeviceEnrollmentConfiguration", id))
    }

    /// The custom (non-default) configurations of `kind`, best priority first.
    fn custom_by_priority(&self, kind: Kind) -> Vec<String> {
        let mut customs: Vec<(&i32, &String, &String)> = self
            .enrollment_configurations
            .values()
            .filter(|config| config.kind == kind && !config.is_default())
            .map(|config| (&config.priority, &config.created_date_time, &config.id))
            .collect();
        customs.sort();
        customs.into_iter().map(|(_, _, id)| id.clone()).collect()
    }

    /// Gives the configurations in `order` the priorities 1..n, recording a change on each one that moved.
    fn renumber(&mut self, order: &[String], ctx: &WriteContext) {
        for (index, id) in order.iter().enumerate() {
            let priority = i32::try_from(index + 1).unwrap_or(i32::MAX);
            let Some(config) = self.enrollment_configurations.get_mut(id) else {
                continue;
            };
            if config.priority != priority {
                let previous = config.clone();
                config.priority = priority;
                config.touch(&ctx.timestamp);
                self.replication.updated(
                    id,
                    Snapshot::EnrollmentConfiguration(Box::new(previous)),
                    ctx.now,
                    ctx.pacing.lag,
                );
            }
        }
    }

    /// `POST /deviceManagement/deviceEnrollmentConfigurations`.
    pub fn create_enrollment_configuration(
        &mut self,
        body: &Map<String, Value>,
        version: ApiVersion,
        ctx: &WriteContext,
    ) -> Result<EnrollmentConfiguration, Failure> {
        let input = Input::read(body, version)?;
        let Some(kind) = input.kind else {
            return Err(Failure::odata(format!(
                "Cannot create an instance of the abstract type '{BASE_TYPE}'; name a derived type in '@odata.type', e.g. '#microsoft.graph.windows10EnrollmentCompletionPageConfiguration'."
            )));
        };
        if kind != Kind::EnrollmentStatusPage {
            return Err(Failure::bad_request(format!(
                "graph-emulator creates only Enrollment Status Pages; '{}' configurations exist only as the tenant's defaults.",
                kind.type_name()
            )));
        }
        if !matches!(&input.display_name, BodyProperty::Value(name) if !name.trim().is_empty()) {
            return Err(Failure::bad_request("displayName is required."));
        }
        let mut config = EnrollmentConfiguration {
            id: format!("{}_{}", ctx.random.guid(), kind.id_suffix()),
            kind,
            display_name: None,
            description: None,
            priority: 0,
            version: 1,
            created_date_time: ctx.timestamp.clone(),
            last_modified_date_time: ctx.timestamp.clone(),
            role_scope_tag_ids: vec![DEFAULT_SCOPE_TAG.to_string()],
            settings: new_settings(kind),
            assignments: Vec::new(),
        };
        input.apply_base(&mut config)?;
        // New configurations go to the end of their type's sequence.
        config.priority =
            i32::try_from(self.custom_by_priority(kind).len() + 1).unwrap_or(i32::MAX);
        self.replication
            .created(&config.id, ctx.now, ctx.pacing.lag);
        self.enrollment_configurations
            .insert(config.id.clone(), config.clone());
        Ok(config)
    }

    /// `PATCH …/{id}`. The body must name the configuration's own type in `@odata.type` to set its type-specific
    /// properties; without it, it is read as the abstract base type, as OData does.
    pub fn update_enrollment_configuration(
        &mut self,
        id: &str,
        body: &Map<String, Value>,
        version: ApiVersion,
        ctx: &WriteContext,
    ) -> Result<(), Failure> {
        let previous = self.enrollment_configuration(id)?.clone();
        let input = Input::read(body, version)?;
        if let Some(kind) = input.kind
            && kind != previous.kind
        {
            return Err(Failure::bad_request(format!(
                "The request names type '{}', but '{id}' is a '{}'; a configuration's type can't change.",
                kind.type_name(),
                previous.kind.type_name()
            )));
        }
        let mut config = previous.clone();
        input.apply_base(&mut config)?;
        if config != previous {
            config.touch(&ctx.timestamp);
            self.replication.updated(
                id,
                Snapshot::EnrollmentConfiguration(Box::new(previous)),
                ctx.now,
                ctx.pacing.lag,
            );
            self.enrollment_configurations
                .insert(id.to_string(), config);
        }
        Ok(())
    }

    /// `DELETE …/{id}`. The defaults can't be deleted; the remaining custom priorities close the gap.
    pub fn delete_enrollment_configuration(
        &mut self,
        id: &str,
        ctx: &WriteContext,
    ) -> Result<(), Failure> {
        let config = self.enrollment_configuration(id)?;
        if config.is_default() {
            return Err(Failure::bad_request(format!(
                "The default configuration '{id}' can't be deleted; it applies to all users and devices with the lowest priority."
            )));
        }
        let kind = config.kind;
        let released = self.used_filter_ids();
        if let Some(removed) = self.enrollment_configurations.remove(id) {
            self.replication.deleted(
                id,
                Snapshot::EnrollmentConfiguration(Box::new(removed)),
                ctx.now,
                ctx.pacing.lag,
            );
        }
        self.lock_released_filters(&released, ctx.now, ctx.pacing.lag);
        let order = self.custom_by_priority(kind);
        self.renumber(&order, ctx);
        Ok(())
    }

    /// `POST …/{id}/assign`: the body's assignments replace the whole set (`[]` clears it). Group targets must be
    /// existing Entra groups.
    pub fn assign_enrollment_configuration(
        &mut self,
        id: &str,
        body: &Map<String, Value>,
        ctx: &WriteContext,
    ) -> Result<(), Failure> {
        let config = self.enrollment_configuration(id)?;
        if config.is_default() {
            return Err(Failure::bad_request(format!(
                "The default configuration '{id}' can't be assigned; it already applies to all users and devices."
            )));
        }
        let assignments = assignments::parse_assign_body(body, id)?;
        for assignment in &assignments {
            if let Some(filter_id) = &assignment.filter_id {
                self.require_assignment_filter(filter_id)?;
            }
            if let Some(group_id) = assignment.target.entra_group()
                && !self.groups.contains_key(group_id)
            {
                return Err(Failure::bad_request(format!(
                    "Group '{group_id}' was not found in this tenant; assignments target existing groups."
                )));
            }
        }
        let previous = config.clone();
        if previous.assignments != assignments {
            let released = self.used_filter_ids();
            let mut config = previous.clone();
            config.assignments = assignments;
            config.touch(&ctx.timestamp);
            self.replication.updated(
                id,
                Snapshot::EnrollmentConfiguration(Box::new(previous)),
                ctx.now,
                ctx.pacing.lag,
            );
            self.enrollment_configurations
                .insert(id.to_string(), config);
            self.lock_released_filters(&released, ctx.now, ctx.pacing.lag);
        }
        Ok(())
    }

    /// `POST …/{id}/setPriority` `{"priority": n}`: moves the configuration to position n among the custom ones
    /// of its type and renumbers the others, so priorities stay 1..n. The priority it already has is refused
    /// with a generic 400. A priority beyond the last is clamped to the
    /// last: the portal's reordering can only move within the list, and clamping lets configurations created one
    /// by one in any order converge on the priorities asked for.
    pub fn set_enrollment_configuration_priority(
        &mut self,
        id: &str,
        body: &Map<String, Value>,
        ctx: &WriteContext,
    ) -> Result<(), Failure> {
        for key in body.keys() {
            if key != "priority" {
                return Err(Failure::odata(format!(
                    "The parameter '{key}' in the request payload is not a valid parameter for the operation 'setPriority'."
                )));
            }
        }
        let priority = match body.get("priority") {
            Some(Value::Number(number)) => number
                .as_i64()
                .ok_or_else(|| wrong_type("priority", "Edm.Int32"))?,
            Some(Value::Null) | None => {
                return Err(Failure::odata(
                    "The parameter 'priority' of the operation 'setPriority' is required and not nullable.",
                ));
            }
            Some(_) => return Err(wrong_type("priority", "Edm.Int32")),
        };
        let config = self.enrollment_configuration(id)?;
        if config.is_default() {
            return Err(Failure::bad_request(format!(
                "The priority of the default configuration '{id}' can't be changed; it always applies last."
            )));
        }
        if priority < 1 {
            return Err(Failure::bad_request(format!(
                "Priority {priority} is not allowed: custom configurations have priorities from 1 (applied first); 0 belongs to the default."
            )));
        }
        // Observed, not documented: Intune answers a move to the priority the configuration already has with its
        // generic 400 rather than a no-op, so clients must compare before they call.
        if i64::from(config.priority) == priority {
            return Err(Failure::bad_request("An error has occurred"));
        }
        let mut order = self.custom_by_priority(config.kind);
        order.retain(|other| other != id);
        let position = usize::try_from(priority - 1)
            .unwrap_or(usize::MAX)
            .min(order.len());
        order.insert(position, id.to_string());
        self.renumber(&order, ctx);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intune_messages_are_json_documents_with_crlf() {
        let error = Failure::bad_request("displayName is required.")
            .into_graph("/deviceManagement/deviceEnrollmentConfigurations", "act-1");
        assert_eq!(error.code, "BadRequest");
        assert!(error.message.contains("\r\n"));
        let inner: Value = serde_json::from_str(&error.message).unwrap();
        assert_eq!(inner["_version"], 3);
        let message = inner["Message"].as_str().unwrap();
        assert!(
            message.starts_with("displayName is required. - Operation ID (for customer support): ")
        );
        assert!(message.contains("Activity ID: act-1 - Url: https://"));
        assert_eq!(inner["HttpHeaders"], "{}");
        assert_eq!(inner["RetryAfter"], Value::Null);
    }

    #[test]
    fn odata_failures_stay_plain() {
        let error = Failure::odata("Invalid property 'x'.").into_graph("/p", "a");
        assert_eq!(error.message, "Invalid property 'x'.");
    }
}
