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

use crate::declare_model;
use crate::graph::enrollment::{
    EnrollmentStatusPage, EspSettings, FilteredTarget, is_default_esp_id,
};
use crate::resources::checks;
use crate::resources::lifecycle::{Failure, GraphResource, GraphResultExt, Op};
use crate::tfplugin::validators::{Check, IntBetween, OneOf, StringLength};
use crate::tfplugin::{AttrPath, Diagnostics, Field, Timeouts, Value};

mod assignments;
pub mod default_page;
mod priority;

use assignments::{Assignments, validate_assignments};

/// Graph's default for `installProgressTimeoutInMinutes` (also what a `null` there means).
const DEFAULT_INSTALL_TIMEOUT_MINUTES: i64 = 60;
/// The portal accepts 1..1440 minutes (24 hours).
const MAX_INSTALL_TIMEOUT_MINUTES: i64 = 1440;
const MAX_CUSTOM_ERROR_MESSAGE: usize = 10_000;
/// Intune tracks at most 100 blocking apps per ESP.
const MAX_SELECTED_APPS: usize = 100;

declare_model! {
    /// The resource's value: Graph's settings under snake_case names, the priority and the assignment set.
    pub struct Esp {
        id: String => .computed().use_state_for_unknown().description(
            "The ESP's id (Graph `id`), of the form `{guid}_Windows10EnrollmentCompletionPageConfiguration`.",
        ),
        display_name: String => .required()
            .description("The ESP's name (Graph `displayName`, portal *Name*).")
            .validator(Check { description: "Must not be empty.", check: validate_not_blank }),
        description: String => .optional()
            .description("The ESP's description (Graph `description`, portal *Description*).")
            .validator(Check {
                description: "Must not be empty (leave it unset for none).",
                check: validate_not_blank,
            }),
        show_installation_progress: bool => .default(Value::bool(true)).description(
            "Graph `showInstallationProgress`: when true, the page shows app and profile installation \
             progress (portal *Show app and profile configuration progress*); when false, the page is not \
             shown and the other settings have no effect. Graph's own default is false; the portal's (and \
             this provider's) is true, since an ESP that is not shown does nothing.",
        ),
        block_device_setup_retry_by_user: bool => .default(Value::bool(false)).description(
            "Graph `blockDeviceSetupRetryByUser`: when true, the user cannot retry the setup after an installation \
             failure; when false, they can. The portal's *Block device use until all apps and profiles are installed* \
             maps to it in at least one other provider (unconfirmed).",
        ),
        allow_device_reset_on_install_failure: bool => .default(Value::bool(false)).description(
            "Graph `allowDeviceResetOnInstallFailure`: when true, the user may reset the device after an installation \
             failure (portal *Allow users to reset device if installation error occurs*).",
        ),
        allow_log_collection_on_install_failure: bool => .default(Value::bool(false)).description(
            "Graph `allowLogCollectionOnInstallFailure`: when true, the user may collect logs after an installation \
             failure (portal *Turn on log collection and diagnostics page for end users*).",
        ),
        allow_device_use_on_install_failure: bool => .default(Value::bool(false)).description(
            "Graph `allowDeviceUseOnInstallFailure`: when true, the user may continue to use the device after an \
             installation failure; when false, the device stays blocked (portal *Allow users to use device if \
             installation error occurs*).",
        ),
        track_install_progress_for_autopilot_only: bool => .default(Value::bool(false)).description(
            "Graph `trackInstallProgressForAutopilotOnly`: when true, installation progress is tracked only for \
             Autopilot enrollments; when false, other enrollment scenarios are tracked too.",
        ),
        disable_user_status_tracking_after_first_user: bool => .default(Value::bool(false)).description(
            "Graph `disableUserStatusTrackingAfterFirstUser`: when true, the page is not shown to users after the \
             first one that signs in (portal *Only show page to devices provisioned by out-of-box experience (OOBE)*, \
             as one other provider maps it).",
        ),
        allow_non_blocking_app_installation: bool => .default(Value::bool(false)).description(
            "Graph `allowNonBlockingAppInstallation`: when true, the technician phase installs every required app and \
             ignores failures of non-blocking ones; when false, any app failure fails the page (portal *Only fail \
             selected blocking apps in technician phase*).",
        ),
        install_quality_updates: bool => .default(Value::bool(false)).description(
            "Graph `installQualityUpdates`: when true, Windows quality updates are installed during the out-of-box \
             experience, which may restart the device (portal *Install Windows quality updates*).",
        ),
        install_progress_timeout_in_minutes: i64 => .default(Value::int(DEFAULT_INSTALL_TIMEOUT_MINUTES))
            .description(
                "Graph `installProgressTimeoutInMinutes`: after this many minutes of installation the \
                 page shows an error (portal *Show an error when installation takes longer than specified \
                 number of minutes*).",
            )
            .validator(IntBetween { min: 1, max: MAX_INSTALL_TIMEOUT_MINUTES }),
        custom_error_message: String => .optional()
            .description(
                "Graph `customErrorMessage`: the text shown when installation fails or times out (portal \
                 *Show custom message when time limit or error occurs*). Unset: no custom message, Windows \
                 shows its own. Intune's suggested text is \"Setup could not be completed. Please try again \
                 or contact your support person for help.\"",
            )
            .validator(StringLength { min: 1, max: MAX_CUSTOM_ERROR_MESSAGE }),
        selected_mobile_app_ids: BTreeSet<String> => .optional()
            .description(
                "Graph `selectedMobileAppIds`: the ids of the apps that block the device until they are \
                 installed (portal *Block device use until these required apps are installed*: *Selected*). \
                 Unset or empty: all required apps block (*All*). At most 100 apps.",
            )
            .validator(Check { description: "", check: validate_app_count })
            .validator(checks::guid_set()),
        role_scope_tag_ids: BTreeSet<String> => .optional().computed().use_state_for_unknown()
            .description(
                "Graph `roleScopeTagIds`: the ids of the Intune scope tags of the ESP (portal *Scope \
                 tags*), numbers such as `0` (the *Default* tag). When unset, Intune's choice (`0`) is kept \
                 and not managed.",
            )
            .validator(checks::scope_tag_ids()),
        priority: i64 => .optional().computed()
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
            .validator(Check { description: "At least 1.", check: validate_priority }),
        assigned_group_ids: BTreeSet<String> => .optional()
            .description(
                "Object ids of the Entra groups the ESP is assigned to (Graph \
                 `groupAssignmentTarget`, portal *Assignments > Included groups*). Conflicts with \
                 `assigned_to_all_devices` and `assigned_to_all_users`.",
            )
            .validator(checks::guid_set()),
        excluded_group_ids: BTreeSet<String> => .optional()
            .description(
                "Object ids of Entra groups excluded from the assignment (Graph \
                 `exclusionGroupAssignmentTarget`, portal *Assignments > Excluded groups*). A group cannot \
                 be both assigned and excluded.",
            )
            .validator(checks::guid_set()),
        assigned_to_all_devices: bool => .default(Value::bool(false)).description(
            "Assigns the ESP to every device (Graph `allDevicesAssignmentTarget`, portal *Add all \
             devices*). Conflicts with `assigned_group_ids`.",
        ),
        assignment_filter_id: String => .optional()
            .description(
                "The id of an assignment filter (`autopilot_assignment_filter`) applied to every included target: \
                 the groups of `assigned_group_ids`, all devices, all users (Graph \
                 `deviceAndAppManagementAssignmentFilterId`, portal *Assignments > Edit filter*). Exclusions \
                 never carry a filter. At enrollment Intune evaluates only the OS version, the operating system \
                 SKU and the enrollment profile name of a Windows device. Needs `assignment_filter_mode`.",
            )
            .validator(checks::guid()),
        assignment_filter_mode: String => .optional()
            .description(
                "How `assignment_filter_id` applies (Graph `deviceAndAppManagementAssignmentFilterType`): \
                 `include` (only the devices the filter's rule matches get this ESP) or `exclude` (the devices it \
                 matches do not). Needs `assignment_filter_id`.",
            )
            .validator(OneOf(&["include", "exclude"])),
        assigned_to_all_users: bool => .default(Value::bool(false)).description(
            "Assigns the ESP to every licensed user (Graph `allLicensedUsersAssignmentTarget`, portal \
             *Add all users*). Conflicts with `assigned_group_ids`.",
        ),
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

    /// The state Graph's ESP and assignments represent. `prior` (the state or plan being refreshed; all null on
    /// import) decides how an empty set reads (null unless the configuration wrote `[]`) and keeps the user's
    /// spelling of ids Graph compares case-insensitively, so neither shows as a change.
    fn from_graph(esp: &EnrollmentStatusPage, assignments: &Assignments, prior: &Esp) -> Esp {
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
            assignment_filter_id: match &assignments.filter {
                Some(filter) => Field::Known(
                    prior
                        .assignment_filter_id
                        .known()
                        .filter(|p| p.eq_ignore_ascii_case(&filter.id))
                        .cloned()
                        .unwrap_or_else(|| filter.id.clone()),
                ),
                None => Field::Null,
            },
            assignment_filter_mode: Field::from_option(
                assignments.filter.as_ref().map(|f| f.mode.clone()),
            ),
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

#[async_trait]
impl GraphResource for EnrollmentStatusPageResource {
    type Model = Esp;

    const TYPE_NAME: &'static str = "autopilot_enrollment_status_page";
    const TITLE: &'static str = "Enrollment Status Page";
    const NOUN: &'static str = "Enrollment Status Page";
    const DESCRIPTION: &'static str = "An Enrollment Status Page (ESP): the screen that keeps a device in setup \
        until its apps and profiles are installed, with its assignments and priority. Replaces the portal's \
        *Devices > Enrollment > Enrollment Status Page* step of the user-driven Microsoft Entra join tutorial. \
        Graph object: `windows10EnrollmentCompletionPageConfiguration` (Graph beta). The resource owns the whole \
        assignment set (Graph's `/assign` replaces every assignment at once), so assignments made in the portal \
        show up as changes. The tenant's default ESP (`All users and all devices`, priority 0) cannot be managed \
        by this resource: its settings are `autopilot_default_enrollment_status_page`'s.";
    const TIMEOUTS: Timeouts =
        Timeouts::defaults(Duration::from_secs(10 * 60), Duration::from_secs(5 * 60));
    const IMPORT_ID: &'static str = "its id";

    fn id(model: &Esp) -> Option<&str> {
        model.id.as_deref()
    }

    fn set_id(model: &mut Esp, id: String) {
        model.id = Field::Known(id);
    }

    fn validate(&self, config: &Esp, diags: &mut Diagnostics) {
        validate_assignments(config, diags);
    }

    /// Reads the ESP and its assignments; `None` when it no longer exists.
    async fn fetch(&self, op: &Op<'_>, id: &str, like: &Esp) -> Result<Option<Esp>, Failure> {
        let graph = op.graph();
        let reading = || format!("reading Enrollment Status Page {id}");
        let found = graph.get_enrollment_status_page(id, op.deadline).await;
        let Some(esp) = found.with_context(reading)? else {
            return Ok(None);
        };
        if !esp.is_enrollment_status_page() {
            return Err(Failure::new(
                "Not an Enrollment Status Page",
                format!(
                    "Enrollment configuration {id} is a {}, not an Enrollment Status Page.",
                    odata_type(&esp)
                ),
            ));
        }
        let targets: Vec<FilteredTarget> = match graph
            .list_enrollment_configuration_assignments(id, op.deadline)
            .await
        {
            Ok(assignments) => assignments
                .into_iter()
                .map(|a| FilteredTarget {
                    target: a.target,
                    filter: a.filter,
                })
                .collect(),
            // Deleted between the two reads.
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(Failure::graph(reading(), &e)),
        };
        let (assignments, unmanaged) = Assignments::from_targets(&targets);
        if !unmanaged.is_empty() {
            log::warn!(
                "Enrollment Status Page {id} has assignment targets this provider does not manage ({}); the next \
                 apply that changes assignments replaces them",
                unmanaged.join(", ")
            );
        }
        Ok(Some(Esp::from_graph(&esp, &assignments, like)))
    }

    async fn create(&self, op: &Op<'_>, plan: &Esp) -> Result<String, Failure> {
        let settings = plan.settings();
        let created = op
            .graph()
            .create_enrollment_status_page(&settings, op.deadline)
            .await;
        let name = settings.display_name.unwrap_or_default();
        Ok(created
            .with_context(|| format!("creating Enrollment Status Page {name:?}"))?
            .id)
    }

    fn marked(&self, plan: &Esp, marker: &str) -> Option<Esp> {
        Some(Esp {
            description: Field::Known(marker.to_string()),
            ..plan.clone()
        })
    }

    async fn find_marked(
        &self,
        op: &Op<'_>,
        plan: &Esp,
        marker: &str,
    ) -> Result<Vec<String>, Failure> {
        let Some(name) = plan.display_name.known() else {
            return Ok(Vec::new());
        };
        let configurations = op
            .graph()
            .list_enrollment_configurations(op.deadline)
            .await
            .with_context(|| {
                format!("looking for an unfinished create of Enrollment Status Page {name:?}")
            })?;
        Ok(configurations
            .into_iter()
            .filter(|c| c.is_enrollment_status_page() && c.display_name.as_ref() == Some(name))
            .filter(|c| c.description.as_deref() == Some(marker))
            .map(|c| c.id)
            .collect())
    }

    /// A full PATCH of the settings when any of them changed.
    async fn update(&self, op: &Op<'_>, id: &str, prior: &Esp, plan: &Esp) -> Result<(), Failure> {
        let settings = plan.settings();
        if settings == prior.settings() {
            return Ok(());
        }
        op.graph()
            .update_enrollment_status_page(id, &settings, op.deadline)
            .await
            .with_context(|| format!("updating Enrollment Status Page {id}"))
    }

    /// `/assign` (which replaces the whole set) when the assignments changed, then `setPriority` when the
    /// configuration sets a priority other than the one in state.
    async fn after_write(
        &self,
        op: &Op<'_>,
        id: &str,
        prior: Option<&Esp>,
        plan: &Esp,
    ) -> Result<(), Failure> {
        if let Some(wanted) = plan.assignments() {
            let changed = match prior {
                None => wanted != Assignments::default(),
                Some(prior) => prior
                    .assignments()
                    .is_none_or(|current| !current.same_as(&wanted)),
            };
            if changed {
                assignments::replace(op, id, &wanted)
                    .await
                    .with_context(|| format!("assigning Enrollment Status Page {id}"))?;
            }
        }
        if let Some(&wanted) = plan.priority.known()
            && prior.is_none_or(|prior| prior.priority.known() != Some(&wanted))
        {
            priority::apply(op, id, wanted).await?;
        }
        Ok(())
    }

    async fn delete(&self, op: &Op<'_>, id: &str, _state: &Esp) -> Result<(), Failure> {
        if is_default_esp_id(id) {
            return Err(Failure::new(
                "Cannot Delete the Default Enrollment Status Page",
                format!(
                    "{id} is the tenant's default ESP, which Intune never deletes; remove it from the state \
                     instead (terraform state rm)."
                ),
            ));
        }
        op.graph()
            .delete_enrollment_configuration(id, op.deadline)
            .await
            .with_context(|| format!("deleting Enrollment Status Page {id}"))
    }

    fn settled(&self, current: &Esp, plan: &Esp) -> bool {
        matches_plan(current, plan)
    }

    /// A priority the configuration sets is recorded as planned once `setPriority` confirmed it: parallel moves
    /// of sibling ESPs may shift it again at any moment, and the next refresh shows where it really is.
    fn applied(&self, current: Esp, plan: &Esp) -> Esp {
        match &plan.priority {
            Field::Known(priority) => Esp {
                priority: Field::Known(*priority),
                ..current
            },
            _ => current,
        }
    }

    /// The ESP's id; never the default ESP, nor an enrollment configuration of another kind.
    async fn import_id(&self, op: &Op<'_>, raw: &str) -> Result<String, Failure> {
        let id = raw.trim();
        if is_default_esp_id(id) {
            return Err(Failure::new(
                "Cannot Import the Default Enrollment Status Page",
                format!(
                    "{id} is the tenant's default Enrollment Status Page (\"All users and all devices\", priority \
                     0). It can be neither deleted nor assigned, so autopilot_enrollment_status_page does not \
                     manage it: manage its settings with autopilot_default_enrollment_status_page (import it there with \
                     this id). Import a custom ESP here instead (an id ending in \
                     _Windows10EnrollmentCompletionPageConfiguration)."
                ),
            ));
        }
        if id.is_empty() || id.contains('/') {
            return Err(Failure::new(
                "Invalid Import ID",
                format!(
                    "An autopilot_enrollment_status_page is imported by its id, e.g. \
                     00000000-0000-0000-0000-000000000000_Windows10EnrollmentCompletionPageConfiguration; got {id:?}."
                ),
            ));
        }
        let found = op.graph().get_enrollment_status_page(id, op.deadline).await;
        match found.with_context(|| format!("reading Enrollment Status Page {id}"))? {
            Some(esp) if esp.is_enrollment_status_page() => Ok(id.to_string()),
            Some(esp) => Err(Failure::new(
                "Not an Enrollment Status Page",
                format!(
                    "Enrollment configuration {id} is a {}, not an Enrollment Status Page; only ESPs can be \
                     imported into autopilot_enrollment_status_page.",
                    odata_type(&esp)
                ),
            )),
            None => Err(Failure::new(
                "Cannot Import Non-Existent Enrollment Status Page",
                format!("No enrollment configuration with id {id} exists in this tenant."),
            )),
        }
    }
}

fn odata_type(esp: &EnrollmentStatusPage) -> &str {
    esp.odata_type
        .as_deref()
        .unwrap_or("configuration of unknown type")
}

#[cfg(test)]
mod tests;
