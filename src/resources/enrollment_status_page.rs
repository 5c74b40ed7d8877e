//! `autopilot_enrollment_status_page`: an Enrollment Status Page (ESP), the screen that holds a device in setup
//! until its apps and policies are installed (tutorial step "Configure and assign the Enrollment Status Page").
//! Graph object: `windows10EnrollmentCompletionPageConfiguration` under Graph beta's
//! `deviceManagement/deviceEnrollmentConfigurations`, with its assignments and its priority.
//!
//! The resource owns the ESP's whole assignment set: Graph's `/assign` replaces every assignment at once, and what
//! `/assignments` lists is read back, so an assignment changed in the portal shows up as drift. The tenant's
//! default ESP is never managed here: it can be neither deleted nor assigned.

use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use crate::graph::enrollment::{
    AssignmentTarget, EnrollmentStatusPage, EspSettings, is_default_esp_id,
};
use crate::graph::{Deadline, GraphClient, GraphError, consistency};
use crate::resources::{ProviderData, checks, graph_error, until_stopped, wait_until_deleted};
use crate::tfplugin::timeouts::{self, Operation};
use crate::tfplugin::validators::{Check, IntBetween, StringLength};
use crate::tfplugin::{
    AttrPath, Attribute, Block, Ctx, Diagnostics, Field, Model, Nesting, ObjectBuilder,
    ObjectReader, Resource, Schema, Value,
};

const TYPE_NAME: &str = "autopilot_enrollment_status_page";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// Reads are bounded but not configurable (the `timeouts` block has no `read`).
const READ_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// Graph's default for `installProgressTimeoutInMinutes` (also what a `null` there means).
const DEFAULT_INSTALL_TIMEOUT_MINUTES: i64 = 60;
/// The portal accepts 1..1440 minutes (24 hours).
const MAX_INSTALL_TIMEOUT_MINUTES: i64 = 1440;
const MAX_CUSTOM_ERROR_MESSAGE: usize = 10_000;
/// Intune tracks at most 100 blocking apps per ESP.
const MAX_SELECTED_APPS: usize = 100;

/// How long a wanted priority may stay out of reach. Terraform creates and reorders sibling ESPs in parallel, so
/// "priority 2" can be impossible for a moment (the ESP that will be 1 is still being created, or another ESP's
/// move just shifted this one); past this window the configuration itself asks for something impossible.
const PRIORITY_WINDOW: Duration = Duration::from_secs(60);
/// Of the operation's time, what is kept to count the tenant's ESPs when a priority cannot be reached.
const EXPLANATION_RESERVE: Duration = Duration::from_secs(5);
/// While waiting for a priority, how often it is asserted again (a concurrent move of a sibling may undo it).
const PRIORITY_REASSERT: Duration = Duration::from_secs(3);

/// The resource's value: Graph's settings under snake_case names, the priority and the assignment set.
#[derive(Clone, Debug, PartialEq)]
pub struct Esp {
    pub id: Field<String>,
    pub display_name: Field<String>,
    pub description: Field<String>,
    pub show_installation_progress: Field<bool>,
    pub block_device_setup_retry_by_user: Field<bool>,
    pub allow_device_reset_on_install_failure: Field<bool>,
    pub allow_log_collection_on_install_failure: Field<bool>,
    pub allow_device_use_on_install_failure: Field<bool>,
    pub track_install_progress_for_autopilot_only: Field<bool>,
    pub disable_user_status_tracking_after_first_user: Field<bool>,
    pub allow_non_blocking_app_installation: Field<bool>,
    pub install_quality_updates: Field<bool>,
    pub install_progress_timeout_in_minutes: Field<i64>,
    pub custom_error_message: Field<String>,
    pub selected_mobile_app_ids: Field<BTreeSet<String>>,
    pub role_scope_tag_ids: Field<BTreeSet<String>>,
    pub priority: Field<i64>,
    pub assigned_group_ids: Field<BTreeSet<String>>,
    pub excluded_group_ids: Field<BTreeSet<String>>,
    pub assigned_to_all_devices: Field<bool>,
    pub assigned_to_all_users: Field<bool>,
    pub timeouts: Value,
}

impl Model for Esp {
    fn from_value(value: &Value) -> Self {
        let r = ObjectReader::new(value);
        Esp {
            id: r.field("id"),
            display_name: r.field("display_name"),
            description: r.field("description"),
            show_installation_progress: r.field("show_installation_progress"),
            block_device_setup_retry_by_user: r.field("block_device_setup_retry_by_user"),
            allow_device_reset_on_install_failure: r.field("allow_device_reset_on_install_failure"),
            allow_log_collection_on_install_failure: r
                .field("allow_log_collection_on_install_failure"),
            allow_device_use_on_install_failure: r.field("allow_device_use_on_install_failure"),
            track_install_progress_for_autopilot_only: r
                .field("track_install_progress_for_autopilot_only"),
            disable_user_status_tracking_after_first_user: r
                .field("disable_user_status_tracking_after_first_user"),
            allow_non_blocking_app_installation: r.field("allow_non_blocking_app_installation"),
            install_quality_updates: r.field("install_quality_updates"),
            install_progress_timeout_in_minutes: r.field("install_progress_timeout_in_minutes"),
            custom_error_message: r.field("custom_error_message"),
            selected_mobile_app_ids: r.field("selected_mobile_app_ids"),
            role_scope_tag_ids: r.field("role_scope_tag_ids"),
            priority: r.field("priority"),
            assigned_group_ids: r.field("assigned_group_ids"),
            excluded_group_ids: r.field("excluded_group_ids"),
            assigned_to_all_devices: r.field("assigned_to_all_devices"),
            assigned_to_all_users: r.field("assigned_to_all_users"),
            timeouts: r.raw("timeouts"),
        }
    }

    fn to_value(&self) -> Value {
        ObjectBuilder::new()
            .field("id", &self.id)
            .field("display_name", &self.display_name)
            .field("description", &self.description)
            .field(
                "show_installation_progress",
                &self.show_installation_progress,
            )
            .field(
                "block_device_setup_retry_by_user",
                &self.block_device_setup_retry_by_user,
            )
            .field(
                "allow_device_reset_on_install_failure",
                &self.allow_device_reset_on_install_failure,
            )
            .field(
                "allow_log_collection_on_install_failure",
                &self.allow_log_collection_on_install_failure,
            )
            .field(
                "allow_device_use_on_install_failure",
                &self.allow_device_use_on_install_failure,
            )
            .field(
                "track_install_progress_for_autopilot_only",
                &self.track_install_progress_for_autopilot_only,
            )
            .field(
                "disable_user_status_tracking_after_first_user",
                &self.disable_user_status_tracking_after_first_user,
            )
            .field(
                "allow_non_blocking_app_installation",
                &self.allow_non_blocking_app_installation,
            )
            .field("install_quality_updates", &self.install_quality_updates)
            .field(
                "install_progress_timeout_in_minutes",
                &self.install_progress_timeout_in_minutes,
            )
            .field("custom_error_message", &self.custom_error_message)
            .field("selected_mobile_app_ids", &self.selected_mobile_app_ids)
            .field("role_scope_tag_ids", &self.role_scope_tag_ids)
            .field("priority", &self.priority)
            .field("assigned_group_ids", &self.assigned_group_ids)
            .field("excluded_group_ids", &self.excluded_group_ids)
            .field("assigned_to_all_devices", &self.assigned_to_all_devices)
            .field("assigned_to_all_users", &self.assigned_to_all_users)
            .raw("timeouts", self.timeouts.clone())
            .build()
    }
}

impl Esp {
    /// The settings to send to Graph. At apply time every attribute with a default is known.
    fn settings(&self) -> EspSettings {
        let flag = |f: &Field<bool>| f.known().copied().unwrap_or(false);
        EspSettings {
            display_name: self.display_name.known().cloned(),
            description: self.description.known().cloned(),
            show_installation_progress: flag(&self.show_installation_progress),
            block_device_setup_retry_by_user: flag(&self.block_device_setup_retry_by_user),
            allow_device_reset_on_install_failure: flag(
                &self.allow_device_reset_on_install_failure,
            ),
            allow_log_collection_on_install_failure: flag(
                &self.allow_log_collection_on_install_failure,
            ),
            allow_device_use_on_install_failure: flag(&self.allow_device_use_on_install_failure),
            track_install_progress_for_autopilot_only: flag(
                &self.track_install_progress_for_autopilot_only,
            ),
            disable_user_status_tracking_after_first_user: flag(
                &self.disable_user_status_tracking_after_first_user,
            ),
            allow_non_blocking_app_installation: flag(&self.allow_non_blocking_app_installation),
            install_quality_updates: flag(&self.install_quality_updates),
            install_progress_timeout_in_minutes: Some(
                self.install_progress_timeout_in_minutes
                    .known()
                    .copied()
                    .unwrap_or(DEFAULT_INSTALL_TIMEOUT_MINUTES),
            ),
            custom_error_message: self.custom_error_message.known().cloned(),
            selected_mobile_app_ids: self
                .selected_mobile_app_ids
                .known()
                .map(|ids| ids.iter().cloned().collect())
                .unwrap_or_default(),
            role_scope_tag_ids: self
                .role_scope_tag_ids
                .known()
                .map(|ids| ids.iter().cloned().collect()),
        }
    }

    /// The assignment set this value describes; `None` while any part of it is unknown.
    fn assignments(&self) -> Option<Assignments> {
        let set = |f: &Field<BTreeSet<String>>| match f {
            Field::Known(ids) => Some(ids.clone()),
            Field::Null => Some(BTreeSet::new()),
            Field::Unknown => None,
        };
        let flag = |f: &Field<bool>| match f {
            Field::Known(b) => Some(*b),
            Field::Null => Some(false),
            Field::Unknown => None,
        };
        Some(Assignments {
            groups: set(&self.assigned_group_ids)?,
            exclusions: set(&self.excluded_group_ids)?,
            all_devices: flag(&self.assigned_to_all_devices)?,
            all_users: flag(&self.assigned_to_all_users)?,
        })
    }

    /// The state Graph's ESP and assignments represent. `prior` (the state or plan being refreshed; all null on
    /// import) decides how an empty set reads (null unless the configuration wrote `[]`) and keeps the user's
    /// spelling of ids Graph compares case-insensitively, so neither shows as a change.
    fn from_graph(
        esp: &EnrollmentStatusPage,
        assignments: &Assignments,
        prior: &Esp,
        timeouts: Value,
    ) -> Esp {
        let s = &esp.settings;
        Esp {
            id: Field::Known(esp.id.clone()),
            display_name: Field::Known(s.display_name.clone().unwrap_or_default()),
            description: non_empty(&s.description),
            show_installation_progress: Field::Known(s.show_installation_progress),
            block_device_setup_retry_by_user: Field::Known(s.block_device_setup_retry_by_user),
            allow_device_reset_on_install_failure: Field::Known(
                s.allow_device_reset_on_install_failure,
            ),
            allow_log_collection_on_install_failure: Field::Known(
                s.allow_log_collection_on_install_failure,
            ),
            allow_device_use_on_install_failure: Field::Known(
                s.allow_device_use_on_install_failure,
            ),
            track_install_progress_for_autopilot_only: Field::Known(
                s.track_install_progress_for_autopilot_only,
            ),
            disable_user_status_tracking_after_first_user: Field::Known(
                s.disable_user_status_tracking_after_first_user,
            ),
            allow_non_blocking_app_installation: Field::Known(
                s.allow_non_blocking_app_installation,
            ),
            install_quality_updates: Field::Known(s.install_quality_updates),
            install_progress_timeout_in_minutes: Field::Known(
                s.install_progress_timeout_in_minutes
                    .unwrap_or(DEFAULT_INSTALL_TIMEOUT_MINUTES),
            ),
            custom_error_message: non_empty(&s.custom_error_message),
            selected_mobile_app_ids: id_set(
                s.selected_mobile_app_ids.iter(),
                &prior.selected_mobile_app_ids,
            ),
            role_scope_tag_ids: Field::Known(
                s.role_scope_tag_ids.iter().flatten().cloned().collect(),
            ),
            priority: Field::Known(esp.priority),
            assigned_group_ids: id_set(assignments.groups.iter(), &prior.assigned_group_ids),
            excluded_group_ids: id_set(assignments.exclusions.iter(), &prior.excluded_group_ids),
            assigned_to_all_devices: Field::Known(assignments.all_devices),
            assigned_to_all_users: Field::Known(assignments.all_users),
            timeouts,
        }
    }
}

/// Graph writes "no text" as `null` or `""`; both read as null (the schema does not accept `""`).
fn non_empty(text: &Option<String>) -> Field<String> {
    Field::from_option(text.clone().filter(|t| !t.is_empty()))
}

/// A set of ids as state: empty reads as null unless `prior` holds an empty set; an id equal to one in `prior`
/// but for letter case keeps the prior spelling (Graph lower-cases GUIDs; the user may not).
fn id_set<'a>(
    graph: impl Iterator<Item = &'a String>,
    prior: &Field<BTreeSet<String>>,
) -> Field<BTreeSet<String>> {
    let prior_ids = prior.known();
    let ids: BTreeSet<String> = graph
        .map(|id| {
            prior_ids
                .and_then(|p| p.iter().find(|p| p.eq_ignore_ascii_case(id)))
                .unwrap_or(id)
                .clone()
        })
        .collect();
    if ids.is_empty() && !prior_ids.is_some_and(BTreeSet::is_empty) {
        Field::Null
    } else {
        Field::Known(ids)
    }
}

/// An ESP's assignment set, in the resource's terms.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Assignments {
    groups: BTreeSet<String>,
    exclusions: BTreeSet<String>,
    all_devices: bool,
    all_users: bool,
}

impl Assignments {
    /// The target list `/assign` takes, in a stable order.
    fn targets(&self) -> Vec<AssignmentTarget> {
        let mut targets = Vec::new();
        if self.all_devices {
            targets.push(AssignmentTarget::AllDevices);
        }
        if self.all_users {
            targets.push(AssignmentTarget::AllLicensedUsers);
        }
        targets.extend(self.groups.iter().cloned().map(AssignmentTarget::Group));
        targets.extend(
            self.exclusions
                .iter()
                .cloned()
                .map(AssignmentTarget::ExclusionGroup),
        );
        targets
    }

    /// The set Graph's targets describe, and the `@odata.type`s of targets this resource does not manage (which
    /// the next `/assign` removes, because it replaces the whole set).
    fn from_targets(targets: &[AssignmentTarget]) -> (Assignments, Vec<String>) {
        let mut set = Assignments::default();
        let mut unmanaged = Vec::new();
        for target in targets {
            match target {
                AssignmentTarget::Group(id) => {
                    set.groups.insert(id.clone());
                }
                AssignmentTarget::ExclusionGroup(id) => {
                    set.exclusions.insert(id.clone());
                }
                AssignmentTarget::AllDevices => set.all_devices = true,
                AssignmentTarget::AllLicensedUsers => set.all_users = true,
                AssignmentTarget::Other(odata_type) => unmanaged.push(odata_type.clone()),
            }
        }
        (set, unmanaged)
    }

    /// Whether two sets are the same for Graph (group ids compare without regard to case).
    fn same_as(&self, other: &Assignments) -> bool {
        let lower = |ids: &BTreeSet<String>| -> BTreeSet<String> {
            ids.iter().map(|id| id.to_ascii_lowercase()).collect()
        };
        self.all_devices == other.all_devices
            && self.all_users == other.all_users
            && lower(&self.groups) == lower(&other.groups)
            && lower(&self.exclusions) == lower(&other.exclusions)
    }
}

/// Cross-attribute rules of the assignment attributes; values that are still unknown are checked at apply.
fn validate_assignments(config: &Esp, diags: &mut Diagnostics) {
    let includes_groups = config
        .assigned_group_ids
        .known()
        .is_some_and(|ids| !ids.is_empty());
    for (flag, name, whom) in [
        (
            &config.assigned_to_all_devices,
            "assigned_to_all_devices",
            "every device",
        ),
        (
            &config.assigned_to_all_users,
            "assigned_to_all_users",
            "every licensed user",
        ),
    ] {
        if flag.known() == Some(&true) && includes_groups {
            diags.attribute_error(
                AttrPath::root("assigned_group_ids"),
                "Conflicting Assignment Attributes",
                format!(
                    "{name} = true already assigns this Enrollment Status Page to {whom}, so assigned_group_ids \
                     contradicts it: remove assigned_group_ids, or set {name} = false to assign only those groups."
                ),
            );
        }
    }
    if let (Some(included), Some(excluded)) = (
        config.assigned_group_ids.known(),
        config.excluded_group_ids.known(),
    ) {
        let included: BTreeSet<String> = included.iter().map(|g| g.to_ascii_lowercase()).collect();
        let both: Vec<&String> = excluded
            .iter()
            .filter(|g| included.contains(&g.to_ascii_lowercase()))
            .collect();
        if !both.is_empty() {
            let list: Vec<String> = both.iter().map(|g| format!("{g:?}")).collect();
            diags.attribute_error(
                AttrPath::root("excluded_group_ids"),
                "Group Both Assigned and Excluded",
                format!(
                    "{} in both assigned_group_ids and excluded_group_ids; Intune lets the exclusion win, so the \
                     assignment would do nothing. List each group in one of them.",
                    if both.len() == 1 {
                        format!("Group {} is", list[0])
                    } else {
                        format!("Groups {} are", list.join(", "))
                    }
                ),
            );
        }
    }
}

fn validate_app_count(value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
    if let Some(items) = value.elements()
        && items.len() > MAX_SELECTED_APPS
    {
        diags.attribute_error(
            path.clone(),
            "Too Many Blocking Apps",
            format!(
                "Attribute {path} lists {} apps; an Enrollment Status Page tracks at most {MAX_SELECTED_APPS}.",
                items.len()
            ),
        );
    }
}

fn validate_priority(value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
    let Value::Number(number) = value else { return };
    match number.as_i64() {
        Some(n) if (1..=i64::from(i32::MAX)).contains(&n) => {}
        _ => diags.attribute_error(
            path.clone(),
            "Invalid Priority",
            format!(
                "Attribute {path} must be a whole number of at least 1 (1 is the highest precedence; 0 belongs to \
                 the tenant's default Enrollment Status Page), got {}.",
                number.as_f64()
            ),
        ),
    }
}

/// Whether what Graph returns equals what was planned, in every attribute the plan knows. The priority is left
/// out: its own step confirms it, and parallel moves of sibling ESPs may shift it at any moment.
fn matches_plan(current: &Esp, plan: &Esp) -> bool {
    // Role scope tags may be left to Intune (unknown in the plan); they are compared on their own.
    let without_tags = |esp: &Esp| EspSettings {
        role_scope_tag_ids: None,
        ..esp.settings()
    };
    without_tags(current) == without_tags(plan)
        && (plan.role_scope_tag_ids.is_unknown()
            || current.role_scope_tag_ids == plan.role_scope_tag_ids)
        && match (current.assignments(), plan.assignments()) {
            (Some(current), Some(planned)) => current.same_as(&planned),
            _ => true,
        }
}

/// `planned` when the plan knows it, else what Graph reported.
fn planned_or<T: Clone>(planned: &Field<T>, reported: Field<T>) -> Field<T> {
    match planned {
        Field::Known(value) => Field::Known(value.clone()),
        _ => reported,
    }
}

fn validate_not_blank(value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
    if value.as_str().is_some_and(|text| text.trim().is_empty()) {
        diags.attribute_error(
            path.clone(),
            "Empty Attribute Value",
            format!("Attribute {path} must not be empty; to leave it unset, remove it."),
        );
    }
}

pub struct EnrollmentStatusPageResource;

impl EnrollmentStatusPageResource {
    /// Reads the ESP and its assignments; `None` when it no longer exists.
    async fn fetch(
        &self,
        graph: &GraphClient,
        id: &str,
        prior: &Esp,
        deadline: Deadline,
    ) -> Result<Option<(EnrollmentStatusPage, Esp)>, GraphError> {
        let Some(esp) = graph.get_enrollment_status_page(id, deadline).await? else {
            return Ok(None);
        };
        let targets: Vec<AssignmentTarget> = match graph
            .list_enrollment_configuration_assignments(id, deadline)
            .await
        {
            Ok(assignments) => assignments.into_iter().map(|a| a.target).collect(),
            // Deleted between the two reads.
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        let (assignments, unmanaged) = Assignments::from_targets(&targets);
        if !unmanaged.is_empty() {
            log::warn!(
                "Enrollment Status Page {id} has assignment targets this provider does not manage ({}); the next \
                 apply that changes assignments replaces them",
                unmanaged.join(", ")
            );
        }
        let state = Esp::from_graph(&esp, &assignments, prior, prior.timeouts.clone());
        Ok(Some((esp, state)))
    }

    /// Waits until Graph serves the ESP the way the plan says, so the next refresh (often in a new process,
    /// seconds later) reads what was just written rather than a replica that has not caught up.
    async fn settle(
        &self,
        ctx: &Ctx<ProviderData>,
        plan: &Esp,
        id: &str,
        deadline: Deadline,
    ) -> Result<Esp, GraphError> {
        let graph = &ctx.data.graph;
        until_stopped(
            &ctx.stop,
            consistency::wait_until(
                deadline,
                "the Enrollment Status Page to reflect the change",
                || async {
                    let current = self.fetch(graph, id, plan, deadline).await?;
                    Ok(current
                        .map(|(_, state)| state)
                        .filter(|state| matches_plan(state, plan)))
                },
            ),
        )
        .await
    }

    /// Replaces the assignment set; 404s of an ESP that is still replicating are waited out.
    async fn assign(
        &self,
        ctx: &Ctx<ProviderData>,
        id: &str,
        assignments: &Assignments,
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        let graph = &ctx.data.graph;
        let targets = assignments.targets();
        until_stopped(
            &ctx.stop,
            consistency::wait_until(
                deadline,
                "the Enrollment Status Page to accept assignments",
                || async {
                    graph
                        .assign_enrollment_configuration(id, &targets, deadline)
                        .await
                        .map(Some)
                },
            ),
        )
        .await
    }

    /// Moves the ESP to `wanted` and waits until Graph reports it there. Parallel applies of sibling ESPs can
    /// make the priority briefly impossible (out of range) or shift it right after it was set, so within
    /// [`PRIORITY_WINDOW`] refusals and shifts are retried by asserting the priority again. Adds a diagnostic
    /// and returns `false` when it cannot be reached.
    async fn apply_priority(
        &self,
        ctx: &Ctx<ProviderData>,
        id: &str,
        wanted: i64,
        deadline: Deadline,
        diags: &mut Diagnostics,
    ) -> bool {
        let graph = &ctx.data.graph;
        // Keep a little of the operation's time to explain a failure (the listing below).
        let window = Deadline::at(
            deadline
                .instant()
                .checked_sub(EXPLANATION_RESERVE)
                .unwrap_or(deadline.instant()),
        )
        .min_after(PRIORITY_WINDOW);
        let started = Instant::now();
        let mut asserted_at: Option<Instant> = None;
        let mut refusal: Option<GraphError> = None;
        let mut last_seen: Option<i64> = None;
        let mut interval = Duration::from_millis(200);
        loop {
            if ctx.stop.is_stopped() {
                graph_error(
                    diags,
                    "Error Setting Enrollment Status Page Priority",
                    &format!("setting the priority of {id}"),
                    &GraphError::Cancelled,
                );
                return false;
            }
            if asserted_at.is_none_or(|at| at.elapsed() >= PRIORITY_REASSERT) {
                asserted_at = Some(Instant::now());
                match graph
                    .set_enrollment_configuration_priority(id, wanted, deadline)
                    .await
                {
                    Ok(()) => refusal = None,
                    // Out of range until sibling ESPs exist, or a new ESP that is still replicating.
                    Err(e) if matches!(e.status(), Some(400 | 404)) => refusal = Some(e),
                    Err(e) => {
                        graph_error(
                            diags,
                            "Error Setting Enrollment Status Page Priority",
                            &format!("setting the priority of {id} to {wanted}"),
                            &e,
                        );
                        return false;
                    }
                }
            }
            if refusal.is_none() {
                match graph.get_enrollment_status_page(id, deadline).await {
                    Ok(Some(esp)) if esp.priority == wanted => return true,
                    Ok(found) => last_seen = found.map(|esp| esp.priority).or(last_seen),
                    Err(e) => {
                        graph_error(
                            diags,
                            "Error Setting Enrollment Status Page Priority",
                            &format!("reading back the priority of {id}"),
                            &e,
                        );
                        return false;
                    }
                }
            }
            if interval >= window.remaining() {
                break;
            }
            tokio::time::sleep(interval).await;
            interval = (interval * 2).min(Duration::from_secs(2));
        }
        let custom_esps = graph
            .list_enrollment_configurations(deadline)
            .await
            .map(|all| {
                all.iter()
                    .filter(|c| c.is_enrollment_status_page() && !is_default_esp_id(&c.id))
                    .count()
            })
            .ok();
        diags.attribute_error(
            AttrPath::root("priority"),
            "Enrollment Status Page Priority Not Reached",
            priority_failure_detail(
                id,
                wanted,
                last_seen,
                custom_esps,
                started.elapsed(),
                refusal.as_ref(),
            ),
        );
        false
    }
}

/// Explains why a priority could not be set, in terms of how Intune numbers ESPs.
fn priority_failure_detail(
    id: &str,
    wanted: i64,
    last_seen: Option<i64>,
    custom_esps: Option<usize>,
    waited: Duration,
    refusal: Option<&GraphError>,
) -> String {
    let mut detail = format!(
        "Enrollment Status Page {id} did not stay at priority {wanted} within {}s",
        waited.as_secs()
    );
    if let Some(seen) = last_seen {
        detail.push_str(&format!(" (Graph last reported {seen})"));
    }
    detail.push_str(
        ". Custom ESP priorities are contiguous from 1 (1 wins), and setting one renumbers the others",
    );
    match custom_esps {
        Some(n) if wanted > n as i64 => detail.push_str(&format!(
            ": the tenant has {n} custom ESP{}, so the highest number it can take is {n}",
            if n == 1 { "" } else { "s" }
        )),
        _ => detail.push_str(
            ": check that no other ESP in this configuration (or managed elsewhere) claims the same priority",
        ),
    }
    detail.push('.');
    if let Some(error) = refusal {
        detail.push_str(&format!(" The last attempt failed with: {error}"));
    }
    detail
}

/// The deadline of an operation from the resource's `timeouts` block.
fn deadline_for(model: &Esp, operation: Operation) -> Deadline {
    Deadline::after(timeouts::timeout_for(
        &model.timeouts,
        operation,
        DEFAULT_TIMEOUT,
    ))
}

const BOOLEAN_SETTINGS: [(&str, &str); 8] = [
    (
        "block_device_setup_retry_by_user",
        "Graph `blockDeviceSetupRetryByUser`: when true, the user cannot retry the setup after an installation \
         failure; when false, they can. The portal's *Block device use until all apps and profiles are installed* \
         maps to it in at least one other provider (unconfirmed).",
    ),
    (
        "allow_device_reset_on_install_failure",
        "Graph `allowDeviceResetOnInstallFailure`: when true, the user may reset the device after an installation \
         failure (portal *Allow users to reset device if installation error occurs*).",
    ),
    (
        "allow_log_collection_on_install_failure",
        "Graph `allowLogCollectionOnInstallFailure`: when true, the user may collect logs after an installation \
         failure (portal *Turn on log collection and diagnostics page for end users*).",
    ),
    (
        "allow_device_use_on_install_failure",
        "Graph `allowDeviceUseOnInstallFailure`: when true, the user may continue to use the device after an \
         installation failure; when false, the device stays blocked (portal *Allow users to use device if \
         installation error occurs*).",
    ),
    (
        "track_install_progress_for_autopilot_only",
        "Graph `trackInstallProgressForAutopilotOnly`: when true, installation progress is tracked only for \
         Autopilot enrollments; when false, other enrollment scenarios are tracked too.",
    ),
    (
        "disable_user_status_tracking_after_first_user",
        "Graph `disableUserStatusTrackingAfterFirstUser`: when true, the page is not shown to users after the \
         first one that signs in (portal *Only show page to devices provisioned by out-of-box experience (OOBE)*, \
         as one other provider maps it).",
    ),
    (
        "allow_non_blocking_app_installation",
        "Graph `allowNonBlockingAppInstallation`: when true, the technician phase installs every required app and \
         ignores failures of non-blocking ones; when false, any app failure fails the page (portal *Only fail \
         selected blocking apps in technician phase*).",
    ),
    (
        "install_quality_updates",
        "Graph `installQualityUpdates`: when true, Windows quality updates are installed during the out-of-box \
         experience, which may restart the device (portal *Install Windows quality updates*).",
    ),
];

#[async_trait]
impl Resource<ProviderData> for EnrollmentStatusPageResource {
    type Model = Esp;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let mut block = Block::new(
            "An Enrollment Status Page (ESP): the screen that keeps a device in setup until its apps and profiles \
             are installed, with its assignments and priority. Replaces the portal's *Devices > Enrollment > \
             Enrollment Status Page* step of the user-driven Microsoft Entra join tutorial. Graph object: \
             `windows10EnrollmentCompletionPageConfiguration` (Graph beta). The resource owns the whole assignment \
             set (Graph's `/assign` replaces every assignment at once), so assignments made in the portal show up \
             as changes. The tenant's default ESP (`All users and all devices`, priority 0) cannot be managed by \
             this resource.",
        )
        .attribute(
            Attribute::string("id")
                .computed()
                .use_state_for_unknown()
                .description(
                    "The ESP's id (Graph `id`), of the form `{guid}_Windows10EnrollmentCompletionPageConfiguration`.",
                ),
        )
        .attribute(
            Attribute::string("display_name")
                .required()
                .description("The ESP's name (Graph `displayName`, portal *Name*).")
                .validator(Check {
                    description: "Must not be empty.",
                    check: validate_not_blank,
                }),
        )
        .attribute(
            Attribute::string("description")
                .optional()
                .description("The ESP's description (Graph `description`, portal *Description*).")
                .validator(Check {
                    description: "Must not be empty (leave it unset for none).",
                    check: validate_not_blank,
                }),
        )
        .attribute(
            Attribute::bool("show_installation_progress")
                .default(Value::bool(true))
                .description(
                    "Graph `showInstallationProgress`: when true, the page shows app and profile installation \
                     progress (portal *Show app and profile configuration progress*); when false, the page is not \
                     shown and the other settings have no effect. Graph's own default is false; the portal's (and \
                     this provider's) is true, since an ESP that is not shown does nothing.",
                ),
        );
        for (name, description) in BOOLEAN_SETTINGS {
            block = block.attribute(
                Attribute::bool(name)
                    .default(Value::bool(false))
                    .description(description),
            );
        }
        let block = block
            .attribute(
                Attribute::number("install_progress_timeout_in_minutes")
                    .default(Value::int(DEFAULT_INSTALL_TIMEOUT_MINUTES))
                    .description(
                        "Graph `installProgressTimeoutInMinutes`: after this many minutes of installation the \
                         page shows an error (portal *Show an error when installation takes longer than specified \
                         number of minutes*).",
                    )
                    .validator(IntBetween {
                        min: 1,
                        max: MAX_INSTALL_TIMEOUT_MINUTES,
                    }),
            )
            .attribute(
                Attribute::string("custom_error_message")
                    .optional()
                    .description(
                        "Graph `customErrorMessage`: the text shown when installation fails or times out (portal \
                         *Show custom message when time limit or error occurs*). Unset: no custom message, Windows \
                         shows its own. Intune's suggested text is \"Setup could not be completed. Please try again \
                         or contact your support person for help.\"",
                    )
                    .validator(StringLength {
                        min: 1,
                        max: MAX_CUSTOM_ERROR_MESSAGE,
                    }),
            )
            .attribute(
                Attribute::string_set("selected_mobile_app_ids")
                    .optional()
                    .description(
                        "Graph `selectedMobileAppIds`: the ids of the apps that block the device until they are \
                         installed (portal *Block device use until these required apps are installed*: *Selected*). \
                         Unset or empty: all required apps block (*All*). At most 100 apps.",
                    )
                    .validator(Check {
                        description: "",
                        check: validate_app_count,
                    })
                    .validator(checks::guid_set()),
            )
            .attribute(
                Attribute::string_set("role_scope_tag_ids")
                    .optional()
                    .computed()
                    .use_state_for_unknown()
                    .description(
                        "Graph `roleScopeTagIds`: the ids of the Intune scope tags of the ESP (portal *Scope \
                         tags*), numbers such as `0` (the *Default* tag). When unset, Intune's choice (`0`) is kept \
                         and not managed.",
                    )
                    .validator(checks::scope_tag_ids()),
            )
            .attribute(
                Attribute::number("priority")
                    .optional()
                    .computed()
                    .description(
                        "Graph `priority`: the ESP's precedence when several apply to a device or user. Custom ESPs \
                         are numbered contiguously from 1, and **1 wins**; the tenant's default ESP always has 0 and \
                         always comes last. A new ESP is added after the existing ones (n+1). When set, apply \
                         calls Graph's `setPriority`, which renumbers the other ESPs to keep the sequence \
                         contiguous, and reads the result back; so give the ESPs of one tenant distinct priorities \
                         1..n (a value above the number of custom ESPs cannot be reached). When unset, the \
                         priority is read from Graph and may change as other ESPs are added, removed or moved. \
                         Intune applies the best-priority ESP assigned to the device, then the best one assigned \
                         to the user, then the default.",
                    )
                    .validator(Check {
                        description: "At least 1.",
                        check: validate_priority,
                    }),
            )
            .attribute(
                Attribute::string_set("assigned_group_ids")
                    .optional()
                    .description(
                        "Object ids of the Entra groups the ESP is assigned to (Graph \
                         `groupAssignmentTarget`, portal *Assignments > Included groups*). Conflicts with \
                         `assigned_to_all_devices` and `assigned_to_all_users`.",
                    )
                    .validator(checks::guid_set()),
            )
            .attribute(
                Attribute::string_set("excluded_group_ids")
                    .optional()
                    .description(
                        "Object ids of Entra groups excluded from the assignment (Graph \
                         `exclusionGroupAssignmentTarget`, portal *Assignments > Excluded groups*). A group cannot \
                         be both assigned and excluded.",
                    )
                    .validator(checks::guid_set()),
            )
            .attribute(
                Attribute::bool("assigned_to_all_devices")
                    .default(Value::bool(false))
                    .description(
                        "Assigns the ESP to every device (Graph `allDevicesAssignmentTarget`, portal *Add all \
                         devices*). Conflicts with `assigned_group_ids`.",
                    ),
            )
            .attribute(
                Attribute::bool("assigned_to_all_users")
                    .default(Value::bool(false))
                    .description(
                        "Assigns the ESP to every licensed user (Graph `allLicensedUsersAssignmentTarget`, portal \
                         *Add all users*). Conflicts with `assigned_group_ids`.",
                    ),
            )
            .block("timeouts", Nesting::Single, timeouts::block(10));
        Schema::new(0, block)
    }

    fn validate(&self, config: &Esp, diags: &mut Diagnostics) {
        validate_assignments(config, diags);
    }

    async fn create(
        &self,
        ctx: &Ctx<ProviderData>,
        plan: &Esp,
        diags: &mut Diagnostics,
    ) -> Option<Esp> {
        let deadline = deadline_for(plan, Operation::Create);
        let graph = &ctx.data.graph;
        let settings = plan.settings();
        let name = settings.display_name.clone().unwrap_or_default();
        let created = match graph
            .create_enrollment_status_page(&settings, deadline)
            .await
        {
            Ok(created) => created,
            Err(e) => {
                graph_error(
                    diags,
                    "Error Creating Enrollment Status Page",
                    &format!("creating Enrollment Status Page {name:?}"),
                    &e,
                );
                return None;
            }
        };
        let id = created.id.clone();
        // From here on the ESP exists: every failure returns it as (tainted) partial state, never orphaned.
        let mut partial = plan.clone();
        partial.id = Field::Known(id.clone());
        partial.priority = Field::Known(created.priority);
        partial.role_scope_tag_ids = Field::Known(
            created
                .settings
                .role_scope_tag_ids
                .iter()
                .flatten()
                .cloned()
                .collect(),
        );
        let fail = |diags: &mut Diagnostics, action: String, error: &GraphError| {
            graph_error(
                diags,
                "Error Creating Enrollment Status Page",
                &action,
                error,
            );
        };

        let visible = until_stopped(
            &ctx.stop,
            consistency::wait_until(
                deadline,
                "the new Enrollment Status Page to become readable",
                || graph.get_enrollment_status_page(&id, deadline),
            ),
        )
        .await;
        if let Err(e) = visible {
            fail(
                diags,
                format!("waiting for Enrollment Status Page {id} to become readable"),
                &e,
            );
            return Some(partial);
        }
        let assignments = plan.assignments().unwrap_or_default();
        if assignments != Assignments::default()
            && let Err(e) = self.assign(ctx, &id, &assignments, deadline).await
        {
            fail(diags, format!("assigning Enrollment Status Page {id}"), &e);
            return Some(partial);
        }
        if let Some(&wanted) = plan.priority.known()
            && !self.apply_priority(ctx, &id, wanted, deadline, diags).await
        {
            return Some(partial);
        }
        match self.settle(ctx, plan, &id, deadline).await {
            Ok(settled) => Some(Esp {
                priority: planned_or(&plan.priority, settled.priority.clone()),
                ..settled
            }),
            Err(e) => {
                fail(
                    diags,
                    format!("reading back Enrollment Status Page {id}"),
                    &e,
                );
                Some(partial)
            }
        }
    }

    async fn read(
        &self,
        ctx: &Ctx<ProviderData>,
        state: &Esp,
        diags: &mut Diagnostics,
    ) -> Option<Esp> {
        let id = state.id.known()?.clone();
        let deadline = Deadline::after(READ_TIMEOUT);
        match self.fetch(&ctx.data.graph, &id, state, deadline).await {
            Ok(Some((esp, _))) if !esp.is_enrollment_status_page() => {
                diags.error(
                    "Not an Enrollment Status Page",
                    format!(
                        "Enrollment configuration {id} is a {}, not an Enrollment Status Page.",
                        esp.odata_type
                            .as_deref()
                            .unwrap_or("configuration of unknown type")
                    ),
                );
                Some(state.clone())
            }
            Ok(found) => found.map(|(_, current)| current),
            Err(e) => {
                graph_error(
                    diags,
                    "Error Reading Enrollment Status Page",
                    &format!("reading Enrollment Status Page {id}"),
                    &e,
                );
                Some(state.clone())
            }
        }
    }

    async fn update(
        &self,
        ctx: &Ctx<ProviderData>,
        prior: &Esp,
        plan: &Esp,
        diags: &mut Diagnostics,
    ) -> Option<Esp> {
        let id = prior.id.known()?.clone();
        let deadline = deadline_for(plan, Operation::Update);
        let graph = &ctx.data.graph;
        let fail = |diags: &mut Diagnostics, action: String, error: &GraphError| {
            graph_error(
                diags,
                "Error Updating Enrollment Status Page",
                &action,
                error,
            );
        };
        let settings = plan.settings();
        if settings != prior.settings()
            && let Err(e) = graph
                .update_enrollment_status_page(&id, &settings, deadline)
                .await
        {
            fail(diags, format!("updating Enrollment Status Page {id}"), &e);
            return Some(prior.clone());
        }
        if let Some(wanted) = plan.assignments()
            && prior
                .assignments()
                .is_none_or(|current| !current.same_as(&wanted))
            && let Err(e) = self.assign(ctx, &id, &wanted, deadline).await
        {
            fail(diags, format!("assigning Enrollment Status Page {id}"), &e);
            return Some(prior.clone());
        }
        if let Some(&wanted) = plan.priority.known()
            && prior.priority.known() != Some(&wanted)
            && !self.apply_priority(ctx, &id, wanted, deadline, diags).await
        {
            return Some(prior.clone());
        }
        match self.settle(ctx, plan, &id, deadline).await {
            Ok(settled) => Some(Esp {
                priority: planned_or(&plan.priority, settled.priority.clone()),
                timeouts: plan.timeouts.clone(),
                ..settled
            }),
            Err(e) => {
                fail(
                    diags,
                    format!("reading back Enrollment Status Page {id}"),
                    &e,
                );
                Some(prior.clone())
            }
        }
    }

    async fn delete(&self, ctx: &Ctx<ProviderData>, state: &Esp, diags: &mut Diagnostics) {
        let Some(id) = state.id.known() else { return };
        if is_default_esp_id(id) {
            diags.error(
                "Cannot Delete the Default Enrollment Status Page",
                format!("{id} is the tenant's default ESP, which Intune never deletes; remove it from the state instead (terraform state rm)."),
            );
            return;
        }
        let deadline = deadline_for(state, Operation::Delete);
        let graph = &ctx.data.graph;
        if let Err(e) = graph.delete_enrollment_configuration(id, deadline).await {
            graph_error(
                diags,
                "Error Deleting Enrollment Status Page",
                &format!("deleting Enrollment Status Page {id}"),
                &e,
            );
            return;
        }
        wait_until_deleted(
            &ctx.stop,
            deadline,
            (
                "Error Deleting Enrollment Status Page",
                &format!("Enrollment Status Page {id}"),
            ),
            diags,
            || graph.get_enrollment_status_page(id, deadline),
        )
        .await;
    }

    async fn import(
        &self,
        ctx: &Ctx<ProviderData>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<Esp> {
        let id = id.trim();
        if is_default_esp_id(id) {
            diags.error(
                "Cannot Import the Default Enrollment Status Page",
                format!(
                    "{id} is the tenant's default Enrollment Status Page (\"All users and all devices\", priority \
                     0). It can be neither deleted nor assigned, so autopilot_enrollment_status_page does not \
                     manage it; a separate resource for the default ESP is planned. Import a custom ESP instead \
                     (an id ending in _Windows10EnrollmentCompletionPageConfiguration)."
                ),
            );
            return None;
        }
        if id.is_empty() || id.contains('/') {
            diags.error(
                "Invalid Import ID",
                format!(
                    "An autopilot_enrollment_status_page is imported by its id, e.g. \
                     00000000-0000-0000-0000-000000000000_Windows10EnrollmentCompletionPageConfiguration; got {id:?}."
                ),
            );
            return None;
        }
        let deadline = Deadline::after(DEFAULT_TIMEOUT);
        let nothing = Esp::from_value(&Value::Null);
        match self.fetch(&ctx.data.graph, id, &nothing, deadline).await {
            Ok(Some((esp, state))) if esp.is_enrollment_status_page() => Some(state),
            Ok(Some((esp, _))) => {
                diags.error(
                    "Not an Enrollment Status Page",
                    format!(
                        "Enrollment configuration {id} is a {}, not an Enrollment Status Page; only ESPs can be \
                         imported into autopilot_enrollment_status_page.",
                        esp.odata_type.as_deref().unwrap_or("configuration of unknown type")
                    ),
                );
                None
            }
            Ok(None) => {
                diags.error(
                    "Cannot Import Non-Existent Enrollment Status Page",
                    format!("No enrollment configuration with id {id} exists in this tenant."),
                );
                None
            }
            Err(e) => {
                graph_error(
                    diags,
                    "Error Importing Enrollment Status Page",
                    &format!("reading Enrollment Status Page {id}"),
                    &e,
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::enrollment::ESP_ODATA_TYPE;

    const G1: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
    const G2: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
    const APP: &str = "b3a1c2d4-1111-4222-8333-444455556666";

    fn ids(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    /// A configuration with only the required attribute and the schema's defaults, as the plan has it.
    fn planned() -> Esp {
        Esp {
            id: Field::Unknown,
            display_name: Field::Known("Autopilot ESP".into()),
            show_installation_progress: Field::Known(true),
            block_device_setup_retry_by_user: Field::Known(false),
            allow_device_reset_on_install_failure: Field::Known(false),
            allow_log_collection_on_install_failure: Field::Known(false),
            allow_device_use_on_install_failure: Field::Known(false),
            track_install_progress_for_autopilot_only: Field::Known(false),
            disable_user_status_tracking_after_first_user: Field::Known(false),
            allow_non_blocking_app_installation: Field::Known(false),
            install_quality_updates: Field::Known(false),
            install_progress_timeout_in_minutes: Field::Known(60),
            role_scope_tag_ids: Field::Unknown,
            priority: Field::Unknown,
            assigned_to_all_devices: Field::Known(false),
            assigned_to_all_users: Field::Known(false),
            ..Esp::from_value(&Value::Null)
        }
    }

    fn graph_esp(settings: EspSettings, priority: i64) -> EnrollmentStatusPage {
        EnrollmentStatusPage {
            id: "e1_Windows10EnrollmentCompletionPageConfiguration".into(),
            odata_type: Some(ESP_ODATA_TYPE.into()),
            priority,
            version: Some(1),
            settings,
        }
    }

    fn errors(config: &Esp) -> Vec<(String, String)> {
        let mut diags = Diagnostics::new();
        validate_assignments(config, &mut diags);
        diags
            .iter()
            .map(|d| {
                let path = d
                    .attribute
                    .as_ref()
                    .map(|p| p.to_string())
                    .unwrap_or_default();
                (path, d.detail.clone())
            })
            .collect()
    }

    #[test]
    fn a_created_esp_reads_back_exactly_as_planned() {
        let mut plan = planned();
        plan.description = Field::Known("Blocks until apps are in".into());
        plan.custom_error_message = Field::Known("Call the helpdesk".into());
        plan.install_quality_updates = Field::Known(true);
        plan.selected_mobile_app_ids = Field::Known(ids(&[APP]));
        plan.assigned_group_ids = Field::Known(ids(&[G1]));
        // What Graph answers after a create with these settings.
        let mut settings = plan.settings();
        settings.role_scope_tag_ids = Some(vec!["0".into()]);
        let esp = graph_esp(settings, 3);
        let (assignments, unmanaged) =
            Assignments::from_targets(&[AssignmentTarget::Group(G1.into())]);
        assert!(unmanaged.is_empty());

        let state = Esp::from_graph(&esp, &assignments, &plan, Value::Null);
        assert!(matches_plan(&state, &plan));
        assert_eq!(state.priority, Field::Known(3));
        assert_eq!(state.role_scope_tag_ids, Field::Known(ids(&["0"])));
        assert_eq!(state.description, plan.description);
        assert_eq!(
            state.excluded_group_ids,
            Field::Null,
            "no exclusions read as unset"
        );
        assert_eq!(state.assigned_to_all_devices, Field::Known(false));
    }

    #[test]
    fn a_setting_changed_in_the_portal_does_not_match_the_plan() {
        let plan = planned();
        let mut settings = plan.settings();
        settings.allow_device_use_on_install_failure = true;
        let state = Esp::from_graph(
            &graph_esp(settings, 1),
            &Assignments::default(),
            &plan,
            Value::Null,
        );
        assert!(!matches_plan(&state, &plan));
        assert_eq!(
            state.allow_device_use_on_install_failure,
            Field::Known(true)
        );
    }

    #[test]
    fn graphs_empty_values_read_as_unset_unless_the_configuration_wrote_them() {
        let settings = EspSettings {
            display_name: Some("x".into()),
            description: Some(String::new()),
            custom_error_message: Some(String::new()),
            install_progress_timeout_in_minutes: None,
            ..EspSettings::default()
        };
        let mut prior = planned();
        prior.excluded_group_ids = Field::Known(BTreeSet::new());
        let state = Esp::from_graph(
            &graph_esp(settings, 1),
            &Assignments::default(),
            &prior,
            Value::Null,
        );
        assert_eq!(state.description, Field::Null);
        assert_eq!(state.custom_error_message, Field::Null);
        assert_eq!(state.selected_mobile_app_ids, Field::Null);
        assert_eq!(state.assigned_group_ids, Field::Null);
        assert_eq!(
            state.excluded_group_ids,
            Field::Known(BTreeSet::new()),
            "an explicit [] stays []"
        );
        assert_eq!(
            state.install_progress_timeout_in_minutes,
            Field::Known(60),
            "null means Graph's default"
        );
        assert_eq!(state.role_scope_tag_ids, Field::Known(BTreeSet::new()));
    }

    #[test]
    fn ids_keep_the_users_spelling_when_graph_lowercases_them() {
        let mut prior = planned();
        prior.assigned_group_ids = Field::Known(ids(&[&G1.to_uppercase()]));
        let assignments = Assignments {
            groups: ids(&[G1, G2]),
            ..Assignments::default()
        };
        let state = Esp::from_graph(
            &graph_esp(prior.settings(), 1),
            &assignments,
            &prior,
            Value::Null,
        );
        assert_eq!(
            state.assigned_group_ids,
            Field::Known(ids(&[&G1.to_uppercase(), G2])),
            "a group added in the portal still shows, in Graph's spelling"
        );
        assert!(
            !Assignments {
                groups: ids(&[&G1.to_uppercase()]),
                ..Assignments::default()
            }
            .same_as(&assignments)
        );
        assert!(
            Assignments {
                groups: ids(&[&G1.to_uppercase(), G2]),
                ..Assignments::default()
            }
            .same_as(&assignments)
        );
    }

    #[test]
    fn the_assignment_set_becomes_one_replace_list_and_back() {
        let mut plan = planned();
        plan.assigned_group_ids = Field::Known(ids(&[G2, G1]));
        plan.excluded_group_ids = Field::Known(ids(&[APP]));
        plan.assigned_to_all_users = Field::Known(false);
        let set = plan.assignments().unwrap();
        let targets = set.targets();
        assert_eq!(
            targets,
            vec![
                AssignmentTarget::Group(G1.into()),
                AssignmentTarget::Group(G2.into()),
                AssignmentTarget::ExclusionGroup(APP.into()),
            ]
        );
        assert_eq!(Assignments::from_targets(&targets).0, set);

        let everyone = Assignments {
            all_devices: true,
            all_users: true,
            ..Assignments::default()
        };
        assert_eq!(
            everyone.targets(),
            [
                AssignmentTarget::AllDevices,
                AssignmentTarget::AllLicensedUsers
            ]
        );
        assert!(
            Assignments::default().targets().is_empty(),
            "no assignments: /assign with [] clears them"
        );
    }

    #[test]
    fn targets_the_provider_does_not_manage_are_reported() {
        let (set, unmanaged) = Assignments::from_targets(&[
            AssignmentTarget::AllDevices,
            AssignmentTarget::Other(
                "#microsoft.graph.configurationManagerCollectionAssignmentTarget".into(),
            ),
        ]);
        assert!(set.all_devices);
        assert_eq!(unmanaged.len(), 1);
    }

    #[test]
    fn unknown_assignment_values_defer_the_set_to_apply() {
        let mut plan = planned();
        plan.assigned_group_ids = Field::Unknown;
        assert_eq!(plan.assignments(), None);
        let mut null_flags = planned();
        null_flags.assigned_to_all_devices = Field::Null;
        assert_eq!(null_flags.assignments(), Some(Assignments::default()));
    }

    #[test]
    fn all_devices_or_all_users_with_assigned_groups_is_refused_at_the_groups() {
        let mut config = planned();
        config.assigned_group_ids = Field::Known(ids(&[G1]));
        config.assigned_to_all_devices = Field::Known(true);
        config.assigned_to_all_users = Field::Known(true);
        let found = errors(&config);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().all(|(path, _)| path == "assigned_group_ids"));
        assert!(found[0].1.contains("assigned_to_all_devices = true"));
        assert!(found[1].1.contains("assigned_to_all_users = true"));

        config.assigned_group_ids = Field::Null;
        config.excluded_group_ids = Field::Known(ids(&[G2]));
        assert!(
            errors(&config).is_empty(),
            "all devices and all users with exclusions is a valid assignment"
        );
        config.assigned_group_ids = Field::Unknown;
        assert!(
            errors(&config).is_empty(),
            "unknown groups are checked at apply"
        );
    }

    #[test]
    fn a_group_both_assigned_and_excluded_is_refused() {
        let mut config = planned();
        config.assigned_group_ids = Field::Known(ids(&[G1, G2]));
        config.excluded_group_ids = Field::Known(ids(&[&G1.to_uppercase()]));
        let found = errors(&config);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "excluded_group_ids");
        assert!(found[0].1.contains(&G1.to_uppercase()), "{}", found[0].1);
    }

    #[test]
    fn attribute_validators_enforce_graphs_limits() {
        let schema = EnrollmentStatusPageResource.schema();
        let check = |name: &str, value: Value| -> Vec<String> {
            let attribute = schema.block.find_attribute(name).unwrap();
            let mut diags = Diagnostics::new();
            for v in &attribute.validators {
                v.validate(&value, &AttrPath::root(name), &mut diags);
            }
            diags.iter().map(|d| d.summary.clone()).collect()
        };
        let guids = |n: usize| {
            Value::Set(
                (0..n)
                    .map(|i| Value::string(format!("00000000-0000-4000-8000-{i:012}")))
                    .collect(),
            )
        };
        assert!(check("install_progress_timeout_in_minutes", Value::int(1440)).is_empty());
        assert!(!check("install_progress_timeout_in_minutes", Value::int(0)).is_empty());
        assert!(!check("install_progress_timeout_in_minutes", Value::int(1441)).is_empty());
        assert!(check("custom_error_message", Value::string("x".repeat(10_000))).is_empty());
        assert!(!check("custom_error_message", Value::string("x".repeat(10_001))).is_empty());
        assert!(check("selected_mobile_app_ids", guids(100)).is_empty());
        assert_eq!(
            check("selected_mobile_app_ids", guids(101)),
            ["Too Many Blocking Apps"]
        );
        assert_eq!(
            check(
                "selected_mobile_app_ids",
                Value::Set(vec![Value::string("notepad")])
            ),
            ["Invalid Object ID"]
        );
        assert_eq!(
            check(
                "excluded_group_ids",
                Value::Set(vec![Value::string("sales")])
            ),
            ["Invalid Object ID"]
        );
        assert!(check("priority", Value::int(1)).is_empty());
        assert_eq!(check("priority", Value::int(0)), ["Invalid Priority"]);
        assert_eq!(
            check("display_name", Value::string("  ")),
            ["Empty Attribute Value"]
        );
    }

    #[test]
    fn every_attribute_is_documented_and_graphs_defaults_are_the_schemas() {
        let schema = EnrollmentStatusPageResource.schema();
        for attribute in &schema.block.attributes {
            assert!(
                attribute.description.len() > 20,
                "{} has no real description",
                attribute.name
            );
        }
        let default = |name: &str| schema.block.find_attribute(name).unwrap().default.clone();
        assert_eq!(
            default("install_progress_timeout_in_minutes"),
            Some(Value::int(60))
        );
        assert_eq!(
            default("show_installation_progress"),
            Some(Value::bool(true))
        );
        for (name, _) in BOOLEAN_SETTINGS {
            assert_eq!(default(name), Some(Value::bool(false)), "{name}");
        }
        let priority = schema.block.find_attribute("priority").unwrap();
        assert!(priority.optional && priority.computed);
        assert!(priority.description.contains("1 wins"));
    }

    #[test]
    fn the_model_round_trips_through_its_value() {
        let mut plan = planned();
        plan.id = Field::Known("e1".into());
        plan.priority = Field::Known(2);
        plan.selected_mobile_app_ids = Field::Known(ids(&[APP]));
        plan.role_scope_tag_ids = Field::Known(ids(&["0"]));
        assert_eq!(Esp::from_value(&plan.to_value()), plan);
        let schema = EnrollmentStatusPageResource.schema();
        assert!(plan.to_value().conforms_to(&schema.value_type()));
    }

    #[test]
    fn a_set_with_unknown_elements_keeps_its_shape_in_the_plan() {
        use crate::tfplugin::DynResource;
        let mut value = planned().to_value();
        let partly = Value::Set(vec![Value::Unknown, Value::string(G1)]);
        *value.attr_mut("assigned_group_ids").unwrap() = partly.clone();
        let model = Esp::from_value(&value);
        assert_eq!(model.assigned_group_ids, Field::Unknown);
        assert_eq!(model.assignments(), None);
        let plan = DynResource::<ProviderData>::modify_plan(
            &EnrollmentStatusPageResource,
            &Value::Null,
            &value,
            value.clone(),
            &mut Vec::new(),
            &mut Diagnostics::new(),
        );
        assert_eq!(plan.attr("assigned_group_ids"), Some(&partly));
    }

    #[test]
    fn the_timeouts_block_bounds_each_operation() {
        let mut plan = planned();
        plan.timeouts = ObjectBuilder::new()
            .field("create", &Field::Known("15s".to_string()))
            .field::<String>("update", &Field::Null)
            .field::<String>("delete", &Field::Null)
            .build();
        assert!(deadline_for(&plan, Operation::Create).remaining() <= Duration::from_secs(15));
        assert!(deadline_for(&plan, Operation::Update).remaining() > Duration::from_secs(9 * 60));
    }

    #[test]
    fn an_unreachable_priority_is_explained_with_the_number_of_esps() {
        let detail =
            priority_failure_detail("e1", 3, Some(2), Some(2), Duration::from_secs(60), None);
        assert!(detail.contains("priority 3"), "{detail}");
        assert!(detail.contains("Graph last reported 2"), "{detail}");
        assert!(detail.contains("the tenant has 2 custom ESPs"), "{detail}");
        let contested =
            priority_failure_detail("e1", 1, Some(2), Some(2), Duration::from_secs(60), None);
        assert!(
            contested.contains("claims the same priority"),
            "{contested}"
        );
    }
}
