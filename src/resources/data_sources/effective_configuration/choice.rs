//! Which enrollment status page applies to a device, and why: a pure function over what Graph reported, so the
//! rules (graph-api.md 2, "Priority semantics") are tested without a tenant. Intune applies the best-priority ESP
//! (1 wins) assigned to the device, then the best-priority ESP assigned to the user (only when the device has one),
//! then the default ESP. An exclusion group holding the device removes an ESP whatever includes it.

use std::collections::BTreeSet;

/// What is known about the device.
#[derive(Clone, Debug, Default)]
pub struct DeviceFacts {
    /// The ids (lower case) of the groups whose direct members include the device's Entra object.
    pub group_ids: BTreeSet<String>,
    /// The user assigned to the Autopilot device, if any (ESPs for "all users" need one).
    pub user_principal_name: Option<String>,
}

/// A group by id, with its display name when it could be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRef {
    pub id: String,
    pub name: Option<String>,
}

impl GroupRef {
    fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("group {name:?} ({})", self.id),
            None => format!("group {}", self.id),
        }
    }
}

/// What an included target's assignment filter says about the device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FilterOutcome {
    /// The device passes the target (an include filter matched, or an exclude filter did not).
    Passes,
    /// The filter leaves the device out; the text says how.
    LeavesOut(String),
    /// The outcome depends on what only enrollment reveals; the text says what.
    Unknowable(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetKind {
    Group(GroupRef),
    AllDevices,
    AllUsers,
    Exclusion(GroupRef),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub kind: TargetKind,
    /// `None` for an unfiltered target.
    pub filter: Option<FilterOutcome>,
}

/// A custom ESP with its assignments.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub id: String,
    pub name: String,
    pub priority: i64,
    pub targets: Vec<Target>,
}

/// The chosen ESP: `None` when it cannot be known before enrollment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    pub esp: Option<(String, String)>,
    pub reasons: Vec<String>,
}

/// How one candidate relates to the device.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Verdict {
    Device,
    User,
    /// Included through a device target only if an assignment filter lets the device through, which only
    /// enrollment tells.
    UncertainDevice,
    /// The same through a user target.
    UncertainUser,
    Not,
}

/// Whether `target` includes the device (`Some(true)`), may include it (`None`), or does not (`Some(false)`),
/// with a phrase saying why.
fn included(target: &Target, device: &DeviceFacts) -> Option<(Verdict, String)> {
    let (verdict, through) = match &target.kind {
        TargetKind::Group(group) if device.group_ids.contains(&group.id.to_ascii_lowercase()) => (
            Verdict::Device,
            format!("included through {}", group.label()),
        ),
        TargetKind::AllDevices => (Verdict::Device, "included through all devices".to_string()),
        TargetKind::AllUsers => match &device.user_principal_name {
            Some(user) => (
                Verdict::User,
                format!("included through all users (the device's user {user})"),
            ),
            None => return None,
        },
        _ => return None,
    };
    Some(match &target.filter {
        None | Some(FilterOutcome::Passes) => (verdict, through),
        Some(FilterOutcome::LeavesOut(why)) => (Verdict::Not, format!("{through} but {why}")),
        Some(FilterOutcome::Unknowable(why)) => {
            let uncertain = if verdict == Verdict::User {
                Verdict::UncertainUser
            } else {
                Verdict::UncertainDevice
            };
            (uncertain, format!("{through} if {why}"))
        }
    })
}

/// Judges one candidate: its verdict and a line a person can read.
fn judge(candidate: &Candidate, device: &DeviceFacts) -> (Verdict, String) {
    let head = format!(
        "ESP {:?} ({}, priority {})",
        candidate.name, candidate.id, candidate.priority
    );
    let excluded: Vec<String> = candidate
        .targets
        .iter()
        .filter_map(|t| match &t.kind {
            TargetKind::Exclusion(group)
                if device.group_ids.contains(&group.id.to_ascii_lowercase()) =>
            {
                Some(group.label())
            }
            _ => None,
        })
        .collect();
    let includes: Vec<(Verdict, String)> = candidate
        .targets
        .iter()
        .filter_map(|t| included(t, device))
        .collect();
    let best = [
        Verdict::Device,
        Verdict::UncertainDevice,
        Verdict::User,
        Verdict::UncertainUser,
    ]
    .into_iter()
    .find(|v| includes.iter().any(|(have, _)| have == v))
    .unwrap_or(Verdict::Not);
    let mut parts: Vec<String> = includes.into_iter().map(|(_, why)| why).collect();
    if parts.is_empty() {
        parts.push("not assigned to the device, its groups or its user".to_string());
    }
    if !excluded.is_empty() {
        parts.push(format!("excluded by {}", excluded.join(", ")));
        return (
            Verdict::Not,
            format!("{head}: {}; does not apply", parts.join("; ")),
        );
    }
    let outcome = match best {
        Verdict::Device => "applies to the device",
        Verdict::User => "applies through the user",
        Verdict::UncertainDevice | Verdict::UncertainUser => {
            "may apply, depending on its filter at enrollment"
        }
        Verdict::Not => "does not apply",
    };
    (best, format!("{head}: {}; {outcome}", parts.join("; ")))
}

/// Chooses the ESP for the device among `candidates` (custom ESPs), falling back to `default` (id, name).
pub fn choose(
    candidates: &[Candidate],
    device: &DeviceFacts,
    default: Option<(String, String)>,
) -> Choice {
    let mut ranked: Vec<&Candidate> = candidates.iter().collect();
    ranked.sort_by(|a, b| a.priority.cmp(&b.priority).then_with(|| a.id.cmp(&b.id)));
    let judged: Vec<(&Candidate, Verdict, String)> = ranked
        .into_iter()
        .map(|c| {
            let (verdict, line) = judge(c, device);
            (c, verdict, line)
        })
        .collect();
    let mut reasons: Vec<String> = judged.iter().map(|(_, _, line)| line.clone()).collect();
    // Device assignments first, then user assignments; an uncertain candidate ranked before the first definite
    // one in a pass makes the outcome unknowable.
    let passes = [
        (
            Verdict::Device,
            Verdict::UncertainDevice,
            "assigned to the device",
        ),
        (
            Verdict::User,
            Verdict::UncertainUser,
            "assigned to the user",
        ),
    ];
    for (pass, uncertain, label) in passes {
        for (candidate, verdict, _) in &judged {
            if *verdict == uncertain {
                reasons.push(format!(
                    "Chosen: unknown before enrollment: ESP {:?} (priority {}) ranks first if its filter lets the \
                     device through",
                    candidate.name, candidate.priority
                ));
                return Choice { esp: None, reasons };
            }
            if *verdict == pass {
                reasons.push(format!(
                    "Chosen: ESP {:?} (priority {}), the best-priority ESP {label}",
                    candidate.name, candidate.priority
                ));
                return Choice {
                    esp: Some((candidate.id.clone(), candidate.name.clone())),
                    reasons,
                };
            }
        }
    }
    match &default {
        Some((_, name)) => reasons.push(format!(
            "Chosen: the default ESP {name:?}, because no custom ESP applies to the device or its user"
        )),
        None => reasons.push("Chosen: none; no custom ESP applies and the default ESP was not listed".to_string()),
    }
    Choice {
        esp: default,
        reasons,
    }
}
