//! The derived types of `deviceEnrollmentConfiguration` the emulator knows, and for each the properties beyond the
//! base type: their JSON shape, limits, and whether v1.0 has them. Validation and rendering are driven by these
//! tables, so a property's rules live in one place.

use serde::{Deserialize, Serialize};

use crate::emulator::odata::ApiVersion;

/// One derived type of `deviceEnrollmentConfiguration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// `windows10EnrollmentCompletionPageConfiguration`: the Enrollment Status Page.
    EnrollmentStatusPage,
    /// `deviceEnrollmentLimitConfiguration`: how many devices a user may enroll.
    Limit,
    /// `deviceEnrollmentPlatformRestrictionsConfiguration`: which platforms may enroll.
    PlatformRestrictions,
    /// `deviceEnrollmentWindowsHelloForBusinessConfiguration`.
    WindowsHelloForBusiness,
    /// `windowsRestoreDeviceEnrollmentConfiguration` (beta only).
    WindowsRestore,
}

/// The JSON shape of a property and the limits Intune enforces on it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// Not nullable: Intune refuses `null`.
    Bool,
    Int {
        min: i64,
        max: i64,
        nullable: bool,
    },
    Text {
        max_chars: usize,
        nullable: bool,
    },
    /// A collection of GUID strings.
    GuidList {
        max_items: usize,
    },
    /// A string enum.
    Choice(&'static [&'static str]),
    /// A complex value (platform restrictions); kept as sent.
    Object,
}

/// A property of a derived type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Property {
    pub name: &'static str,
    pub shape: Shape,
    /// v1.0's CSDL has it (beta has every property).
    pub in_v1: bool,
}

const fn property(name: &'static str, shape: Shape, in_v1: bool) -> Property {
    Property { name, shape, in_v1 }
}

/// The documented ESP limits: message <= 10,000 characters, timeout 1..1440 minutes, at most 100 blocking apps.
pub const MAX_CUSTOM_ERROR_MESSAGE_CHARS: usize = 10_000;
pub const MAX_INSTALL_PROGRESS_TIMEOUT_MINUTES: i64 = 1_440;
pub const MAX_SELECTED_MOBILE_APPS: usize = 100;

/// v1.0's ESP has only `allowNonBlockingAppInstallation` beyond the base type; beta has all of them.
const ENROLLMENT_STATUS_PAGE: &[Property] = &[
    property("showInstallationProgress", Shape::Bool, false),
    property("blockDeviceSetupRetryByUser", Shape::Bool, false),
    property("allowDeviceResetOnInstallFailure", Shape::Bool, false),
    property("allowLogCollectionOnInstallFailure", Shape::Bool, false),
    property(
        "customErrorMessage",
        Shape::Text {
            max_chars: MAX_CUSTOM_ERROR_MESSAGE_CHARS,
            nullable: true,
        },
        false,
    ),
    property(
        "installProgressTimeoutInMinutes",
        Shape::Int {
            min: 1,
            max: MAX_INSTALL_PROGRESS_TIMEOUT_MINUTES,
            nullable: true,
        },
        false,
    ),
    property("allowDeviceUseOnInstallFailure", Shape::Bool, false),
    property(
        "selectedMobileAppIds",
        Shape::GuidList {
            max_items: MAX_SELECTED_MOBILE_APPS,
        },
        false,
    ),
    property("allowNonBlockingAppInstallation", Shape::Bool, true),
    property("installQualityUpdates", Shape::Bool, false),
    property("trackInstallProgressForAutopilotOnly", Shape::Bool, false),
    property(
        "disableUserStatusTrackingAfterFirstUser",
        Shape::Bool,
        false,
    ),
];

/// The portal offers 1..15 devices per user.
const LIMIT: &[Property] = &[property(
    "limit",
    Shape::Int {
        min: 1,
        max: 15,
        nullable: false,
    },
    true,
)];

const PLATFORM_RESTRICTIONS: &[Property] = &[
    property("iosRestriction", Shape::Object, true),
    property("windowsRestriction", Shape::Object, true),
    property("windowsHomeSkuRestriction", Shape::Object, false),
    property("windowsMobileRestriction", Shape::Object, true),
    property("androidRestriction", Shape::Object, true),
    property("androidForWorkRestriction", Shape::Object, false),
    property("macRestriction", Shape::Object, false),
    property("macOSRestriction", Shape::Object, true),
];

const ENABLEMENT: &[&str] = &["notConfigured", "enabled", "disabled"];
const CHARACTER_USAGE: &[&str] = &["allowed", "required", "disallowed"];

const WINDOWS_HELLO_FOR_BUSINESS: &[Property] = &[
    property(
        "pinMinimumLength",
        Shape::Int {
            min: 4,
            max: 127,
            nullable: false,
        },
        true,
    ),
    property(
        "pinMaximumLength",
        Shape::Int {
            min: 4,
            max: 127,
            nullable: false,
        },
        true,
    ),
    property(
        "pinUppercaseCharactersUsage",
        Shape::Choice(CHARACTER_USAGE),
        true,
    ),
    property(
        "pinLowercaseCharactersUsage",
        Shape::Choice(CHARACTER_USAGE),
        true,
    ),
    property(
        "pinSpecialCharactersUsage",
        Shape::Choice(CHARACTER_USAGE),
        true,
    ),
    property("state", Shape::Choice(ENABLEMENT), true),
    property("securityDeviceRequired", Shape::Bool, true),
    property("unlockWithBiometricsEnabled", Shape::Bool, true),
    property("remotePassportEnabled", Shape::Bool, true),
    property(
        "pinPreviousBlockCount",
        Shape::Int {
            min: 0,
            max: 50,
            nullable: false,
        },
        true,
    ),
    property(
        "pinExpirationInDays",
        Shape::Int {
            min: 0,
            max: 730,
            nullable: false,
        },
        true,
    ),
    property("enhancedBiometricsState", Shape::Choice(ENABLEMENT), true),
    property("securityKeyForSignIn", Shape::Choice(ENABLEMENT), false),
    property(
        "enhancedSignInSecurity",
        Shape::Int {
            min: 0,
            max: 2,
            nullable: false,
        },
        false,
    ),
];

const WINDOWS_RESTORE: &[Property] = &[property("state", Shape::Choice(ENABLEMENT), false)];

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::EnrollmentStatusPage,
        Kind::Limit,
        Kind::PlatformRestrictions,
        Kind::WindowsHelloForBusiness,
        Kind::WindowsRestore,
    ];

    /// The type's name in Graph's `microsoft.graph` namespace.
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::EnrollmentStatusPage => "windows10EnrollmentCompletionPageConfiguration",
            Kind::Limit => "deviceEnrollmentLimitConfiguration",
            Kind::PlatformRestrictions => "deviceEnrollmentPlatformRestrictionsConfiguration",
            Kind::WindowsHelloForBusiness => "deviceEnrollmentWindowsHelloForBusinessConfiguration",
            Kind::WindowsRestore => "windowsRestoreDeviceEnrollmentConfiguration",
        }
    }

    /// `#microsoft.graph.{type}`, as `@odata.type` carries it.
    pub fn odata_type(self) -> String {
        format!("#microsoft.graph.{}", self.type_name())
    }

    /// The `deviceEnrollmentConfigurationType` value. Real payloads report the plain type even for the tenant's
    /// defaults (the default ESP says `windows10EnrollmentCompletionPageConfiguration`, not `default…`).
    pub fn configuration_type(self) -> &'static str {
        match self {
            Kind::EnrollmentStatusPage => "windows10EnrollmentCompletionPageConfiguration",
            Kind::Limit => "limit",
            Kind::PlatformRestrictions => "platformRestrictions",
            Kind::WindowsHelloForBusiness => "windowsHelloForBusiness",
            Kind::WindowsRestore => "windowsRestore",
        }
    }

    /// What follows `{guid}_` in the id of a configuration of this type.
    pub fn id_suffix(self) -> &'static str {
        match self {
            Kind::EnrollmentStatusPage => "Windows10EnrollmentCompletionPageConfiguration",
            Kind::Limit => "Limit",
            Kind::PlatformRestrictions => "PlatformRestrictions",
            Kind::WindowsHelloForBusiness => "WindowsHelloForBusiness",
            Kind::WindowsRestore => "WindowsRestore",
        }
    }

    /// The properties beyond the base type (all of them: beta's set).
    pub fn properties(self) -> &'static [Property] {
        match self {
            Kind::EnrollmentStatusPage => ENROLLMENT_STATUS_PAGE,
            Kind::Limit => LIMIT,
            Kind::PlatformRestrictions => PLATFORM_RESTRICTIONS,
            Kind::WindowsHelloForBusiness => WINDOWS_HELLO_FOR_BUSINESS,
            Kind::WindowsRestore => WINDOWS_RESTORE,
        }
    }

    /// The property `name` as `version` exposes it.
    pub fn property(self, name: &str, version: ApiVersion) -> Option<Property> {
        self.properties()
            .iter()
            .find(|p| p.name == name && (version == ApiVersion::Beta || p.in_v1))
            .copied()
    }

    /// Whether `version` has this type at all.
    pub fn in_version(self, version: ApiVersion) -> bool {
        version == ApiVersion::Beta || self != Kind::WindowsRestore
    }

    /// The type an `@odata.type` names (`#microsoft.graph.x` or `microsoft.graph.x`: OData type names are
    /// qualified), in `version`.
    pub fn from_odata_type(text: &str, version: ApiVersion) -> Option<Kind> {
        let text = text.strip_prefix('#').unwrap_or(text);
        let name = text.strip_prefix("microsoft.graph.")?;
        Kind::ALL
            .into_iter()
            .find(|kind| kind.type_name() == name && kind.in_version(version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odata_types_resolve_in_every_spelling_and_only_where_the_version_has_them() {
        for text in [
            "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration",
            "microsoft.graph.windows10EnrollmentCompletionPageConfiguration",
        ] {
            assert_eq!(
                Kind::from_odata_type(text, ApiVersion::V1),
                Some(Kind::EnrollmentStatusPage)
            );
        }
        assert_eq!(
            Kind::from_odata_type(
                "#microsoft.graph.windowsRestoreDeviceEnrollmentConfiguration",
                ApiVersion::V1
            ),
            None
        );
        assert_eq!(
            Kind::from_odata_type(
                "#microsoft.graph.deviceEnrollmentConfiguration",
                ApiVersion::Beta
            ),
            None
        );
    }

    #[test]
    fn v1_has_only_the_non_blocking_flag_beyond_the_base() {
        let v1: Vec<&str> = Kind::EnrollmentStatusPage
            .properties()
            .iter()
            .filter(|p| p.in_v1)
            .map(|p| p.name)
            .collect();
        assert_eq!(v1, ["allowNonBlockingAppInstallation"]);
        assert!(
            Kind::EnrollmentStatusPage
                .property("showInstallationProgress", ApiVersion::V1)
                .is_none()
        );
    }
}
