//! `policies/mobileDeviceManagementPolicies` (beta; graph-api-next.md 11): who Windows automatic enrollment into
//! an MDM (Intune) applies to, and the MDM's URLs. Graph accepts these calls only for a signed-in user (delegated
//! permissions), and has write rules the calls here follow: `appliesTo` goes in a PATCH of its own, `selected` is
//! never written (a group added to `includedGroups` makes the scope selected), and `all` removes the groups.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::client::{Api, GraphClient, path_segment};
use super::{Deadline, GraphError};

const PATH: &str = "/policies/mobileDeviceManagementPolicies";

/// One MDM policy as Graph serves it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MdmPolicy {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    /// `none`, `all` or `selected`.
    pub applies_to: String,
    #[serde(default)]
    pub compliance_url: Option<String>,
    #[serde(default)]
    pub discovery_url: Option<String>,
    #[serde(default)]
    pub terms_of_use_url: Option<String>,
    /// Graph refuses to update a policy that is not valid.
    #[serde(default = "valid")]
    pub is_valid: bool,
}

fn valid() -> bool {
    true
}

/// The URL properties of a PATCH; `None` leaves one out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MdmUrls {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compliance_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discovery_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terms_of_use_url: Option<String>,
}

impl MdmUrls {
    pub fn is_empty(&self) -> bool {
        self == &MdmUrls::default()
    }
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

fn policy_path(id: &str) -> String {
    format!("{PATH}/{}", path_segment(id))
}

impl GraphClient {
    /// The policy `id`; `None` when Graph has no policy with that id.
    pub async fn get_mdm_policy(
        &self,
        id: &str,
        deadline: Deadline,
    ) -> Result<Option<MdmPolicy>, GraphError> {
        self.get_opt(Api::Beta, &policy_path(id), deadline).await
    }

    /// The ids of the groups the policy applies to when its scope is `selected`.
    pub async fn list_mdm_policy_group_ids(
        &self,
        id: &str,
        deadline: Deadline,
    ) -> Result<Vec<String>, GraphError> {
        let path = format!("{}/includedGroups?$select=id", policy_path(id));
        let groups: Vec<IdOnly> = self.list_all(Api::Beta, &path, deadline).await?;
        Ok(groups.into_iter().map(|g| g.id).collect())
    }

    /// PATCHes the URLs (never together with `appliesTo`, which Graph refuses).
    pub async fn patch_mdm_policy_urls(
        &self,
        id: &str,
        urls: &MdmUrls,
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        self.patch(Api::Beta, &policy_path(id), urls, deadline)
            .await
    }

    /// PATCHes `appliesTo` alone: `all` (which removes the groups) or `none`. `selected` cannot be written.
    pub async fn patch_mdm_policy_applies_to(
        &self,
        id: &str,
        applies_to: &str,
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        debug_assert_ne!(applies_to, "selected", "Graph refuses to write selected");
        self.patch(
            Api::Beta,
            &policy_path(id),
            &json!({"appliesTo": applies_to}),
            deadline,
        )
        .await
    }

    /// Adds a group to the policy's scope (which makes the scope `selected`).
    pub async fn add_mdm_policy_group(
        &self,
        id: &str,
        group_id: &str,
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        let path = format!("{}/includedGroups/$ref", policy_path(id));
        let body = json!({
            "@odata.id": format!("{}/beta/groups/{}", self.graph_root(), path_segment(group_id))
        });
        self.post_no_content(Api::Beta, &path, &body, deadline)
            .await
    }

    /// Removes a group from the policy's scope.
    pub async fn remove_mdm_policy_group(
        &self,
        id: &str,
        group_id: &str,
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        let path = format!(
            "{}/includedGroups/{}/$ref",
            policy_path(id),
            path_segment(group_id)
        );
        self.delete(Api::Beta, &path, deadline).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_patch_carries_only_the_urls_it_changes() {
        let urls = MdmUrls {
            terms_of_use_url: Some("https://contoso.example/tou".into()),
            ..MdmUrls::default()
        };
        assert_eq!(
            serde_json::to_value(&urls).unwrap(),
            json!({"termsOfUseUrl": "https://contoso.example/tou"})
        );
        assert!(!urls.is_empty());
        assert!(MdmUrls::default().is_empty());
    }

    #[test]
    fn a_policy_with_null_urls_reads() {
        let policy: MdmPolicy = serde_json::from_value(json!({
            "id": "0000000a-0000-0000-c000-000000000000", "appliesTo": "none",
            "complianceUrl": null, "discoveryUrl": null, "termsOfUseUrl": null, "isValid": false}))
        .unwrap();
        assert_eq!(policy.compliance_url, None);
        assert!(!policy.is_valid);
    }
}
