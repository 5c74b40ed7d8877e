//! Intune assignment filters (Graph beta `/deviceManagement/assignmentFilters`) and role scope tags
//! (`/deviceManagement/roleScopeTags`), graph-api-next.md 8 and 9.
//!
//! A filter's scope tags are `roleScopeTags` (not `roleScopeTagIds` as on ESPs and profiles). `platform` is sent on
//! create only. A filter still used by assignments cannot be deleted, and stays locked for a while after the last
//! one goes: [`GraphClient::delete_assignment_filter`] retries that refusal until the deadline.

use serde::{Deserialize, Serialize};

use super::client::{Api, GraphClient, path_segment};
use super::consistency;
use super::deadline::Deadline;
use super::error::GraphError;

const FILTERS: &str = "/deviceManagement/assignmentFilters";
const SCOPE_TAGS: &str = "/deviceManagement/roleScopeTags";

/// What Intune says when a filter is still in use (the portal's text; the API's is assumed to match).
const IN_USE: &str = "associated with existing assignments";

/// An assignment filter as Graph returns it.
#[derive(Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentFilter {
    pub id: String,
    pub display_name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub platform: String,
    #[serde(default)]
    pub rule: String,
    #[serde(default)]
    pub role_scope_tags: Vec<String>,
}

/// The writable properties of a filter. `platform` only on create; `roleScopeTags` left out when `None`.
#[derive(Serialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct FilterBody {
    pub display_name: String,
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    pub rule: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_scope_tags: Option<Vec<String>>,
}

/// A role scope tag as Graph returns it.
#[derive(Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ScopeTag {
    pub id: String,
    pub display_name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub is_built_in: bool,
}

/// The writable properties of a scope tag.
#[derive(Serialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ScopeTagBody {
    pub display_name: String,
    pub description: Option<String>,
}

fn filter_path(id: &str) -> String {
    format!("{FILTERS}/{}", path_segment(id))
}

fn tag_path(id: &str) -> String {
    format!("{SCOPE_TAGS}/{}", path_segment(id))
}

/// Whether Graph refused a delete because the filter is (still) used by assignments.
pub fn is_filter_in_use(error: &GraphError) -> bool {
    match error {
        GraphError::Api {
            status: 400,
            message,
            ..
        } => message.contains(IN_USE),
        _ => false,
    }
}

impl GraphClient {
    pub async fn create_assignment_filter(
        &self,
        body: &FilterBody,
        deadline: Deadline,
    ) -> Result<AssignmentFilter, GraphError> {
        self.post(Api::Beta, FILTERS, body, deadline).await
    }

    pub async fn get_assignment_filter(
        &self,
        id: &str,
        deadline: Deadline,
    ) -> Result<Option<AssignmentFilter>, GraphError> {
        self.get_opt(Api::Beta, &filter_path(id), deadline).await
    }

    pub async fn update_assignment_filter(
        &self,
        id: &str,
        body: &FilterBody,
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        self.patch(Api::Beta, &filter_path(id), body, deadline)
            .await
    }

    /// Deletes a filter; one already gone is success. While Intune still holds the filter locked by assignments
    /// that were just removed, the refusal is retried until `deadline`.
    pub async fn delete_assignment_filter(
        &self,
        id: &str,
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        let what = format!("assignment filter {id} to be released by its assignments");
        let outcome = consistency::wait_until(deadline, &what, || async {
            match self.delete(Api::Beta, &filter_path(id), deadline).await {
                Ok(()) => Ok(Some(())),
                Err(e) if e.is_not_found() => Ok(Some(())),
                Err(e) if is_filter_in_use(&e) => {
                    log::debug!("assignment filter {id} is still in use; retrying the delete");
                    Ok(None)
                }
                Err(e) => Err(e),
            }
        })
        .await;
        match outcome {
            Err(GraphError::ConsistencyTimeout { .. }) => {
                // One last try, so the error the user reads is Intune's own refusal.
                match self.delete(Api::Beta, &filter_path(id), deadline).await {
                    Err(e) if e.is_not_found() => Ok(()),
                    other => other,
                }
            }
            other => other,
        }
    }

    pub async fn list_scope_tags(&self, deadline: Deadline) -> Result<Vec<ScopeTag>, GraphError> {
        self.list_all(Api::Beta, SCOPE_TAGS, deadline).await
    }

    pub async fn create_scope_tag(
        &self,
        body: &ScopeTagBody,
        deadline: Deadline,
    ) -> Result<ScopeTag, GraphError> {
        self.post(Api::Beta, SCOPE_TAGS, body, deadline).await
    }

    pub async fn get_scope_tag(
        &self,
        id: &str,
        deadline: Deadline,
    ) -> Result<Option<ScopeTag>, GraphError> {
        self.get_opt(Api::Beta, &tag_path(id), deadline).await
    }

    pub async fn update_scope_tag(
        &self,
        id: &str,
        body: &ScopeTagBody,
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        self.patch(Api::Beta, &tag_path(id), body, deadline).await
    }

    /// Deletes a scope tag; one already gone is success.
    pub async fn delete_scope_tag(&self, id: &str, deadline: Deadline) -> Result<(), GraphError> {
        match self.delete(Api::Beta, &tag_path(id), deadline).await {
            Err(e) if e.is_not_found() => Ok(()),
            other => other,
        }
    }
}
