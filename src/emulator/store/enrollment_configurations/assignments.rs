//! `enrollmentConfigurationAssignment`: who a configuration applies to, as `/assign` receives it and `/assignments`
//! lists it. Ids are `{configId}_{groupId}`; the two tenant-wide targets use the fixed ids Intune gives its virtual
//! "All devices" and "All users" groups, so every assignment has a stable id derived from its target.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::Failure;
use crate::rules::guid;

/// Intune's virtual group id for "All devices".
pub const ALL_DEVICES_GROUP_ID: &str = "adadadad-808e-44e2-905a-0b7873a8a531";
/// Intune's virtual group id for "All users" (all licensed users).
pub const ALL_USERS_GROUP_ID: &str = "acacacac-9df4-4c7d-9d50-4ef0226f57a9";

const GROUP_TARGET: &str = "#microsoft.graph.groupAssignmentTarget";
const EXCLUSION_TARGET: &str = "#microsoft.graph.exclusionGroupAssignmentTarget";
const ALL_DEVICES_TARGET: &str = "#microsoft.graph.allDevicesAssignmentTarget";
const ALL_USERS_TARGET: &str = "#microsoft.graph.allLicensedUsersAssignmentTarget";

/// Whom an assignment targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Target {
    #[serde(rename_all = "camelCase")]
    Group {
        group_id: String,
    },
    #[serde(rename_all = "camelCase")]
    ExclusionGroup {
        group_id: String,
    },
    AllDevices,
    AllLicensedUsers,
}

impl Target {
    /// The group whose id makes up the assignment id (a virtual one for the tenant-wide targets).
    pub fn group_id(&self) -> &str {
        match self {
            Target::Group { group_id } | Target::ExclusionGroup { group_id } => group_id,
            Target::AllDevices => ALL_DEVICES_GROUP_ID,
            Target::AllLicensedUsers => ALL_USERS_GROUP_ID,
        }
    }

    /// A real Entra group that must exist for the assignment to be accepted.
    pub fn entra_group(&self) -> Option<&str> {
        match self {
            Target::Group { group_id } | Target::ExclusionGroup { group_id } => Some(group_id),
            Target::AllDevices | Target::AllLicensedUsers => None,
        }
    }

    fn odata_type(&self) -> &'static str {
        match self {
            Target::Group { .. } => GROUP_TARGET,
            Target::ExclusionGroup { .. } => EXCLUSION_TARGET,
            Target::AllDevices => ALL_DEVICES_TARGET,
            Target::AllLicensedUsers => ALL_USERS_TARGET,
        }
    }
}

/// One assignment of a configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Assignment {
    pub id: String,
    pub target: Target,
    /// The assignment filter on an include target (`deviceAndAppManagementAssignmentFilterId`, lower case).
    #[serde(default)]
    pub filter_id: Option<String>,
    /// `none`, `include` or `exclude` (`deviceAndAppManagementAssignmentFilterType`).
    #[serde(default = "no_filter")]
    pub filter_type: String,
}

fn no_filter() -> String {
    "none".to_string()
}

impl Assignment {
    pub fn new(config_id: &str, target: Target) -> Self {
        Assignment {
            id: format!("{config_id}_{}", target.group_id()),
            target,
            filter_id: None,
            filter_type: no_filter(),
        }
    }

    /// The assignment's Graph JSON. Every assignment made through `/assign` is `direct`, sourced from the
    /// configuration itself (policy sets would say `policySets`).
    pub fn render(&self, config_id: &str) -> Map<String, Value> {
        let mut target = json!({
            "@odata.type": self.target.odata_type(),
            "deviceAndAppManagementAssignmentFilterId": self.filter_id,
            "deviceAndAppManagementAssignmentFilterType": self.filter_type,
        });
        if let (Some(object), Target::Group { group_id } | Target::ExclusionGroup { group_id }) =
            (target.as_object_mut(), &self.target)
        {
            object.insert("groupId".into(), json!(group_id));
        }
        json!({
            "id": self.id,
            "source": "direct",
            "sourceId": config_id,
            "target": target,
        })
        .as_object()
        .cloned()
        .unwrap_or_default()
    }
}

/// Properties an assignment in an `/assign` body may carry; `id`, `source` and `sourceId` are server-managed and
/// ignored when echoed back, as Intune does.
const ASSIGNMENT_PROPERTIES: &[&str] = &["id", "target", "source", "sourceId"];
const TARGET_PROPERTIES: &[&str] = &[
    "groupId",
    "deviceAndAppManagementAssignmentFilterId",
    "deviceAndAppManagementAssignmentFilterType",
];

/// The assignments in an `/assign` body (`{"enrollmentConfigurationAssignments": [...]}`), checked for shape and
/// duplicates but not yet against the tenant's groups.
pub fn parse_assign_body(
    body: &Map<String, Value>,
    config_id: &str,
) -> Result<Vec<Assignment>, Failure> {
    for key in body.keys() {
        if key != "enrollmentConfigurationAssignments" {
            return Err(Failure::odata(format!(
                "The parameter '{key}' in the request payload is not a valid parameter for the operation 'assign'."
            )));
        }
    }
    let items = match body.get("enrollmentConfigurationAssignments") {
        Some(Value::Array(items)) => items,
        Some(Value::Null) | None => {
            return Err(Failure::bad_request(
                "enrollmentConfigurationAssignments is required; send [] to remove every assignment.",
            ));
        }
        Some(_) => {
            return Err(Failure::odata(
                "The parameter 'enrollmentConfigurationAssignments' must be a collection of enrollmentConfigurationAssignment.",
            ));
        }
    };
    let mut assignments: Vec<Assignment> = Vec::new();
    for item in items {
        let (target, filter) = parse_assignment(item)?;
        let mut assignment = Assignment::new(config_id, target);
        if let Some((filter_id, filter_type)) = filter {
            assignment.filter_id = Some(filter_id);
            assignment.filter_type = filter_type;
        }
        if assignments.iter().any(|known| known.id == assignment.id) {
            return Err(Failure::bad_request(format!(
                "The group '{}' is targeted more than once; a group can be either included or excluded, once.",
                assignment.target.group_id()
            )));
        }
        assignments.push(assignment);
    }
    Ok(assignments)
}

/// A target and its filter (id, `include`/`exclude`), if it has one.
type ParsedAssignment = (Target, Option<(String, String)>);

fn parse_assignment(item: &Value) -> Result<ParsedAssignment, Failure> {
    let Value::Object(item) = item else {
        return Err(Failure::odata(
            "Each item of enrollmentConfigurationAssignments must be an enrollmentConfigurationAssignment object.",
        ));
    };
    for key in item.keys() {
        if key == "@odata.type" {
            let named = item[key].as_str().unwrap_or_default();
            if !named.ends_with("microsoft.graph.enrollmentConfigurationAssignment") {
                return Err(Failure::odata(format!(
                    "A type named '{named}' could not be resolved by the model. When a model is available, each type name must resolve to a valid type."
                )));
            }
        } else if !ASSIGNMENT_PROPERTIES.contains(&key.as_str()) {
            return Err(unknown_property(key, "enrollmentConfigurationAssignment"));
        }
    }
    let Some(Value::Object(target)) = item.get("target") else {
        return Err(Failure::bad_request(
            "An assignment needs a target (a group, an exclusion group, all devices or all licensed users).",
        ));
    };
    let odata_type = match target.get("@odata.type") {
        Some(Value::String(text)) => text.strip_prefix('#').unwrap_or(text).to_string(),
        _ => {
            return Err(Failure::odata(
                "Cannot create an instance of the abstract type 'microsoft.graph.deviceAndAppManagementAssignmentTarget'; the target must name its type in '@odata.type'.",
            ));
        }
    };
    for key in target.keys().filter(|key| *key != "@odata.type") {
        if !TARGET_PROPERTIES.contains(&key.as_str()) {
            return Err(unknown_property(key, &odata_type));
        }
    }
    let filter = parse_filter(target)?;
    let group_id = || -> Result<String, Failure> {
        match target.get("groupId") {
            Some(Value::String(text)) => guid::canonical(text).map_err(|_| {
                Failure::bad_request(format!("groupId '{text}' is not a valid GUID."))
            }),
            _ => Err(Failure::bad_request("A group target needs a groupId.")),
        }
    };
    let without_group = |target_type: Target| -> Result<Target, Failure> {
        if target.contains_key("groupId") {
            Err(unknown_property("groupId", &odata_type))
        } else {
            Ok(target_type)
        }
    };
    let parsed = match odata_type.as_str() {
        "microsoft.graph.groupAssignmentTarget" => Ok(Target::Group {
            group_id: group_id()?,
        }),
        "microsoft.graph.exclusionGroupAssignmentTarget" => Ok(Target::ExclusionGroup {
            group_id: group_id()?,
        }),
        "microsoft.graph.allDevicesAssignmentTarget" => without_group(Target::AllDevices),
        "microsoft.graph.allLicensedUsersAssignmentTarget" => {
            without_group(Target::AllLicensedUsers)
        }
        "microsoft.graph.configurationManagerCollectionAssignmentTarget" => {
            Err(Failure::bad_request(
                "Configuration Manager collections can't be targeted by enrollment configurations.",
            ))
        }
        other => Err(Failure::odata(format!(
            "A type named '{other}' could not be resolved by the model. When a model is available, each type name must resolve to a valid type."
        ))),
    }?;
    if filter.is_some() && matches!(parsed, Target::ExclusionGroup { .. }) {
        // The portal offers filters only on include targets [guess, graph-api-next.md 8].
        return Err(Failure::bad_request(
            "Assignment filters can't be used on an exclusion group target.",
        ));
    }
    Ok((parsed, filter))
}

/// The filter of a target (graph-api-next.md 8: ESPs support filters on group, allDevices and allLicensedUsers
/// targets). Unfiltered targets come as type `none` (or no type) with a null, empty or zero-GUID id, as clients
/// echo what they read. A filter id without `include`/`exclude`, or a mode without an id, is refused.
fn parse_filter(target: &Map<String, Value>) -> Result<Option<(String, String)>, Failure> {
    let filter_type = match target.get("deviceAndAppManagementAssignmentFilterType") {
        None | Some(Value::Null) => "none",
        Some(Value::String(text)) if ["none", "include", "exclude"].contains(&text.as_str()) => {
            text
        }
        _ => {
            return Err(Failure::odata(
                "The value of deviceAndAppManagementAssignmentFilterType must be one of 'none', 'include', 'exclude'.",
            ));
        }
    };
    let filter_id = match target.get("deviceAndAppManagementAssignmentFilterId") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if text.is_empty() || text == guid::ZERO => None,
        Some(Value::String(text)) => Some(guid::canonical(text).map_err(|_| {
            Failure::bad_request(format!(
                "deviceAndAppManagementAssignmentFilterId '{text}' is not a valid GUID."
            ))
        })?),
        Some(_) => {
            return Err(Failure::odata(
                "Cannot convert a value to the expected type 'Edm.String' for property 'deviceAndAppManagementAssignmentFilterId'.",
            ));
        }
    };
    match (filter_id, filter_type) {
        (None, "none") => Ok(None),
        (Some(id), "include" | "exclude") => Ok(Some((id, filter_type.to_string()))),
        (Some(_), _) => Err(Failure::bad_request(
            "An assignment filter needs deviceAndAppManagementAssignmentFilterType include or exclude.",
        )),
        (None, _) => Err(Failure::bad_request(format!(
            "deviceAndAppManagementAssignmentFilterType '{filter_type}' needs a deviceAndAppManagementAssignmentFilterId."
        ))),
    }
}

fn unknown_property(name: &str, type_name: &str) -> Failure {
    let type_name = type_name.strip_prefix('#').unwrap_or(type_name);
    let qualified = if type_name.starts_with("microsoft.graph.") {
        type_name.to_string()
    } else {
        format!("microsoft.graph.{type_name}")
    };
    Failure::odata(format!(
        "The property '{name}' does not exist on type '{qualified}'. Make sure to only use property names that are defined by the type or mark the type as open type."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn ids_are_derived_from_the_target() {
        let group = "11111111-2222-4333-8444-555555555555";
        let parsed = parse_assign_body(
            &body(json!({"enrollmentConfigurationAssignments": [
                {"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group.to_uppercase()}},
                {"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}},
            ]})),
            "c",
        )
        .unwrap();
        assert_eq!(parsed[0].id, format!("c_{group}"));
        assert_eq!(parsed[1].id, format!("c_{ALL_DEVICES_GROUP_ID}"));
    }

    #[test]
    fn a_group_both_included_and_excluded_is_refused() {
        let group = "11111111-2222-4333-8444-555555555555";
        let error = parse_assign_body(
            &body(json!({"enrollmentConfigurationAssignments": [
                {"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group}},
                {"target": {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": group}},
            ]})),
            "c",
        )
        .unwrap_err();
        assert!(error.text().contains(group));
    }
}
