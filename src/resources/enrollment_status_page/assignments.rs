//! The ESP's assignment set in the resource's terms: what the model's assignment attributes describe and the rules
//! across them, the target list Graph's `/assign` takes (it replaces every assignment at once) and what
//! `/assignments` lists back.

use std::collections::BTreeSet;

use crate::graph::GraphError;
use crate::graph::consistency;
use crate::graph::enrollment::{AssignmentTarget, FilteredTarget, TargetFilter};
use crate::resources::lifecycle::Op;
use crate::tfplugin::{AttrPath, Diagnostics, Field};

use super::Esp;

impl Esp {
    /// The assignment set this value describes; `None` while any part of it is unknown.
    pub(super) fn assignments(&self) -> Option<Assignments> {
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
        let text = |f: &Field<String>| match f {
            Field::Known(text) => Some(Some(text.clone())),
            Field::Null => Some(None),
            Field::Unknown => None,
        };
        let filter = match (
            text(&self.assignment_filter_id)?,
            text(&self.assignment_filter_mode)?,
        ) {
            (Some(id), Some(mode)) => Some(TargetFilter { id, mode }),
            _ => None,
        };
        Some(Assignments {
            groups: set(&self.assigned_group_ids)?,
            exclusions: set(&self.excluded_group_ids)?,
            all_devices: flag(&self.assigned_to_all_devices)?,
            all_users: flag(&self.assigned_to_all_users)?,
            filter,
            mixed_filters: false,
        })
    }
}

/// A target as Graph lists it: with its filter, or bare (no filter).
pub(super) trait ReadTarget {
    fn parts(&self) -> (&AssignmentTarget, Option<&TargetFilter>);
}

impl ReadTarget for AssignmentTarget {
    fn parts(&self) -> (&AssignmentTarget, Option<&TargetFilter>) {
        (self, None)
    }
}

impl ReadTarget for FilteredTarget {
    fn parts(&self) -> (&AssignmentTarget, Option<&TargetFilter>) {
        (&self.target, self.filter.as_ref())
    }
}

/// An ESP's assignment set, in the resource's terms.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Assignments {
    pub groups: BTreeSet<String>,
    pub exclusions: BTreeSet<String>,
    pub all_devices: bool,
    pub all_users: bool,
    /// The one filter every included target carries.
    pub filter: Option<TargetFilter>,
    /// Whether Graph's included targets carry different filters (set elsewhere, e.g. in the portal): then no
    /// configuration matches, and the next `/assign` gives them all `filter`.
    pub mixed_filters: bool,
}

impl Assignments {
    /// The target list `/assign` takes, in a stable order; included targets carry the filter, exclusions never.
    pub fn targets(&self) -> Vec<FilteredTarget> {
        let mut included = Vec::new();
        if self.all_devices {
            included.push(AssignmentTarget::AllDevices);
        }
        if self.all_users {
            included.push(AssignmentTarget::AllLicensedUsers);
        }
        included.extend(self.groups.iter().cloned().map(AssignmentTarget::Group));
        let mut targets: Vec<FilteredTarget> = included
            .into_iter()
            .map(|target| FilteredTarget {
                target,
                filter: self.filter.clone(),
            })
            .collect();
        targets.extend(
            self.exclusions
                .iter()
                .cloned()
                .map(|id| AssignmentTarget::ExclusionGroup(id).into()),
        );
        targets
    }

    /// The set Graph's targets describe, and the `@odata.type`s of targets this resource does not manage (which
    /// the next `/assign` removes, because it replaces the whole set).
    pub fn from_targets<T: ReadTarget>(targets: &[T]) -> (Assignments, Vec<String>) {
        let mut set = Assignments::default();
        let mut unmanaged = Vec::new();
        let mut first_include = true;
        for read in targets {
            let (target, filter) = read.parts();
            let include = matches!(
                target,
                AssignmentTarget::Group(_)
                    | AssignmentTarget::AllDevices
                    | AssignmentTarget::AllLicensedUsers
            );
            if include {
                if first_include {
                    set.filter = filter.cloned();
                    first_include = false;
                } else if !same_filter(&set.filter, &filter.cloned()) {
                    set.mixed_filters = true;
                }
            }
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
    pub fn same_as(&self, other: &Assignments) -> bool {
        let lower = |ids: &BTreeSet<String>| -> BTreeSet<String> {
            ids.iter().map(|id| id.to_ascii_lowercase()).collect()
        };
        !self.mixed_filters
            && !other.mixed_filters
            && same_filter(&self.filter, &other.filter)
            && self.all_devices == other.all_devices
            && self.all_users == other.all_users
            && lower(&self.groups) == lower(&other.groups)
            && lower(&self.exclusions) == lower(&other.exclusions)
    }
}

/// Whether two filters are the same for Graph (the id compares without regard to case).
fn same_filter(a: &Option<TargetFilter>, b: &Option<TargetFilter>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            a.id.eq_ignore_ascii_case(&b.id) && a.mode.eq_ignore_ascii_case(&b.mode)
        }
        _ => false,
    }
}

/// Cross-attribute rules of the assignment attributes; values that are still unknown are checked at apply.
pub(super) fn validate_assignments(config: &Esp, diags: &mut Diagnostics) {
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
    validate_filter(config, diags);
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

/// A filter needs its mode, and something included to filter (exclusions never carry one).
fn validate_filter(config: &Esp, diags: &mut Diagnostics) {
    let id_set = !config.assignment_filter_id.is_null();
    let mode_set = !config.assignment_filter_mode.is_null();
    if id_set && !mode_set {
        diags.attribute_error(
            AttrPath::root("assignment_filter_mode"),
            "Missing Assignment Filter Mode",
            "assignment_filter_id is set, so say how the filter applies: assignment_filter_mode = \"include\" \
             (only devices the rule matches get this ESP) or \"exclude\" (devices it matches do not).",
        );
    }
    if mode_set && !id_set {
        diags.attribute_error(
            AttrPath::root("assignment_filter_id"),
            "Missing Assignment Filter",
            "assignment_filter_mode is set but assignment_filter_id is not: name the filter, or remove the mode.",
        );
    }
    let nothing_included = config
        .assigned_group_ids
        .known()
        .is_none_or(BTreeSet::is_empty)
        && !config.assigned_group_ids.is_unknown()
        && config.assigned_to_all_devices.known() != Some(&true)
        && !config.assigned_to_all_devices.is_unknown()
        && config.assigned_to_all_users.known() != Some(&true)
        && !config.assigned_to_all_users.is_unknown();
    if id_set && nothing_included {
        diags.attribute_error(
            AttrPath::root("assignment_filter_id"),
            "Assignment Filter Without Included Targets",
            "An assignment filter applies to the included targets (assigned_group_ids, assigned_to_all_devices, \
             assigned_to_all_users) and this Enrollment Status Page includes none; exclusions never carry a filter.",
        );
    }
}

/// Replaces the ESP's whole assignment set with `assignments`; 404s of an ESP that is still replicating are
/// waited out.
pub(super) async fn replace(
    op: &Op<'_>,
    id: &str,
    assignments: &Assignments,
) -> Result<(), GraphError> {
    let graph = op.graph();
    let targets = assignments.targets();
    op.until_stopped(consistency::wait_until(
        op.deadline,
        "the Enrollment Status Page to accept assignments",
        || async {
            graph
                .assign_enrollment_configuration(id, &targets, op.deadline)
                .await
                .map(Some)
        },
    ))
    .await
}
