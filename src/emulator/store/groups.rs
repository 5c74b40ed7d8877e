//! Entra ID groups: the model, Graph's validation of create and update bodies, member references, soft delete and
//! restore, and the group's Graph JSON. Dynamic membership itself is computed in `dynamic`.

use std::collections::BTreeMap;

use crate::emulator::clock::{Now, Pacing};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::dynamic::Cause;
use super::input::{Body, BodyProperty, invalid_value, value_required};
use super::replication::Snapshot;
use super::{MemberKind, Rendered, Tenant};
use crate::emulator::odata::{ApiVersion, ErrorReply, resource_not_found};
use crate::emulator::prng::Random;
use crate::rules::{mail_nickname, membership};

pub const MAX_DISPLAY_NAME_LENGTH: usize = 256;
/// Graph takes at most 20 `members@odata.bind` and `owners@odata.bind` references in one request.
pub const MAX_BINDS_PER_REQUEST: usize = 20;
pub const DYNAMIC_MEMBERSHIP: &str = "DynamicMembership";
pub const UNIFIED: &str = "Unified";
const RESOURCE: &str = "Group";

/// The message Entra gives when a reference being added is already there.
pub const DUPLICATE_MEMBER_MESSAGE: &str = "One or more added object references already exist for the following modified properties: 'members'.";
/// The message Entra gives when a reference being removed is not there.
pub const MISSING_MEMBER_MESSAGE: &str = "One or more removed object references do not exist for the following modified properties: 'members'.";
/// Manual member changes on a dynamic group.
pub const DYNAMIC_MEMBERS_MESSAGE: &str = "Members of a group with dynamic membership cannot be added or removed manually; they follow its membershipRule.";

/// Properties a request body may set on a group.
const WRITABLE: &[&str] = &[
    "displayName",
    "description",
    "mailNickname",
    "mailEnabled",
    "securityEnabled",
    "groupTypes",
    "membershipRule",
    "membershipRuleProcessingState",
    "visibility",
    "isAssignableToRole",
    "classification",
    "preferredDataLocation",
    "preferredLanguage",
    "theme",
];

/// Properties Graph ignores when a client echoes them back in a body.
const READ_ONLY: &[&str] = &[
    "id",
    "deletedDateTime",
    "createdDateTime",
    "renewedDateTime",
    "expirationDateTime",
    "mail",
    "proxyAddresses",
    "securityIdentifier",
    "createdByAppId",
    "membershipRuleProcessingStatus",
    "onPremisesDomainName",
    "onPremisesLastSyncDateTime",
    "onPremisesNetBiosName",
    "onPremisesSamAccountName",
    "onPremisesSecurityIdentifier",
    "onPremisesSyncEnabled",
    "onPremisesProvisioningErrors",
    "resourceBehaviorOptions",
    "resourceProvisioningOptions",
    "creationOptions",
    "uniqueName",
];

/// `membershipRuleProcessingStatus` (beta, `$select` only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessingStatus {
    pub status: String,
    pub last_membership_updated: Option<String>,
    pub error_message: Option<String>,
}

/// One group as the directory stores it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Group {
    pub id: String,
    pub display_name: String,
    pub description: Option<String>,
    pub mail_nickname: String,
    pub mail_enabled: bool,
    pub security_enabled: bool,
    pub group_types: Vec<String>,
    pub membership_rule: Option<String>,
    pub membership_rule_processing_state: Option<String>,
    pub membership_rule_processing_status: Option<ProcessingStatus>,
    pub visibility: Option<String>,
    pub is_assignable_to_role: Option<bool>,
    pub classification: Option<String>,
    pub preferred_data_location: Option<String>,
    pub preferred_language: Option<String>,
    pub theme: Option<String>,
    pub created_date_time: String,
    pub renewed_date_time: String,
    pub deleted_date_time: Option<String>,
    pub created_by_app_id: Option<String>,
    pub security_identifier: String,
    pub mail: Option<String>,
    pub proxy_addresses: Vec<String>,
    /// Member object ids (groups and devices), in the order they joined.
    pub members: Vec<String>,
    /// When each member joined (Graph's timestamp form), so a profile assigned to the group reaches a device that
    /// joins late only after the assignment delay. Absent for members of groups stored before it existed.
    pub joined: BTreeMap<String, String>,
}

impl Group {
    pub fn is_dynamic(&self) -> bool {
        self.group_types.iter().any(|t| t == DYNAMIC_MEMBERSHIP)
    }

    pub fn is_unified(&self) -> bool {
        self.group_types.iter().any(|t| t == UNIFIED)
    }

    /// Dynamic and not paused: membership follows the rule.
    pub fn is_processing(&self) -> bool {
        self.is_dynamic() && self.membership_rule_processing_state.as_deref() != Some("Paused")
    }

    /// Replaces the member list, noting when new members joined; whether anything changed.
    pub fn set_members(&mut self, members: Vec<String>, timestamp: &str) -> bool {
        if members == self.members {
            return false;
        }
        self.joined.retain(|id, _| members.contains(id));
        for id in &members {
            if !self.members.contains(id) {
                self.joined.insert(id.clone(), timestamp.to_string());
            }
        }
        self.members = members;
        true
    }

    /// Adds members by hand at `timestamp`.
    fn add_members(&mut self, added: Vec<String>, timestamp: &str) {
        for id in &added {
            self.joined.insert(id.clone(), timestamp.to_string());
        }
        self.members.extend(added);
    }

    /// The group's Graph JSON for `version`.
    pub fn render(&self, version: ApiVersion) -> Rendered {
        let mut default = json!({
            "id": self.id,
            "deletedDateTime": self.deleted_date_time,
            "classification": self.classification,
            "createdDateTime": self.created_date_time,
            "creationOptions": [],
            "description": self.description,
            "displayName": self.display_name,
            "expirationDateTime": null,
            "groupTypes": self.group_types,
            "isAssignableToRole": self.is_assignable_to_role,
            "mail": self.mail,
            "mailEnabled": self.mail_enabled,
            "mailNickname": self.mail_nickname,
            "membershipRule": self.membership_rule,
            "membershipRuleProcessingState": self.membership_rule_processing_state,
            "onPremisesDomainName": null,
            "onPremisesLastSyncDateTime": null,
            "onPremisesNetBiosName": null,
            "onPremisesSamAccountName": null,
            "onPremisesSecurityIdentifier": null,
            "onPremisesSyncEnabled": null,
            "preferredDataLocation": self.preferred_data_location,
            "preferredLanguage": self.preferred_language,
            "proxyAddresses": self.proxy_addresses,
            "renewedDateTime": self.renewed_date_time,
            "resourceBehaviorOptions": [],
            "resourceProvisioningOptions": [],
            "securityEnabled": self.security_enabled,
            "securityIdentifier": self.security_identifier,
            "theme": self.theme,
            "uniqueName": null,
            "visibility": self.visibility,
            "onPremisesProvisioningErrors": [],
            "serviceProvisioningErrors": [],
        })
        .as_object()
        .cloned()
        .unwrap_or_default();
        let mut on_select = Map::new();
        if version == ApiVersion::Beta {
            default.insert("createdByAppId".into(), json!(self.created_by_app_id));
            default.insert("organizationId".into(), Value::Null);
            default.insert("infoCatalogs".into(), json!([]));
            default.insert("isManagementRestricted".into(), Value::Null);
            default.insert(
                "writebackConfiguration".into(),
                json!({"isEnabled": null, "onPremisesGroupType": null}),
            );
            on_select.insert(
                "membershipRuleProcessingStatus".into(),
                serde_json::to_value(&self.membership_rule_processing_status)
                    .unwrap_or(Value::Null),
            );
        }
        for name in [
            "allowExternalSenders",
            "autoSubscribeNewMembers",
            "hideFromAddressLists",
            "hideFromOutlookClients",
        ] {
            on_select.insert(name.into(), Value::Null);
        }
        on_select.insert("assignedLicenses".into(), json!([]));
        on_select.insert("assignedLabels".into(), json!([]));
        Rendered { default, on_select }
    }
}

/// What a write needs besides the body: the request's time and the delays that run from it, the caller and the id
/// source.
pub struct WriteContext<'a> {
    pub now: Now,
    pub pacing: Pacing,
    /// `now` in Graph's timestamp form.
    pub timestamp: String,
    pub app_id: &'a str,
    pub random: &'a Random,
}

/// The writable properties of one group body, type-checked.
struct GroupInput {
    display_name: BodyProperty<String>,
    description: BodyProperty<String>,
    mail_nickname: BodyProperty<String>,
    mail_enabled: BodyProperty<bool>,
    security_enabled: BodyProperty<bool>,
    group_types: BodyProperty<Vec<String>>,
    membership_rule: BodyProperty<String>,
    processing_state: BodyProperty<String>,
    visibility: BodyProperty<String>,
    is_assignable_to_role: BodyProperty<bool>,
    classification: BodyProperty<String>,
    preferred_data_location: BodyProperty<String>,
    preferred_language: BodyProperty<String>,
    theme: BodyProperty<String>,
    member_binds: Vec<String>,
    owner_binds: Vec<String>,
}

impl GroupInput {
    fn read(map: &Map<String, Value>) -> Result<Self, ErrorReply> {
        let body = Body::new(map, RESOURCE);
        let known: Vec<&str> = WRITABLE.iter().chain(READ_ONLY).copied().collect();
        body.reject_unknown(&known)?;
        for key in map.keys().filter(|key| key.contains('@')) {
            let allowed = matches!(
                key.as_str(),
                "members@odata.bind" | "owners@odata.bind" | "@odata.type" | "@odata.context"
            );
            if !allowed {
                return Err(ErrorReply::bad_request(format!(
                    "Invalid property '{key}'."
                )));
            }
        }
        if let Some(odata_type) = body.raw("@odata.type")
            && !matches!(
                odata_type.as_str(),
                Some("#microsoft.graph.group") | Some("microsoft.graph.group")
            )
        {
            return Err(ErrorReply::bad_request(format!(
                "A type named '{}' could not be resolved by the model. When a model is available, each type name must resolve to a valid type.",
                odata_type.as_str().unwrap_or_default()
            )));
        }
        let input = GroupInput {
            display_name: body.string("displayName")?,
            description: body.string("description")?,
            mail_nickname: body.string("mailNickname")?,
            mail_enabled: body.bool("mailEnabled")?,
            security_enabled: body.bool("securityEnabled")?,
            group_types: body.strings("groupTypes")?,
            membership_rule: body.string("membershipRule")?,
            processing_state: body.string("membershipRuleProcessingState")?,
            visibility: body.string("visibility")?,
            is_assignable_to_role: body.bool("isAssignableToRole")?,
            classification: body.string("classification")?,
            preferred_data_location: body.string("preferredDataLocation")?,
            preferred_language: body.string("preferredLanguage")?,
            theme: body.string("theme")?,
            member_binds: body.binds("members")?,
            owner_binds: body.binds("owners")?,
        };
        if input.member_binds.len() + input.owner_binds.len() > MAX_BINDS_PER_REQUEST {
            return Err(ErrorReply::bad_request(format!(
                "The request contains {} object references to add; at most {MAX_BINDS_PER_REQUEST} members@odata.bind and owners@odata.bind references are allowed in one request.",
                input.member_binds.len() + input.owner_binds.len()
            )));
        }
        Ok(input)
    }

    /// Sets every property the body carries on `group`; `null` clears optional ones.
    fn apply(self, group: &mut Group) -> Result<(), ErrorReply> {
        if let Some(value) = self.display_name.into_update() {
            group.display_name = value.ok_or_else(|| invalid_value("displayName", RESOURCE))?;
        }
        if let Some(value) = self.mail_nickname.into_update() {
            group.mail_nickname = value.ok_or_else(|| invalid_value("mailNickname", RESOURCE))?;
        }
        if let Some(value) = self.mail_enabled.into_update() {
            group.mail_enabled = value.ok_or_else(|| invalid_value("mailEnabled", RESOURCE))?;
        }
        if let Some(value) = self.security_enabled.into_update() {
            group.security_enabled =
                value.ok_or_else(|| invalid_value("securityEnabled", RESOURCE))?;
        }
        if let Some(value) = self.group_types.into_update() {
            group.group_types = value.unwrap_or_default();
        }
        if let Some(value) = self.membership_rule.into_update() {
            group.membership_rule = value;
        }
        if let Some(value) = self.processing_state.into_update() {
            group.membership_rule_processing_state = value;
        }
        if let Some(value) = self.is_assignable_to_role.into_update() {
            group.is_assignable_to_role = value;
        }
        for (field, target) in [
            (self.description, &mut group.description),
            (self.visibility, &mut group.visibility),
            (self.classification, &mut group.classification),
            (
                self.preferred_data_location,
                &mut group.preferred_data_location,
            ),
            (self.preferred_language, &mut group.preferred_language),
            (self.theme, &mut group.theme),
        ] {
            if let Some(value) = field.into_update() {
                *target = value;
            }
        }
        Ok(())
    }
}

/// Graph's rules on a group as a whole, checked after a create or update body is applied.
fn validate(group: &mut Group) -> Result<(), ErrorReply> {
    let name_length = group.display_name.chars().count();
    if name_length == 0 || name_length > MAX_DISPLAY_NAME_LENGTH {
        return Err(invalid_value("displayName", RESOURCE));
    }
    if mail_nickname::validate(&group.mail_nickname).is_err() {
        return Err(invalid_value("mailNickname", RESOURCE));
    }
    if let Some(unknown) = group
        .group_types
        .iter()
        .find(|t| *t != UNIFIED && *t != DYNAMIC_MEMBERSHIP)
    {
        return Err(ErrorReply::bad_request(format!(
            "Invalid value specified for property 'groupTypes' of resource 'Group'. '{unknown}' is not a group type; use 'Unified' or 'DynamicMembership'."
        )));
    }
    group.group_types.dedup();
    if group.mail_enabled && !group.is_unified() {
        return Err(ErrorReply::bad_request(
            "Mail-enabled security groups and distribution groups can't be created or managed through Microsoft Graph; only Microsoft 365 groups (groupTypes 'Unified') are mail-enabled.",
        ));
    }
    if let Some(visibility) = &group.visibility
        && !matches!(
            visibility.as_str(),
            "Private" | "Public" | "HiddenMembership"
        )
    {
        return Err(invalid_value("visibility", RESOURCE));
    }
    validate_dynamic(group)?;
    if group.is_assignable_to_role == Some(true) {
        if !group.security_enabled {
            return Err(ErrorReply::bad_request(
                "A group with isAssignableToRole set to true must have securityEnabled set to true.",
            ));
        }
        if group.is_dynamic() {
            return Err(ErrorReply::bad_request(
                "A group with isAssignableToRole set to true can't have dynamic membership.",
            ));
        }
        match group.visibility.as_deref() {
            None | Some("Private") => group.visibility = Some("Private".to_string()),
            Some(_) => {
                return Err(ErrorReply::bad_request(
                    "A group with isAssignableToRole set to true must have visibility 'Private'.",
                ));
            }
        }
    }
    Ok(())
}

/// DynamicMembership needs a valid rule, a rule needs DynamicMembership, and the processing state is On or Paused.
fn validate_dynamic(group: &mut Group) -> Result<(), ErrorReply> {
    if !group.is_dynamic() {
        if group.membership_rule.is_some() {
            return Err(ErrorReply::bad_request(
                "The membershipRule property can only be set on a group whose groupTypes include 'DynamicMembership'.",
            ));
        }
        if group.membership_rule_processing_state.is_some() {
            return Err(ErrorReply::bad_request(
                "The membershipRuleProcessingState property can only be set on a group whose groupTypes include 'DynamicMembership'.",
            ));
        }
        group.membership_rule_processing_status = None;
        return Ok(());
    }
    let rule_text = group
        .membership_rule
        .as_deref()
        .filter(|rule| !rule.trim().is_empty())
        .ok_or_else(|| {
            ErrorReply::bad_request(
                "A group whose groupTypes include 'DynamicMembership' must have a membershipRule.",
            )
        })?;
    let length = rule_text.chars().count();
    if length > membership::MAX_RULE_LENGTH {
        return Err(ErrorReply::bad_request(format!(
            "Dynamic membership rule validation error: the rule is {length} characters long; the limit is {}.",
            membership::MAX_RULE_LENGTH
        )));
    }
    let rule = membership::parse(rule_text).map_err(|error| {
        ErrorReply::bad_request(format!(
            "Dynamic membership rule validation error: {error}."
        ))
    })?;
    if group.is_unified() && rule.subject_kind() == membership::SubjectKind::Device {
        return Err(ErrorReply::bad_request(
            "Dynamic membership rule validation error: Microsoft 365 groups can only contain users; device rules need a security group.",
        ));
    }
    match group.membership_rule_processing_state.as_deref() {
        None => group.membership_rule_processing_state = Some("On".to_string()),
        Some("On") | Some("Paused") => {}
        Some(_) => return Err(invalid_value("membershipRuleProcessingState", RESOURCE)),
    }
    Ok(())
}

/// Entra's security identifier for a cloud object: `S-1-12-1-` and the GUID's bytes as four little-endian numbers.
fn security_identifier(id: &str) -> String {
    let bytes = uuid::Uuid::parse_str(id)
        .map(|u| u.to_bytes_le())
        .unwrap_or_default();
    let parts: Vec<String> = bytes
        .chunks(4)
        .map(|chunk| u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]).to_string())
        .collect();
    format!("S-1-12-1-{}", parts.join("-"))
}

impl Tenant {
    /// `POST /groups`.
    pub fn create_group(
        &mut self,
        body: &Map<String, Value>,
        ctx: &WriteContext,
    ) -> Result<Group, ErrorReply> {
        let input = GroupInput::read(body)?;
        for (name, missing) in [
            (
                "displayName",
                matches!(
                    input.display_name,
                    BodyProperty::Absent | BodyProperty::Null
                ),
            ),
            (
                "mailEnabled",
                matches!(
                    input.mail_enabled,
                    BodyProperty::Absent | BodyProperty::Null
                ),
            ),
            (
                "mailNickname",
                matches!(
                    input.mail_nickname,
                    BodyProperty::Absent | BodyProperty::Null
                ),
            ),
            (
                "securityEnabled",
                matches!(
                    input.security_enabled,
                    BodyProperty::Absent | BodyProperty::Null
                ),
            ),
        ] {
            if missing {
                return Err(value_required(name, RESOURCE));
            }
        }
        let id = ctx.random.guid();
        let mut group = Group {
            security_identifier: security_identifier(&id),
            id,
            created_date_time: ctx.timestamp.clone(),
            renewed_date_time: ctx.timestamp.clone(),
            created_by_app_id: Some(ctx.app_id.to_string()),
            ..Group::default()
        };
        let member_binds = input.member_binds.clone();
        let owner_binds = input.owner_binds.clone();
        input.apply(&mut group)?;
        validate(&mut group)?;
        self.check_unique_nickname(&group)?;
        if group.is_unified() {
            group.mail = Some(format!("{}@emulator.onmicrosoft.com", group.mail_nickname));
            group.proxy_addresses = vec![format!(
                "SMTP:{}@emulator.onmicrosoft.com",
                group.mail_nickname
            )];
        }
        self.check_owner_binds(&owner_binds, ctx.now)?;
        let members = self.checked_new_members(&group, &member_binds, ctx.now)?;
        group.add_members(members, &ctx.timestamp);
        self.replication.created(&group.id, ctx.now, ctx.pacing.lag);
        self.groups.insert(group.id.clone(), group.clone());
        self.membership_changed(
            Cause::Group(&group.id),
            ctx.now,
            ctx.pacing.membership_delay,
        );
        Ok(self.groups.get(&group.id).cloned().unwrap_or(group))
    }

    /// `PATCH /groups/{id}`.
    pub fn update_group(
        &mut self,
        id: &str,
        body: &Map<String, Value>,
        ctx: &WriteContext,
    ) -> Result<(), ErrorReply> {
        let previous = self
            .groups
            .get(id)
            .cloned()
            .ok_or_else(|| resource_not_found(id))?;
        let input = GroupInput::read(body)?;
        if let BodyProperty::Value(wanted) = &input.is_assignable_to_role
            && previous.is_assignable_to_role.unwrap_or(false) != *wanted
        {
            return Err(ErrorReply::bad_request(
                "Property 'isAssignableToRole' can only be set when the group is created.",
            ));
        }
        let member_binds = input.member_binds.clone();
        let owner_binds = input.owner_binds.clone();
        let mut group = previous.clone();
        input.apply(&mut group)?;
        if group.is_unified() != previous.is_unified() {
            return Err(ErrorReply::bad_request(
                "The 'Unified' group type can't be added or removed after creation.",
            ));
        }
        if group.is_dynamic()
            && !previous.is_dynamic()
            && group.membership_rule_processing_state.is_none()
        {
            group.membership_rule_processing_state = Some("On".to_string());
        }
        if !group.is_dynamic() && previous.is_dynamic() {
            // Switching to assigned membership: the rule fields go with it unless the body set them again (which
            // validation then refuses); the members the rule selected stay, as in Entra.
            if body.get("membershipRule").is_none() {
                group.membership_rule = None;
            }
            if body.get("membershipRuleProcessingState").is_none() {
                group.membership_rule_processing_state = None;
            }
        }
        validate(&mut group)?;
        if group.mail_nickname != previous.mail_nickname {
            self.check_unique_nickname(&group)?;
        }
        self.check_owner_binds(&owner_binds, ctx.now)?;
        let added = self.checked_new_members(&group, &member_binds, ctx.now)?;
        group.add_members(added, &ctx.timestamp);
        // Entra evaluates again when the rule changes or processing resumes; other edits leave membership alone.
        let evaluate = group.is_processing()
            && (!previous.is_processing() || group.membership_rule != previous.membership_rule);
        if group != previous {
            self.replication.updated(
                id,
                Snapshot::Group(Box::new(previous)),
                ctx.now,
                ctx.pacing.lag,
            );
        }
        self.groups.insert(id.to_string(), group);
        let cause = if evaluate {
            Cause::Group(id)
        } else {
            Cause::Other
        };
        self.membership_changed(cause, ctx.now, ctx.pacing.membership_delay);
        Ok(())
    }

    /// `DELETE /groups/{id}`: security and Microsoft 365 groups go to `deletedItems` for 30 days.
    pub fn delete_group(&mut self, id: &str, ctx: &WriteContext) -> Result<(), ErrorReply> {
        let mut group = self
            .groups
            .remove(id)
            .ok_or_else(|| resource_not_found(id))?;
        self.replication.deleted(
            id,
            Snapshot::Group(Box::new(group.clone())),
            ctx.now,
            ctx.pacing.lag,
        );
        self.forget_member(id);
        group.deleted_date_time = Some(ctx.timestamp.clone());
        self.deleted_groups.insert(id.to_string(), group);
        self.membership_changed(Cause::Other, ctx.now, ctx.pacing.membership_delay);
        Ok(())
    }

    /// `POST /directory/deletedItems/{id}/restore`.
    pub fn restore_group(&mut self, id: &str, ctx: &WriteContext) -> Result<Group, ErrorReply> {
        let mut group = self
            .deleted_groups
            .remove(id)
            .ok_or_else(|| resource_not_found(id))?;
        if let Err(error) = self.check_unique_nickname(&group) {
            self.deleted_groups.insert(id.to_string(), group);
            return Err(error);
        }
        group.deleted_date_time = None;
        group
            .members
            .retain(|member| self.member_kind(member).is_some());
        self.replication.forget(id);
        self.groups.insert(id.to_string(), group);
        self.membership_changed(Cause::Group(id), ctx.now, ctx.pacing.membership_delay);
        Ok(self.groups[id].clone())
    }

    /// `DELETE /directory/deletedItems/{id}`: gone for good.
    pub fn purge_group(&mut self, id: &str) -> Result<(), ErrorReply> {
        self.deleted_groups
            .remove(id)
            .map(|_| ())
            .ok_or_else(|| resource_not_found(id))
    }

    /// `POST /groups/{id}/members/$ref`.
    pub fn add_member(
        &mut self,
        group_id: &str,
        member_id: &str,
        ctx: &WriteContext,
    ) -> Result<(), ErrorReply> {
        let group = self
            .groups
            .get(group_id)
            .cloned()
            .ok_or_else(|| resource_not_found(group_id))?;
        let added = self.checked_new_members(&group, &[member_id.to_string()], ctx.now)?;
        let entry = self.groups.get_mut(group_id).expect("checked above");
        entry.add_members(added, &ctx.timestamp);
        self.membership_changed(Cause::Other, ctx.now, ctx.pacing.membership_delay);
        Ok(())
    }

    /// `DELETE /groups/{id}/members/{memberId}/$ref`.
    pub fn remove_member(
        &mut self,
        group_id: &str,
        member_id: &str,
        ctx: &WriteContext,
    ) -> Result<(), ErrorReply> {
        let group = self
            .groups
            .get_mut(group_id)
            .ok_or_else(|| resource_not_found(group_id))?;
        if group.is_dynamic() {
            return Err(ErrorReply::bad_request(DYNAMIC_MEMBERS_MESSAGE));
        }
        let before = group.members.len();
        group.members.retain(|member| member != member_id);
        group.joined.remove(member_id);
        if group.members.len() == before {
            return Err(ErrorReply::new(
                axum::http::StatusCode::NOT_FOUND,
                "Request_ResourceNotFound",
                MISSING_MEMBER_MESSAGE,
            ));
        }
        self.membership_changed(Cause::Other, ctx.now, ctx.pacing.membership_delay);
        Ok(())
    }

    /// Checks member references about to be added to `group` and returns them: not on a dynamic group, each an
    /// existing (and replicated) group or device, not the group itself, not already a member, not repeated.
    fn checked_new_members(
        &mut self,
        group: &Group,
        ids: &[String],
        now: Now,
    ) -> Result<Vec<String>, ErrorReply> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        if group.is_dynamic() {
            return Err(ErrorReply::bad_request(DYNAMIC_MEMBERS_MESSAGE));
        }
        let mut added: Vec<String> = Vec::new();
        for id in ids {
            if id == &group.id {
                return Err(ErrorReply::bad_request(
                    "A group can't be added as a member of itself.",
                ));
            }
            self.visible_member(id, now)?;
            if group.members.contains(id) || added.contains(id) {
                return Err(ErrorReply::bad_request(DUPLICATE_MEMBER_MESSAGE));
            }
            added.push(id.clone());
        }
        Ok(added)
    }

    /// Owners are users or service principals, which the emulator does not model: any owner reference is unknown.
    fn check_owner_binds(&mut self, ids: &[String], now: Now) -> Result<(), ErrorReply> {
        match ids.first() {
            None => Ok(()),
            Some(id) => match self.visible_member(id, now) {
                Ok(MemberKind::Group | MemberKind::Device) => Err(ErrorReply::bad_request(
                    "Only users and service principals can be owners of a group.",
                )),
                Err(error) => Err(error),
            },
        }
    }

    /// Microsoft 365 groups need a tenant-unique mailNickname (security groups may share one).
    fn check_unique_nickname(&self, group: &Group) -> Result<(), ErrorReply> {
        if !group.is_unified() {
            return Ok(());
        }
        let taken = self.groups.values().any(|other| {
            other.id != group.id
                && other.is_unified()
                && other
                    .mail_nickname
                    .eq_ignore_ascii_case(&group.mail_nickname)
        });
        if taken {
            return Err(ErrorReply::bad_request(
                "Another object with the same value for property mailNickname already exists.",
            ));
        }
        Ok(())
    }

    /// Drops soft-deleted groups older than 30 days, as Entra purges them.
    pub fn expire_deleted_groups(&mut self, now: Now) {
        let now = now.date_time();
        let retention = time::Duration::days(30);
        self.deleted_groups.retain(|_, group| {
            group
                .deleted_date_time
                .as_deref()
                .and_then(crate::emulator::clock::parse_timestamp)
                .is_none_or(|deleted| now - deleted < retention)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_identifiers_follow_the_cloud_sid_form() {
        let sid = security_identifier("00000001-0000-0000-0000-000000000000");
        assert_eq!(sid, "S-1-12-1-1-0-0-0");
    }
}
