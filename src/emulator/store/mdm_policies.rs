//! `policies/mobileDeviceManagementPolicies` (beta; graph-api-next.md 11): the MDM user scope of automatic
//! enrollment, the portal's *Windows automatic enrollment* page. Each policy belongs to an MDM app (its id is the
//! app id); a tenant has Intune's and Intune Enrollment's. The write rules are modelled as documented:
//! `appliesTo` cannot be PATCHed together with other properties, `selected` cannot be written at all (a group
//! POSTed to `includedGroups` is how a scope becomes selected [guess: the docs only say to POST there instead]),
//! writing `all` removes the groups, and a policy whose `isValid` is false refuses every update.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::emulator::odata::{ErrorReply, resource_not_found};
use crate::rules::{guid, https_url};

/// Microsoft Intune's MDM app id, the id of its policy.
pub const INTUNE_ID: &str = "0000000a-0000-0000-c000-000000000000";
/// "Microsoft Intune Enrollment" [doc: Windows 365 troubleshooting sample].
pub const INTUNE_ENROLLMENT_ID: &str = "d4ebce55-015a-49b5-a083-c84d1797ae8c";
pub const INTUNE_TERMS_OF_USE_URL: &str = "https://portal.manage.microsoft.com/TermsofUse.aspx";
pub const INTUNE_DISCOVERY_URL: &str =
    "https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc";
pub const INTUNE_COMPLIANCE_URL: &str =
    "https://portal.manage.microsoft.com/?portalAction=Compliance";
const RESOURCE: &str = "mobilityManagementPolicy";
const APPLIES_TO: &[&str] = &["none", "all", "selected"];

/// One MDM policy as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MdmPolicy {
    pub id: String,
    pub display_name: String,
    pub description: String,
    /// `none`, `all` or `selected`.
    pub applies_to: String,
    pub compliance_url: Option<String>,
    pub discovery_url: Option<String>,
    pub terms_of_use_url: Option<String>,
    pub is_valid: bool,
    pub is_mdm_enrollment_during_registration_disabled: bool,
    /// Group object ids, in the order they were added.
    pub included_groups: Vec<String>,
}

/// A new tenant's policies. Intune's carries Microsoft's URLs; its scope starts as `none`, so that nothing enrolls
/// until the tutorial's first step turns it on [guess: tenants differ; the portal shows *None* for many]. Intune
/// Enrollment's URLs are `null`, as the documentation sample shows for a policy never set up.
pub fn default_policies() -> Vec<MdmPolicy> {
    vec![
        MdmPolicy {
            id: INTUNE_ID.into(),
            display_name: "Microsoft Intune".into(),
            description: "Device Management Policy for Microsoft Intune".into(),
            applies_to: "none".into(),
            compliance_url: Some(INTUNE_COMPLIANCE_URL.into()),
            discovery_url: Some(INTUNE_DISCOVERY_URL.into()),
            terms_of_use_url: Some(INTUNE_TERMS_OF_USE_URL.into()),
            is_valid: true,
            is_mdm_enrollment_during_registration_disabled: false,
            included_groups: Vec::new(),
        },
        MdmPolicy {
            id: INTUNE_ENROLLMENT_ID.into(),
            display_name: "Microsoft Intune Enrollment".into(),
            description: "Device Management Policy for Microsoft Intune Enrollment".into(),
            applies_to: "none".into(),
            compliance_url: None,
            discovery_url: None,
            terms_of_use_url: None,
            is_valid: true,
            is_mdm_enrollment_during_registration_disabled: false,
            included_groups: Vec::new(),
        },
    ]
}

impl MdmPolicy {
    /// The policy's Graph JSON (without `@odata.context`).
    pub fn render(&self) -> Map<String, Value> {
        let value = json!({
            "id": self.id,
            "appliesTo": self.applies_to,
            "complianceUrl": self.compliance_url,
            "discoveryUrl": self.discovery_url,
            "termsOfUseUrl": self.terms_of_use_url,
            "description": self.description,
            "displayName": self.display_name,
            "isValid": self.is_valid,
            "isMdmEnrollmentDuringRegistrationDisabled": self.is_mdm_enrollment_during_registration_disabled,
        });
        match value {
            Value::Object(map) => map,
            _ => unreachable!("a JSON object literal"),
        }
    }

    fn refuse_if_invalid(&self) -> Result<(), ErrorReply> {
        if self.is_valid {
            Ok(())
        } else {
            // Documented: invalid policies can't be updated. The wording is ours [guess].
            Err(ErrorReply::bad_request(format!(
                "The policy '{}' is not valid (isValid is false) and cannot be updated.",
                self.id
            )))
        }
    }

    /// Applies a PATCH body, or answers Graph's 400 and changes nothing.
    pub fn patch(&mut self, body: &Map<String, Value>) -> Result<(), ErrorReply> {
        self.refuse_if_invalid()?;
        let properties: Vec<&String> = body.keys().filter(|k| !k.starts_with('@')).collect();
        for name in &properties {
            match name.as_str() {
                "appliesTo"
                | "complianceUrl"
                | "discoveryUrl"
                | "termsOfUseUrl"
                | "isMdmEnrollmentDuringRegistrationDisabled" => {}
                "id" | "displayName" | "description" | "isValid" => {
                    // Read-only [guess: the docs list them without saying they can be written].
                    return Err(ErrorReply::bad_request(format!(
                        "Property '{name}' is read-only and cannot be set."
                    )));
                }
                _ => {
                    return Err(ErrorReply::bad_request(format!(
                        "Property '{name}' does not exist on type 'microsoft.graph.{RESOURCE}'."
                    )));
                }
            }
        }
        if let Some(applies_to) = body.get("appliesTo") {
            if properties.len() > 1 {
                return Err(ErrorReply::bad_request(
                    "appliesTo cannot be updated together with other properties: send it in a PATCH of its own.",
                ));
            }
            let Some(applies_to) = applies_to.as_str().filter(|a| APPLIES_TO.contains(a)) else {
                return Err(invalid("appliesTo"));
            };
            match applies_to {
                "selected" => {
                    return Err(ErrorReply::bad_request(
                        "appliesTo cannot be set to 'selected': add groups to includedGroups instead.",
                    ));
                }
                // Documented: setting all removes the existing groups. For none the documentation says nothing;
                // the groups stay (and apply to nobody) [guess].
                "all" => self.included_groups.clear(),
                _ => {}
            }
            self.applies_to = applies_to.to_string();
            return Ok(());
        }
        let mut next = self.clone();
        for (name, slot) in [
            ("complianceUrl", &mut next.compliance_url),
            ("discoveryUrl", &mut next.discovery_url),
            ("termsOfUseUrl", &mut next.terms_of_use_url),
        ] {
            match body.get(name) {
                None => {}
                Some(Value::Null) => *slot = None,
                Some(Value::String(url)) if https_url::validate(url).is_ok() => {
                    *slot = Some(url.clone())
                }
                // The documentation does not say which URLs it accepts (see rules::https_url).
                Some(_) => return Err(invalid(name)),
            }
        }
        if let Some(value) = body.get("isMdmEnrollmentDuringRegistrationDisabled") {
            next.is_mdm_enrollment_during_registration_disabled = value
                .as_bool()
                .ok_or_else(|| invalid("isMdmEnrollmentDuringRegistrationDisabled"))?;
        }
        *self = next;
        Ok(())
    }

    /// `POST …/includedGroups/$ref` for `group_id` (a group that exists): the scope becomes `selected`.
    pub fn include(&mut self, group_id: &str) -> Result<(), ErrorReply> {
        self.refuse_if_invalid()?;
        if self
            .included_groups
            .iter()
            .any(|g| g.eq_ignore_ascii_case(group_id))
        {
            return Err(ErrorReply::bad_request(
                "One or more added object references already exist for the following modified properties: \
                 'includedGroups'.",
            ));
        }
        self.included_groups.push(group_id.to_string());
        // A guess the brief records: adding a group is how the scope becomes `selected`.
        self.applies_to = "selected".into();
        Ok(())
    }

    /// `DELETE …/includedGroups/{gid}/$ref`. The scope stays as it is, even with no group left [guess].
    pub fn exclude(&mut self, group_id: &str) -> Result<(), ErrorReply> {
        self.refuse_if_invalid()?;
        let before = self.included_groups.len();
        self.included_groups
            .retain(|g| !g.eq_ignore_ascii_case(group_id));
        if self.included_groups.len() == before {
            return Err(resource_not_found(group_id));
        }
        Ok(())
    }
}

fn invalid(property: &str) -> ErrorReply {
    crate::emulator::store::input::invalid_value(property, RESOURCE)
}

/// A policy id as the route names it: a GUID (Graph answers 400 for anything else [guess]), canonical.
pub fn policy_id(text: &str) -> Result<String, ErrorReply> {
    guid::canonical(text)
        .map_err(|_| ErrorReply::bad_request(format!("Invalid object identifier '{text}'.")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intune() -> MdmPolicy {
        default_policies().remove(0)
    }

    fn body(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn applies_to_goes_alone_and_selected_is_never_written() {
        let mut policy = intune();
        let both = body(json!({"appliesTo": "all", "termsOfUseUrl": "https://example.com/tou"}));
        assert!(policy.patch(&both).is_err());
        assert_eq!(policy, intune(), "a refused PATCH changes nothing");
        assert!(
            policy
                .patch(&body(json!({"appliesTo": "selected"})))
                .is_err()
        );
        assert!(policy.patch(&body(json!({"appliesTo": "some"}))).is_err());
        policy.patch(&body(json!({"appliesTo": "all"}))).unwrap();
        assert_eq!(policy.applies_to, "all");
    }

    #[test]
    fn a_group_makes_the_scope_selected_and_all_removes_the_groups() {
        let mut policy = intune();
        policy
            .include("6f1c8d2e-0000-4000-8000-000000000001")
            .unwrap();
        assert_eq!(policy.applies_to, "selected");
        assert!(
            policy
                .include("6F1C8D2E-0000-4000-8000-000000000001")
                .is_err()
        );
        policy.patch(&body(json!({"appliesTo": "none"}))).unwrap();
        assert_eq!(policy.included_groups.len(), 1, "none keeps the groups");
        policy.patch(&body(json!({"appliesTo": "all"}))).unwrap();
        assert!(policy.included_groups.is_empty());
        assert!(
            policy
                .exclude("6f1c8d2e-0000-4000-8000-000000000001")
                .is_err()
        );
    }

    #[test]
    fn an_invalid_policy_refuses_every_update() {
        let mut policy = intune();
        policy.is_valid = false;
        assert!(policy.patch(&body(json!({"appliesTo": "all"}))).is_err());
        assert!(policy.patch(&body(json!({"termsOfUseUrl": null}))).is_err());
        assert!(
            policy
                .include("6f1c8d2e-0000-4000-8000-000000000001")
                .is_err()
        );
        assert_eq!(policy.applies_to, "none");
    }

    #[test]
    fn urls_must_be_https_and_read_only_properties_are_refused() {
        let mut policy = intune();
        assert!(
            policy
                .patch(&body(json!({"complianceUrl": "http://x.example"})))
                .is_err()
        );
        assert!(policy.patch(&body(json!({"displayName": "Mine"}))).is_err());
        assert!(policy.patch(&body(json!({"color": "blue"}))).is_err());
        policy
            .patch(&body(
                json!({"complianceUrl": "https://c.example/c", "discoveryUrl": null}),
            ))
            .unwrap();
        assert_eq!(
            policy.compliance_url.as_deref(),
            Some("https://c.example/c")
        );
        assert_eq!(policy.discovery_url, None);
        assert_eq!(policy.applies_to, "none");
    }
}
