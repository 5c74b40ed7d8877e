//! Recognising a create that an earlier apply left unfinished (a provider killed between Graph's POST and
//! Terraform writing the state). Graph offers no idempotency key for groups, ESPs or profiles, so a create marks
//! its object: until the create has finished, the object's description is a marker naming this provider and a
//! fingerprint of the plan. The next apply of the same plan finds the marked object and finishes it instead of
//! creating a second one; an object without the marker, or with another plan's, is never taken.

use std::collections::HashSet;
use std::sync::Mutex;

use aws_lc_rs::digest;

use crate::tfplugin::Value;

const PREFIX: &str = "terraform-provider-autopilot: create in progress ";

/// The description a create of `plan` (a resource of `type_name`) carries until it has finished. The fingerprint
/// covers every planned attribute, so a changed configuration never takes an object another plan left.
pub fn marker(type_name: &str, plan: &Value) -> String {
    let canonical = format!("{type_name}\n{:?}", canonical(plan));
    let hash = digest::digest(&digest::SHA256, canonical.as_bytes());
    let hex: String = hash.as_ref()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{PREFIX}{hex}")
}

/// The markers this provider process has claimed. Only the first create of a plan in a process looks for an
/// object that plan's marker names: a second, identical resource (under `count`) must create its own object, not
/// take the one the first is still finishing.
#[derive(Default)]
pub struct ClaimedMarkers(Mutex<HashSet<String>>);

impl ClaimedMarkers {
    /// Whether this is the first claim of `marker` in this process.
    pub fn claim(&self, marker: &str) -> bool {
        self.0
            .lock()
            .map(|mut markers| markers.insert(marker.to_string()))
            .unwrap_or(false)
    }
}

/// `value` with set elements in a fixed order, so that the same plan always prints the same.
fn canonical(value: &Value) -> Value {
    match value {
        Value::Set(items) => {
            let mut items: Vec<Value> = items.iter().map(canonical).collect();
            items.sort_by_cached_key(|item| format!("{item:?}"));
            Value::Set(items)
        }
        Value::List(items) => Value::List(items.iter().map(canonical).collect()),
        Value::Tuple(items) => Value::Tuple(items.iter().map(canonical).collect()),
        Value::Map(entries) => Value::Map(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), canonical(v)))
                .collect(),
        ),
        Value::Object(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), canonical(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn plan(name: &str) -> Value {
        let mut attributes = BTreeMap::new();
        attributes.insert("display_name".to_string(), Value::String(name.to_string()));
        Value::Object(attributes)
    }

    #[test]
    fn the_same_plan_always_gets_the_same_marker() {
        assert_eq!(
            marker("autopilot_device_group", &plan("Sales")),
            marker("autopilot_device_group", &plan("Sales"))
        );
        assert!(marker("autopilot_device_group", &plan("Sales")).starts_with(PREFIX));
    }

    #[test]
    fn another_plan_or_type_gets_another_marker() {
        let sales = marker("autopilot_device_group", &plan("Sales"));
        assert_ne!(sales, marker("autopilot_device_group", &plan("Sales2")));
        assert_ne!(
            sales,
            marker("autopilot_deployment_profile", &plan("Sales"))
        );
    }

    #[test]
    fn set_order_does_not_change_the_marker() {
        let with = |members: &[&str]| {
            let mut attributes = BTreeMap::new();
            let set = members
                .iter()
                .map(|m| Value::String(m.to_string()))
                .collect();
            attributes.insert("members".to_string(), Value::Set(set));
            marker("autopilot_device_group", &Value::Object(attributes))
        };
        assert_eq!(with(&["a", "b"]), with(&["b", "a"]));
        assert_ne!(with(&["a", "b"]), with(&["a"]));
    }

    #[test]
    fn a_marker_is_claimed_once_per_process() {
        let claimed = ClaimedMarkers::default();
        assert!(claimed.claim("m1"));
        assert!(!claimed.claim("m1"));
        assert!(claimed.claim("m2"));
    }
}
