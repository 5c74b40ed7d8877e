//! The enrollment configurations every Intune tenant starts with, all at priority 0 with ids `{tenantId}_{Name}`.
//! The default ESP is the payload observed on real tenants (reference `graph-api.md` section 2); the others follow
//! the same pattern with the values a new tenant shows in the portal.

use serde_json::{Map, Value, json};

use super::EnrollmentConfiguration;
use super::kinds::Kind;

/// Defaults carry this creation time on real tenants: they predate any API call.
pub const DEFAULT_TIMESTAMP: &str = "0001-01-01T00:00:00Z";

/// Every default's id suffix and type; [`is_default_id`] recognises them.
const DEFAULTS: &[(&str, Kind)] = &[
    (
        "DefaultWindows10EnrollmentCompletionPageConfiguration",
        Kind::EnrollmentStatusPage,
    ),
    ("DefaultLimit", Kind::Limit),
    ("DefaultPlatformRestrictions", Kind::PlatformRestrictions),
    (
        "DefaultWindowsHelloForBusiness",
        Kind::WindowsHelloForBusiness,
    ),
    ("WindowsRestore", Kind::WindowsRestore),
];

/// Whether `id` names one of the tenant's default configurations (which can't be deleted, assigned or
/// reprioritised). Providers recognise them the same way: by the suffix after the tenant id.
pub fn is_default_id(id: &str) -> bool {
    id.rsplit_once('_')
        .is_some_and(|(_, suffix)| DEFAULTS.iter().any(|(name, _)| *name == suffix))
}

/// The ids of the tenant's default configurations.
pub fn default_ids(tenant_id: &str) -> impl Iterator<Item = String> + '_ {
    DEFAULTS
        .iter()
        .map(move |(suffix, _)| format!("{tenant_id}_{suffix}"))
}

/// The tenant's default configurations, freshly made.
pub fn defaults(tenant_id: &str) -> Vec<EnrollmentConfiguration> {
    DEFAULTS
        .iter()
        .map(|(suffix, kind)| {
            let (display_name, description, settings) = payload(*kind);
            EnrollmentConfiguration {
                id: format!("{tenant_id}_{suffix}"),
                kind: *kind,
                display_name: Some(display_name.to_string()),
                description: Some(description.to_string()),
                priority: 0,
                version: 0,
                created_date_time: DEFAULT_TIMESTAMP.to_string(),
                last_modified_date_time: DEFAULT_TIMESTAMP.to_string(),
                role_scope_tag_ids: Vec::new(),
                settings,
                assignments: Vec::new(),
            }
        })
        .collect()
}

fn object(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

/// A platform that may enroll, personal devices included, at any OS version.
fn unrestricted_platform() -> Value {
    json!({
        "platformBlocked": false,
        "personalDeviceEnrollmentBlocked": false,
        "osMinimumVersion": null,
        "osMaximumVersion": null,
        "blockedManufacturers": [],
        "blockedSkus": [],
    })
}

/// Display name, description and type-specific settings of the default of `kind`.
fn payload(kind: Kind) -> (&'static str, &'static str, Map<String, Value>) {
    match kind {
        Kind::EnrollmentStatusPage => (
            "All users and all devices",
            "This is the default enrollment status screen configuration applied with the lowest priority to all users and all devices regardless of group membership.",
            object(json!({
                "showInstallationProgress": false,
                "blockDeviceSetupRetryByUser": true,
                "allowDeviceResetOnInstallFailure": false,
                "allowLogCollectionOnInstallFailure": false,
                "customErrorMessage": "",
                "installProgressTimeoutInMinutes": 0,
                "allowDeviceUseOnInstallFailure": false,
                "selectedMobileAppIds": [],
                "allowNonBlockingAppInstallation": false,
                "installQualityUpdates": false,
                "trackInstallProgressForAutopilotOnly": false,
                "disableUserStatusTrackingAfterFirstUser": false,
            })),
        ),
        Kind::Limit => (
            "All users",
            "This is the default Device Limit Restriction applied with the lowest priority to all users regardless of group membership.",
            object(json!({"limit": 5})),
        ),
        Kind::PlatformRestrictions => (
            "All users",
            "This is the default Device Type Restriction applied with the lowest priority to all users regardless of group membership.",
            Kind::PlatformRestrictions
                .properties()
                .iter()
                .map(|p| (p.name.to_string(), unrestricted_platform()))
                .collect(),
        ),
        Kind::WindowsHelloForBusiness => (
            "All users and all devices",
            "This is the default Windows Hello for Business configuration applied with the lowest priority to all users regardless of group membership.",
            object(json!({
                "pinMinimumLength": 6,
                "pinMaximumLength": 127,
                "pinUppercaseCharactersUsage": "disallowed",
                "pinLowercaseCharactersUsage": "disallowed",
                "pinSpecialCharactersUsage": "disallowed",
                "state": "notConfigured",
                "securityDeviceRequired": false,
                "unlockWithBiometricsEnabled": true,
                "remotePassportEnabled": true,
                "pinPreviousBlockCount": 0,
                "pinExpirationInDays": 0,
                "enhancedBiometricsState": "notConfigured",
                "securityKeyForSignIn": "notConfigured",
                "enhancedSignInSecurity": 0,
            })),
        ),
        Kind::WindowsRestore => (
            "Windows Backup and Restore",
            "This is the default Windows Backup and Restore configuration applied to all users during Windows enrollment.",
            object(json!({"state": "notConfigured"})),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_has_a_setting_for_each_property_of_its_type() {
        for config in defaults("t") {
            for property in config.kind.properties() {
                assert!(
                    config.settings.contains_key(property.name),
                    "{} lacks {}",
                    config.id,
                    property.name
                );
            }
            assert_eq!(config.settings.len(), config.kind.properties().len());
            assert!(is_default_id(&config.id));
        }
        assert!(!is_default_id(
            "8d1ee2a7-0000-4000-8000-000000000000_Windows10EnrollmentCompletionPageConfiguration"
        ));
    }
}
