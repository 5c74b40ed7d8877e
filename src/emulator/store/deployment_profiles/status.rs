//! Which deployment profile a device gets, and how far along the assignment is: Intune's
//! `deploymentProfileAssignmentStatus`, which moves `notAssigned` -> `pending` -> `assignedInSync` (portal:
//! Unassigned -> Assigning -> Assigned) some time after a profile becomes applicable, and only then sets
//! `deploymentProfileAssignedDateTime`.
//!
//! A profile applies to a device when one of its included groups holds the device (directly or through nested
//! groups) and none of its excluded groups does; exclusions win over inclusions. When several profiles apply, the
//! oldest created wins, and a profile assigned to All Devices is the default for devices no group-targeted profile
//! reaches.
//!
//! The status is computed from stored facts alone, so it survives restarts and needs only `&self`: a profile counts
//! as applicable since the latest of its assignment, the device's registration and the device joining the targeted
//! group (groups note when each member joined; for a nested group, when the last link on the way was made). A device
//! retagged into a targeted group therefore passes through `pending` again.

use std::time::Duration;

use time::OffsetDateTime;

use super::AssignmentTarget;
use crate::emulator::clock::parse_timestamp;
use crate::emulator::store::{Device, Tenant};

/// `deploymentProfileAssignmentStatus` values the emulator produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileAssignmentState {
    NotAssigned,
    Pending,
    AssignedInSync,
}

impl ProfileAssignmentState {
    /// Graph's enum member name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileAssignmentState::NotAssigned => "notAssigned",
            ProfileAssignmentState::Pending => "pending",
            ProfileAssignmentState::AssignedInSync => "assignedInSync",
        }
    }
}

/// A device's profile assignment as Intune reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileAssignmentStatus {
    pub state: ProfileAssignmentState,
    /// The profile that applies (the intended one while pending, the assigned one once in sync).
    pub profile_id: Option<String>,
    /// `deploymentProfileAssignedDateTime`: set once the assignment is in sync.
    pub assigned_date_time: Option<OffsetDateTime>,
}

impl ProfileAssignmentStatus {
    fn not_assigned() -> Self {
        ProfileAssignmentStatus {
            state: ProfileAssignmentState::NotAssigned,
            profile_id: None,
            assigned_date_time: None,
        }
    }
}

/// A profile that applies to the device, and since when.
struct Candidate<'a> {
    created: &'a str,
    profile_id: &'a str,
    since: OffsetDateTime,
}

fn parse_or_epoch(text: &str) -> OffsetDateTime {
    parse_timestamp(text).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl Tenant {
    /// The profile assignment status of a device, named by its Entra object id or its Autopilot ZTD id (the
    /// `[ZTDId]:` physical id), at `now`, when an assignment takes `delay` to reach the device.
    pub fn deployment_profile_status(
        &self,
        device: &str,
        now: OffsetDateTime,
        delay: Duration,
    ) -> ProfileAssignmentStatus {
        let Some(device) = self.find_device(device) else {
            return ProfileAssignmentStatus::not_assigned();
        };
        let registered = parse_or_epoch(&device.registration_date_time);
        let mut by_group: Option<Candidate> = None;
        let mut all_devices: Option<Candidate> = None;
        for profile in self.deployment_profiles.values() {
            let excluded = profile.assignments.iter().any(|assignment| {
                assignment.target.is_exclusion()
                    && self
                        .group_holds_since(assignment.target.group_id(), &device.id)
                        .is_some()
            });
            if excluded {
                continue;
            }
            for assignment in &profile.assignments {
                let (slot, joined) = match &assignment.target {
                    AssignmentTarget::Group { group_id } => {
                        match self.group_holds_since(group_id, &device.id) {
                            Some(joined) => (&mut by_group, joined),
                            None => continue,
                        }
                    }
                    AssignmentTarget::AllDevices => (&mut all_devices, registered),
                    _ => continue,
                };
                let candidate = Candidate {
                    created: &profile.created_date_time,
                    profile_id: &profile.id,
                    since: parse_or_epoch(&assignment.created_date_time)
                        .max(registered)
                        .max(joined),
                };
                let better = match slot {
                    None => true,
                    Some(current) => {
                        (candidate.created, candidate.profile_id)
                            < (current.created, current.profile_id)
                            || (candidate.profile_id == current.profile_id
                                && candidate.since < current.since)
                    }
                };
                if better {
                    *slot = Some(candidate);
                }
            }
        }
        let Some(winner) = by_group.or(all_devices) else {
            return ProfileAssignmentStatus::not_assigned();
        };
        let in_sync_at = winner.since + delay;
        if now < in_sync_at {
            ProfileAssignmentStatus {
                state: ProfileAssignmentState::Pending,
                profile_id: Some(winner.profile_id.to_string()),
                assigned_date_time: None,
            }
        } else {
            ProfileAssignmentStatus {
                state: ProfileAssignmentState::AssignedInSync,
                profile_id: Some(winner.profile_id.to_string()),
                assigned_date_time: Some(in_sync_at),
            }
        }
    }

    /// A device by object id, or by the ZTD id in its `[ZTDId]:` physical id.
    fn find_device(&self, id: &str) -> Option<&Device> {
        if let Some(device) = self.devices.get(&id.to_lowercase()) {
            return Some(device);
        }
        let wanted = format!("[ZTDId]:{id}");
        self.devices.values().find(|device| {
            device
                .physical_ids
                .iter()
                .any(|physical| physical.eq_ignore_ascii_case(&wanted))
        })
    }

    /// Since when `group_id` holds `member_id`, directly or through nested groups: the earliest over the ways in,
    /// each as late as its last link (the epoch for links made before groups noted join times). `None`: it does not.
    fn group_holds_since(&self, group_id: &str, member_id: &str) -> Option<OffsetDateTime> {
        let mut seen: Vec<&str> = Vec::new();
        let mut queue = vec![(group_id, OffsetDateTime::UNIX_EPOCH)];
        let mut since: Option<OffsetDateTime> = None;
        while let Some((current, reached)) = queue.pop() {
            if seen.contains(&current) {
                continue;
            }
            seen.push(current);
            let Some(group) = self.groups.get(current) else {
                continue;
            };
            for member in &group.members {
                let joined = group
                    .joined
                    .get(member)
                    .map_or(OffsetDateTime::UNIX_EPOCH, |at| parse_or_epoch(at))
                    .max(reached);
                if member == member_id {
                    since = Some(since.map_or(joined, |best| best.min(joined)));
                } else if self.groups.contains_key(member) {
                    queue.push((member, joined));
                }
            }
        }
        since
    }
}
