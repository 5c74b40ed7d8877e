//! Entra ID security groups (Graph v1.0 `/groups`): the typed calls `autopilot_device_group` needs.
//!
//! Member writes are made idempotent here, because Terraform states what membership should be: adding a member
//! that is already there, or removing one that is not, is success. That also makes a retried request whose first
//! attempt did land harmless.

use std::collections::HashSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::client::{Api, GraphClient, Pages, path_segment};
use super::consistency::wait_until;
use super::deadline::Deadline;
use super::error::GraphError;
use super::odata::odata_string;

/// The `groupTypes` value that makes a group's membership rule-based.
pub const DYNAMIC_MEMBERSHIP: &str = "DynamicMembership";

/// Graph accepts at most this many `members@odata.bind` references in one request.
pub const MAX_MEMBERS_PER_REQUEST: usize = 20;

/// How long a new group's member writes tolerate 404s from replication before the error is final.
const NEW_GROUP_VISIBILITY_WINDOW: Duration = Duration::from_secs(120);

/// A group as Graph returns it (the properties the provider manages).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub id: String,
    pub display_name: String,
    pub description: Option<String>,
    /// Graph requires it on create, but groups made elsewhere can come back with `null`; read as "".
    #[serde(default, deserialize_with = "null_as_empty")]
    pub mail_nickname: String,
    pub mail_enabled: bool,
    pub security_enabled: bool,
    #[serde(default)]
    pub group_types: Vec<String>,
    pub membership_rule: Option<String>,
    pub membership_rule_processing_state: Option<String>,
}

impl Group {
    /// Whether membership comes from `membership_rule` rather than from assigned members.
    pub fn is_dynamic(&self) -> bool {
        self.group_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case(DYNAMIC_MEMBERSHIP))
    }
}

/// A security group to create. It is always a non-mail security group (`mailEnabled=false`,
/// `securityEnabled=true`), which is what Intune assignments target.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewGroup {
    pub display_name: String,
    pub description: Option<String>,
    pub mail_nickname: String,
    /// `["DynamicMembership"]` for a dynamic group, empty for an assigned one.
    pub group_types: Vec<String>,
    pub membership_rule: Option<String>,
    pub membership_rule_processing_state: Option<String>,
    /// Directory object ids of initial members (assigned groups); any number, sent 20 per request.
    pub member_ids: Vec<String>,
}

/// A partial update: `None` leaves a property alone; for clearable properties `Some(None)` sends `null`.
#[derive(Serialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GroupPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail_nickname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_types: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub membership_rule: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub membership_rule_processing_state: Option<String>,
}

impl GroupPatch {
    /// Whether the patch would change nothing (no request is sent for it).
    pub fn is_empty(&self) -> bool {
        *self == GroupPatch::default()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreateGroupBody<'a> {
    display_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    mail_enabled: bool,
    mail_nickname: &'a str,
    security_enabled: bool,
    group_types: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    membership_rule: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    membership_rule_processing_state: Option<&'a str>,
    #[serde(rename = "members@odata.bind", skip_serializing_if = "Vec::is_empty")]
    members: Vec<String>,
}

#[derive(Serialize)]
struct MembersBind {
    #[serde(rename = "members@odata.bind")]
    members: Vec<String>,
}

#[derive(Serialize)]
struct Reference {
    #[serde(rename = "@odata.id")]
    id: String,
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

impl GraphClient {
    /// Creates a security group with its first members, then adds the members beyond the first 20.
    /// If a later step fails the group exists: the error is [`GraphError::PartialCreate`] with its id.
    pub async fn create_group(
        &self,
        group: &NewGroup,
        deadline: Deadline,
    ) -> Result<Group, GraphError> {
        let member_ids = unique(&group.member_ids);
        let (first, rest) = member_ids.split_at(member_ids.len().min(MAX_MEMBERS_PER_REQUEST));
        let body = CreateGroupBody {
            display_name: &group.display_name,
            description: group.description.as_deref(),
            mail_enabled: false,
            mail_nickname: &group.mail_nickname,
            security_enabled: true,
            group_types: &group.group_types,
            membership_rule: group.membership_rule.as_deref(),
            membership_rule_processing_state: group.membership_rule_processing_state.as_deref(),
            members: first
                .iter()
                .map(|id| self.directory_object_url(id))
                .collect(),
        };
        let created: Group = self.post(Api::V1, "/groups", &body, deadline).await?;
        if let Err(error) = self
            .bind_members_to_new_group(&created.id, rest, deadline)
            .await
        {
            return Err(GraphError::PartialCreate {
                id: created.id,
                error: Box::new(error),
            });
        }
        Ok(created)
    }

    /// Adds members to a group that may not be readable yet, 20 per PATCH; 404s while it replicates are waited out.
    async fn bind_members_to_new_group(
        &self,
        id: &str,
        member_ids: &[&str],
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        let path = group_path(id);
        for chunk in member_ids.chunks(MAX_MEMBERS_PER_REQUEST) {
            let body = MembersBind {
                members: chunk.iter().map(|m| self.directory_object_url(m)).collect(),
            };
            let window = deadline.min_after(NEW_GROUP_VISIBILITY_WINDOW);
            let what = format!("new group {id} to accept members");
            wait_until(window, &what, || async {
                self.patch(Api::V1, &path, &body, deadline).await.map(Some)
            })
            .await?;
        }
        Ok(())
    }

    /// The groups whose display name is exactly `name` (Graph compares display names without regard to case,
    /// so the exact match is made here). Display names are not unique: there may be several.
    pub async fn find_groups_by_display_name(
        &self,
        name: &str,
        deadline: Deadline,
    ) -> Result<Vec<Group>, GraphError> {
        let filter = format!("displayName eq {}", odata_string(name));
        let path = format!("/groups?$filter={}", path_segment(&filter));
        let candidates: Vec<Group> = self.list_all(Api::V1, &path, deadline).await?;
        Ok(candidates
            .into_iter()
            .filter(|g| g.display_name == name)
            .collect())
    }

    /// The tenant's groups page by page, those whose display name starts with `prefix` when one is given (Graph
    /// filters on `startswith(displayName,...)` itself, without regard to case; the default page is 100).
    pub fn group_pages(
        &self,
        prefix: Option<&str>,
        deadline: Deadline,
    ) -> Result<Pages<'_, Group>, GraphError> {
        let path = match prefix {
            Some(prefix) => {
                let filter = format!("startswith(displayName,{})", odata_string(prefix));
                format!("/groups?$filter={}", path_segment(&filter))
            }
            None => "/groups".to_string(),
        };
        self.pages(Api::V1, &path, deadline)
    }

    /// Reads a group; `None` when it does not exist (or no longer does).
    pub async fn get_group(
        &self,
        id: &str,
        deadline: Deadline,
    ) -> Result<Option<Group>, GraphError> {
        self.get_opt(Api::V1, &group_path(id), deadline).await
    }

    /// Applies a partial update; an empty patch sends nothing.
    pub async fn update_group(
        &self,
        id: &str,
        patch: &GroupPatch,
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        if patch.is_empty() {
            return Ok(());
        }
        self.patch(Api::V1, &group_path(id), patch, deadline).await
    }

    /// Deletes a group (Graph keeps it in `deletedItems` for 30 days). A group that is already gone is success.
    pub async fn delete_group(&self, id: &str, deadline: Deadline) -> Result<(), GraphError> {
        match self.delete(Api::V1, &group_path(id), deadline).await {
            Err(e) if e.is_not_found() => {
                log::debug!("group {id} was already gone when deleting it");
                Ok(())
            }
            other => other,
        }
    }

    /// The ids of the group's direct members (devices, users, groups), all pages.
    pub async fn list_group_member_ids(
        &self,
        id: &str,
        deadline: Deadline,
    ) -> Result<Vec<String>, GraphError> {
        let path = format!("{}/members?$select=id", group_path(id));
        let members: Vec<IdOnly> = self.list_all(Api::V1, &path, deadline).await?;
        Ok(members.into_iter().map(|m| m.id).collect())
    }

    /// Adds one member; one that is already a member is success.
    pub async fn add_group_member(
        &self,
        group_id: &str,
        member_id: &str,
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        let path = format!("{}/members/$ref", group_path(group_id));
        let body = Reference {
            id: self.directory_object_url(member_id),
        };
        match self.post_no_content(Api::V1, &path, &body, deadline).await {
            Err(e) if mentions(&e, "already exist") => {
                log::debug!("{member_id} was already a member of group {group_id}");
                Ok(())
            }
            other => other,
        }
    }

    /// Removes one member; one that is not a member is success (a 404 for a missing group is still an error).
    pub async fn remove_group_member(
        &self,
        group_id: &str,
        member_id: &str,
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        let path = format!(
            "{}/members/{}/$ref",
            group_path(group_id),
            path_segment(member_id)
        );
        match self.delete(Api::V1, &path, deadline).await {
            Err(e) if mentions(&e, "references do not exist") => {
                log::debug!("{member_id} was not a member of group {group_id}");
                Ok(())
            }
            other => other,
        }
    }
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
}

fn group_path(id: &str) -> String {
    format!("/groups/{}", path_segment(id))
}

/// Graph names member conflicts only in the message ("One or more added object references already exist ...").
fn mentions(error: &GraphError, text: &str) -> bool {
    matches!(error, GraphError::Api { status: 400 | 404, message, .. } if message.contains(text))
}

/// The ids without repeats, first occurrence first (Graph refuses a bind list with duplicates).
fn unique(ids: &[String]) -> Vec<&str> {
    let mut seen = HashSet::new();
    ids.iter()
        .map(String::as_str)
        .filter(|id| seen.insert(*id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::test_server::{Recorded, Reply, TestServer};
    use axum::http::Method;
    use serde_json::{Value, json};

    fn soon() -> Deadline {
        Deadline::after(Duration::from_secs(30))
    }

    fn group_json(id: &str) -> Value {
        json!({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#groups/$entity", "id": id,
               "displayName": "AP-Devices", "description": null, "mailNickname": "AP-Devices",
               "mailEnabled": false, "securityEnabled": true, "groupTypes": ["DynamicMembership"],
               "membershipRule": "(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))",
               "membershipRuleProcessingState": "On", "visibility": "Private"})
    }

    fn graph_writes(server: &TestServer) -> Vec<Recorded> {
        server
            .graph_requests()
            .into_iter()
            .filter(|r| r.method != Method::GET)
            .collect()
    }

    fn not_member(message: &str) -> Reply {
        Reply::error(400, "Request_BadRequest", message)
    }

    #[tokio::test]
    async fn a_dynamic_group_is_created_as_a_non_mail_security_group() {
        let server = TestServer::with_tokens(|_, _| Reply::json(201, group_json("g1"))).await;
        let new = NewGroup {
            display_name: "AP-Devices".into(),
            mail_nickname: "AP-Devices".into(),
            group_types: vec![DYNAMIC_MEMBERSHIP.into()],
            membership_rule: Some(
                "(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))".into(),
            ),
            membership_rule_processing_state: Some("On".into()),
            ..NewGroup::default()
        };
        let group = server.client().create_group(&new, soon()).await.unwrap();

        assert_eq!(group.id, "g1");
        assert!(group.is_dynamic());
        let post = &server.graph_requests()[0];
        assert_eq!(
            (post.method.clone(), post.path.as_str()),
            (Method::POST, "/v1.0/groups")
        );
        assert_eq!(
            post.json(),
            json!({"displayName": "AP-Devices", "mailEnabled": false, "mailNickname": "AP-Devices",
                   "securityEnabled": true, "groupTypes": ["DynamicMembership"],
                   "membershipRule": "(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))",
                   "membershipRuleProcessingState": "On"})
        );
    }

    #[tokio::test]
    async fn members_beyond_twenty_are_bound_after_the_create_twenty_at_a_time() {
        let server = TestServer::with_tokens(|r, _| match r.method {
            Method::POST => Reply::json(201, group_json("g1")),
            _ => Reply::empty(204),
        })
        .await;
        let mut member_ids: Vec<String> = (0..45).map(|i| format!("d{i}")).collect();
        member_ids.push("d3".into());
        let new = NewGroup {
            display_name: "A".into(),
            mail_nickname: "A".into(),
            member_ids,
            ..NewGroup::default()
        };
        server.client().create_group(&new, soon()).await.unwrap();

        let writes = graph_writes(&server);
        let bound: Vec<usize> = writes
            .iter()
            .map(|w| w.json()["members@odata.bind"].as_array().unwrap().len())
            .collect();
        assert_eq!(bound, [20, 20, 5], "duplicates dropped, 20 per request");
        assert_eq!(writes[1].method, Method::PATCH);
        assert_eq!(writes[1].path, "/v1.0/groups/g1");
        let base = server.base_url();
        assert_eq!(
            writes[0].json()["members@odata.bind"][0],
            json!(format!("{base}/v1.0/directoryObjects/d0"))
        );
        assert_eq!(
            writes[2].json()["members@odata.bind"][4],
            json!(format!("{base}/v1.0/directoryObjects/d44"))
        );
        assert_eq!(writes[0].json()["groupTypes"], json!([]));
    }

    #[tokio::test]
    async fn binding_members_waits_out_a_new_group_that_is_not_replicated_yet() {
        let server = TestServer::with_tokens(|r, earlier| match r.method {
            Method::POST => Reply::json(201, group_json("g1")),
            _ if earlier.iter().filter(|e| e.method == Method::PATCH).count() < 2 => Reply::error(
                404,
                "Request_ResourceNotFound",
                "Resource 'g1' does not exist",
            ),
            _ => Reply::empty(204),
        })
        .await;
        let new = NewGroup {
            display_name: "A".into(),
            mail_nickname: "A".into(),
            member_ids: (0..21).map(|i| format!("d{i}")).collect(),
            ..NewGroup::default()
        };
        server.client().create_group(&new, soon()).await.unwrap();
        assert_eq!(graph_writes(&server).len(), 1 + 3);
    }

    #[tokio::test]
    async fn a_failure_after_the_create_reports_the_created_group_id() {
        let server = TestServer::with_tokens(|r, _| match r.method {
            Method::POST => Reply::json(201, group_json("g1")),
            _ => Reply::error(
                403,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            ),
        })
        .await;
        let new = NewGroup {
            display_name: "A".into(),
            mail_nickname: "A".into(),
            member_ids: (0..25).map(|i| format!("d{i}")).collect(),
            ..NewGroup::default()
        };
        let err = server
            .client()
            .create_group(&new, soon())
            .await
            .unwrap_err();
        assert_eq!(err.created_id(), Some("g1"));
        assert_eq!(err.code(), Some("Authorization_RequestDenied"));
    }

    #[tokio::test]
    async fn a_missing_group_reads_as_none() {
        let server = TestServer::with_tokens(|r, _| {
            if r.path.ends_with("/g1") {
                Reply::json(200, group_json("g1"))
            } else {
                Reply::error(
                    404,
                    "Request_ResourceNotFound",
                    "Resource 'gone' does not exist",
                )
            }
        })
        .await;
        let client = server.client();
        let group = client.get_group("g1", soon()).await.unwrap().unwrap();
        assert_eq!(
            group.membership_rule_processing_state.as_deref(),
            Some("On")
        );
        assert_eq!(group.description, None);
        assert_eq!(client.get_group("gone", soon()).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_new_group_is_awaited_until_it_becomes_readable() {
        let server = TestServer::with_tokens(|_, earlier| {
            if earlier.iter().filter(|r| !r.is_token()).count() < 2 {
                Reply::error(
                    404,
                    "Request_ResourceNotFound",
                    "Resource 'g1' does not exist",
                )
            } else {
                Reply::json(200, group_json("g1"))
            }
        })
        .await;
        let client = server.client();
        let fast = crate::graph::PollBackoff {
            initial: Duration::from_millis(1),
            cap: Duration::from_millis(4),
        };
        let deadline = soon();
        let group = crate::graph::consistency::wait_until_with(deadline, "group g1", fast, || {
            client.get_group("g1", deadline)
        })
        .await
        .unwrap();
        assert_eq!(group.id, "g1");
        assert_eq!(server.graph_requests().len(), 3);
    }

    #[test]
    fn a_group_without_a_mail_nickname_still_reads() {
        let mut json = group_json("g1");
        json["mailNickname"] = Value::Null;
        let group: Group = serde_json::from_value(json).unwrap();
        assert_eq!(group.mail_nickname, "");
    }

    #[tokio::test]
    async fn a_patch_sends_only_what_changes_and_null_to_clear() {
        let server = TestServer::with_tokens(|_, _| Reply::empty(204)).await;
        let client = server.client();
        let patch = GroupPatch {
            display_name: Some("Renamed".into()),
            description: Some(None),
            membership_rule_processing_state: Some("Paused".into()),
            ..GroupPatch::default()
        };
        client.update_group("g1", &patch, soon()).await.unwrap();
        client
            .update_group("g1", &GroupPatch::default(), soon())
            .await
            .unwrap();

        let writes = graph_writes(&server);
        assert_eq!(writes.len(), 1, "an empty patch sends nothing");
        assert_eq!(
            writes[0].json(),
            json!({"displayName": "Renamed", "description": null, "membershipRuleProcessingState": "Paused"})
        );
    }

    #[tokio::test]
    async fn deleting_a_group_that_is_already_gone_succeeds() {
        let server = TestServer::with_tokens(|r, _| {
            if r.path.ends_with("/g1") {
                Reply::empty(204)
            } else {
                Reply::error(404, "Request_ResourceNotFound", "gone")
            }
        })
        .await;
        let client = server.client();
        client.delete_group("g1", soon()).await.unwrap();
        client.delete_group("g2", soon()).await.unwrap();
        assert!(
            graph_writes(&server)
                .iter()
                .all(|w| w.method == Method::DELETE)
        );
    }

    #[tokio::test]
    async fn member_ids_are_listed_across_pages() {
        let server = TestServer::with_tokens(|r, _| {
            let next = format!("http://{}/v1.0/groups/g1/members?$select=id&$skiptoken=2", r.header("host").unwrap());
            match r.query.as_deref() {
                Some("$select=id") => Reply::json(
                    200,
                    json!({"value": [{"@odata.type": "#microsoft.graph.device", "id": "d1"}], "@odata.nextLink": next}),
                ),
                _ => Reply::json(200, json!({"value": [{"@odata.type": "#microsoft.graph.device", "id": "d2"}]})),
            }
        })
        .await;
        let ids = server
            .client()
            .list_group_member_ids("g1", soon())
            .await
            .unwrap();
        assert_eq!(ids, ["d1", "d2"]);
        assert_eq!(server.graph_requests()[0].path, "/v1.0/groups/g1/members");
    }

    #[tokio::test]
    async fn adding_a_member_that_is_already_there_succeeds() {
        let server = TestServer::with_tokens(|_, _| {
            not_member("One or more added object references already exist for the following modified properties: 'members'.")
        })
        .await;
        server
            .client()
            .add_group_member("g1", "d1", soon())
            .await
            .unwrap();
        let post = &server.graph_requests()[0];
        assert_eq!(post.path, "/v1.0/groups/g1/members/$ref");
        assert_eq!(
            post.json(),
            json!({"@odata.id": format!("{}/v1.0/directoryObjects/d1", server.base_url())})
        );
    }

    #[tokio::test]
    async fn adding_a_member_to_a_dynamic_group_fails() {
        let server = TestServer::with_tokens(|_, _| {
            not_member("Insufficient privileges to complete the operation. Members of dynamic groups are managed by the rule.")
        })
        .await;
        let err = server
            .client()
            .add_group_member("g1", "d1", soon())
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(400));
    }

    #[tokio::test]
    async fn removing_a_non_member_succeeds_but_a_missing_group_does_not() {
        let server = TestServer::with_tokens(|r, _| {
            if r.path.starts_with("/v1.0/groups/g1/") {
                Reply::error(
                    404,
                    "Request_ResourceNotFound",
                    "One or more removed object references do not exist for the following modified properties: 'members'.",
                )
            } else {
                Reply::error(404, "Request_ResourceNotFound", "Resource 'g2' does not exist.")
            }
        })
        .await;
        let client = server.client();
        client
            .remove_group_member("g1", "d1", soon())
            .await
            .unwrap();
        assert_eq!(
            server.graph_requests()[0].path,
            "/v1.0/groups/g1/members/d1/$ref"
        );
        assert!(
            client
                .remove_group_member("g2", "d1", soon())
                .await
                .unwrap_err()
                .is_not_found()
        );
    }
}
