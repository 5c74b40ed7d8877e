//! The application permissions (app roles) Graph accepts for each call the provider makes, from
//! graph-api-next.md 15 and graph-api.md 1 and 5 ("Permissions"). The emulator refuses a call whose token carries
//! none of them, the way Graph does; the provider names them when Graph refuses one of its calls with 403, so a user
//! reads which permission the app registration lacks. One table, so the two cannot disagree.
//!
//! Each list is in the documentation's order: least privileged first, so its first entry is the one to grant.

/// Which service answers a call, and so which 403 body a refusal has (Entra's `Authorization_RequestDenied` or
/// Intune's `Forbidden` with a JSON message listing the accepted scopes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Entra,
    Intune,
}

/// The app roles a call accepts, any one of which suffices. An empty list means application permissions are not
/// supported at all (delegated only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    pub service: Service,
    pub accepted: &'static [&'static str],
    /// The delegated permissions (`scp`) a signed-in user's token needs, any one of which suffices. For most calls
    /// they have the application permissions' names; `None` means exactly those.
    pub delegated: Option<&'static [&'static str]>,
}

impl Requirement {
    /// Whether a token with these roles may make the call.
    pub fn allows<S: AsRef<str>>(&self, roles: &[S]) -> bool {
        roles
            .iter()
            .any(|role| self.accepted.contains(&role.as_ref()))
    }

    /// Whether only delegated (user) tokens may make the call.
    pub fn delegated_only(&self) -> bool {
        self.accepted.is_empty()
    }

    /// The delegated permissions a user's token may carry for the call, least privileged first.
    pub fn delegated_accepted(&self) -> &'static [&'static str] {
        self.delegated.unwrap_or(self.accepted)
    }

    /// Whether a delegated token with these scopes may make the call.
    pub fn allows_delegated<S: AsRef<str>>(&self, scopes: &[S]) -> bool {
        let accepted = self.delegated_accepted();
        scopes
            .iter()
            .any(|scope| accepted.contains(&scope.as_ref()))
    }
}

const GROUP_READ: &[&str] = &[
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const GROUP_CREATE: &[&str] = &[
    "Group.Create",
    "Group.ReadWrite.All",
    "Directory.ReadWrite.All",
];
const GROUP_WRITE: &[&str] = &["Group.ReadWrite.All", "Directory.ReadWrite.All"];
const GROUP_MEMBER_WRITE: &[&str] = &[
    "GroupMember.ReadWrite.All",
    "Group.ReadWrite.All",
    "Directory.ReadWrite.All",
];
const DEVICE_READ: &[&str] = &[
    "Device.Read.All",
    "Directory.Read.All",
    "Device.ReadWrite.All",
    "Directory.ReadWrite.All",
];
// Entra device writes are not in the reference; the emulator's test routes (POST /devices) need some role.
const DEVICE_WRITE: &[&str] = &["Device.ReadWrite.All", "Directory.ReadWrite.All"];
const DIRECTORY_READ: &[&str] = &["Directory.Read.All", "Directory.ReadWrite.All"];
const POLICY_READ: &[&str] = &[
    "Policy.Read.DeviceConfiguration",
    "Policy.ReadWrite.DeviceConfiguration",
];
const POLICY_WRITE: &[&str] = &["Policy.ReadWrite.DeviceConfiguration"];
const SERVICE_CONFIG_READ: &[&str] = &[
    "DeviceManagementServiceConfig.Read.All",
    "DeviceManagementServiceConfig.ReadWrite.All",
];
const SERVICE_CONFIG_WRITE: &[&str] = &["DeviceManagementServiceConfig.ReadWrite.All"];
// The reference lists DeviceManagementConfiguration.* beside ServiceConfig for ESP writes and profile reads; for ESP
// reads it names only the least privileged role, so the Configuration read roles are assumed to be accepted too.
const SERVICE_OR_CONFIGURATION_READ: &[&str] = &[
    "DeviceManagementServiceConfig.Read.All",
    "DeviceManagementServiceConfig.ReadWrite.All",
    "DeviceManagementConfiguration.Read.All",
    "DeviceManagementConfiguration.ReadWrite.All",
];
const SERVICE_OR_CONFIGURATION_WRITE: &[&str] = &[
    "DeviceManagementServiceConfig.ReadWrite.All",
    "DeviceManagementConfiguration.ReadWrite.All",
];
const CONFIGURATION_READ: &[&str] = &[
    "DeviceManagementConfiguration.Read.All",
    "DeviceManagementConfiguration.ReadWrite.All",
];
const CONFIGURATION_WRITE: &[&str] = &["DeviceManagementConfiguration.ReadWrite.All"];
const RBAC_READ: &[&str] = &[
    "DeviceManagementRBAC.Read.All",
    "DeviceManagementRBAC.ReadWrite.All",
    "DeviceManagementConfiguration.Read.All",
    "DeviceManagementConfiguration.ReadWrite.All",
];
const RBAC_WRITE: &[&str] = &[
    "DeviceManagementRBAC.ReadWrite.All",
    "DeviceManagementConfiguration.ReadWrite.All",
];
const DELEGATED_ONLY: &[&str] = &[];
// mobileDeviceManagementPolicies (graph-api-next.md 11) accept no application permission at all; a user's token
// reads with Policy.Read.All or the write permission, and writes only with Policy.ReadWrite.MobilityManagement.
const MOBILITY_READ: &[&str] = &["Policy.Read.All", "Policy.ReadWrite.MobilityManagement"];
const MOBILITY_WRITE: &[&str] = &["Policy.ReadWrite.MobilityManagement"];

const TABLES: &[&[&str]] = &[
    GROUP_READ,
    GROUP_CREATE,
    GROUP_WRITE,
    GROUP_MEMBER_WRITE,
    DEVICE_READ,
    DEVICE_WRITE,
    DIRECTORY_READ,
    POLICY_READ,
    POLICY_WRITE,
    SERVICE_CONFIG_READ,
    SERVICE_CONFIG_WRITE,
    SERVICE_OR_CONFIGURATION_READ,
    SERVICE_OR_CONFIGURATION_WRITE,
    CONFIGURATION_READ,
    CONFIGURATION_WRITE,
    RBAC_READ,
    RBAC_WRITE,
];

/// Every role the table knows, sorted: what an app with every permission this provider could need carries.
pub fn all_roles() -> Vec<&'static str> {
    let mut roles: Vec<&'static str> = TABLES.iter().flat_map(|t| t.iter().copied()).collect();
    roles.sort_unstable();
    roles.dedup();
    roles
}

/// Every delegated permission the table knows, sorted: what a signed-in user who consented to everything this
/// provider could need carries in `scp`.
pub fn all_delegated_scopes() -> Vec<&'static str> {
    let mut scopes = all_roles();
    scopes.extend(MOBILITY_READ.iter().chain(MOBILITY_WRITE).copied());
    scopes.sort_unstable();
    scopes.dedup();
    scopes
}

/// The permission a call needs: `method` as HTTP spells it, `segments` the path after the version
/// (`["groups", "{id}", "members", "$ref"]`), percent-decoded. `None` for paths outside the table (`$batch` checks
/// each inner request instead; unknown paths are refused for other reasons).
pub fn required(method: &str, segments: &[&str]) -> Option<Requirement> {
    let read = matches!(method, "GET" | "HEAD");
    let entra = |accepted| {
        Some(Requirement {
            service: Service::Entra,
            accepted,
            delegated: None,
        })
    };
    let intune = |accepted| {
        Some(Requirement {
            service: Service::Intune,
            accepted,
            delegated: None,
        })
    };
    let by_verb = |reads, writes| if read { reads } else { writes };
    let is_action = |segment: &str, name: &str| {
        segment == name
            || segment.strip_prefix("microsoft.graph.") == Some(name)
            || segment.strip_prefix("graph.") == Some(name)
    };
    match segments {
        ["groups"] => entra(by_verb(GROUP_READ, GROUP_CREATE)),
        // evaluateDynamicMembership only evaluates a rule: a read, whatever its verb.
        ["groups", action] | ["groups", _, action]
            if is_action(action, "evaluateDynamicMembership") =>
        {
            entra(GROUP_READ)
        }
        ["groups", _, "members", ..] => entra(by_verb(GROUP_READ, GROUP_MEMBER_WRITE)),
        ["groups", ..] => entra(by_verb(GROUP_READ, GROUP_WRITE)),
        ["directory", "deletedItems", ..] => entra(by_verb(GROUP_READ, GROUP_WRITE)),
        ["devices", ..] => entra(by_verb(DEVICE_READ, DEVICE_WRITE)),
        // getByIds is a POST that only reads.
        ["directoryObjects", ..] => entra(DIRECTORY_READ),
        ["policies", "deviceRegistrationPolicy", ..] => entra(by_verb(POLICY_READ, POLICY_WRITE)),
        ["policies", "mobileDeviceManagementPolicies", ..] => Some(Requirement {
            service: Service::Entra,
            accepted: DELEGATED_ONLY,
            delegated: Some(by_verb(MOBILITY_READ, MOBILITY_WRITE)),
        }),
        ["deviceManagement", "deviceEnrollmentConfigurations", ..] => intune(by_verb(
            SERVICE_OR_CONFIGURATION_READ,
            SERVICE_OR_CONFIGURATION_WRITE,
        )),
        ["deviceManagement", "windowsAutopilotDeploymentProfiles", ..] => {
            intune(by_verb(SERVICE_OR_CONFIGURATION_READ, SERVICE_CONFIG_WRITE))
        }
        [
            "deviceManagement",
            "windowsAutopilotDeviceIdentities" | "importedWindowsAutopilotDeviceIdentities",
            ..,
        ] => intune(by_verb(SERVICE_CONFIG_READ, SERVICE_CONFIG_WRITE)),
        ["deviceManagement", "windowsAutopilotSettings", ..] => {
            intune(by_verb(SERVICE_CONFIG_READ, SERVICE_OR_CONFIGURATION_WRITE))
        }
        ["deviceManagement", "assignmentFilters", ..] => {
            intune(by_verb(CONFIGURATION_READ, CONFIGURATION_WRITE))
        }
        ["deviceManagement", "roleScopeTags", ..] => intune(by_verb(RBAC_READ, RBAC_WRITE)),
        _ => None,
    }
}

/// [`required`] for a request path as a client holds it (`/v1.0/groups/x?$select=id` or the path after the version).
pub fn required_for_path(method: &str, path: &str) -> Option<Requirement> {
    let path = path.split(['?', '#']).next().unwrap_or("");
    let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if matches!(segments.first(), Some(&("v1.0" | "beta"))) {
        segments.remove(0);
    }
    required(method, &segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepted(method: &str, path: &str) -> &'static [&'static str] {
        required_for_path(method, path)
            .expect("the table covers it")
            .accepted
    }

    #[test]
    fn each_call_names_its_least_privileged_role_first() {
        assert_eq!(accepted("GET", "/v1.0/groups/g1")[0], "Group.Read.All");
        assert_eq!(accepted("POST", "/v1.0/groups")[0], "Group.Create");
        assert_eq!(
            accepted("PATCH", "/v1.0/groups/g1")[0],
            "Group.ReadWrite.All"
        );
        assert_eq!(
            accepted("POST", "/v1.0/groups/g1/members/$ref")[0],
            "GroupMember.ReadWrite.All"
        );
        assert_eq!(
            accepted(
                "POST",
                "/beta/deviceManagement/deviceEnrollmentConfigurations/x/assign"
            ),
            SERVICE_OR_CONFIGURATION_WRITE
        );
        assert_eq!(
            accepted(
                "POST",
                "/beta/deviceManagement/windowsAutopilotDeploymentProfiles"
            ),
            ["DeviceManagementServiceConfig.ReadWrite.All"]
        );
        assert_eq!(
            accepted("GET", "/beta/deviceManagement/assignmentFilters?$top=1"),
            CONFIGURATION_READ
        );
        assert!(
            required_for_path("GET", "/beta/policies/mobileDeviceManagementPolicies/x")
                .unwrap()
                .delegated_only()
        );
        assert_eq!(required_for_path("POST", "/v1.0/$batch"), None);
    }

    #[test]
    fn the_mdm_scope_takes_a_users_read_or_write_permission_and_no_app_role() {
        let read =
            required_for_path("GET", "/beta/policies/mobileDeviceManagementPolicies").unwrap();
        assert!(read.allows_delegated(&["Policy.Read.All"]));
        assert!(read.allows_delegated(&["Policy.ReadWrite.MobilityManagement"]));
        assert!(!read.allows(&all_roles()));
        let write = required_for_path(
            "POST",
            "/beta/policies/mobileDeviceManagementPolicies/x/includedGroups/$ref",
        )
        .unwrap();
        assert!(!write.allows_delegated(&["Policy.Read.All"]));
        assert_eq!(
            write.delegated_accepted(),
            ["Policy.ReadWrite.MobilityManagement"]
        );
        assert!(write.allows_delegated(&all_delegated_scopes()));
        // Elsewhere a user's token needs the application permission's name.
        let groups = required_for_path("GET", "/v1.0/groups").unwrap();
        assert!(groups.allows_delegated(&["Group.Read.All"]));
        assert!(!groups.allows_delegated(&["Policy.Read.All"]));
    }

    #[test]
    fn the_service_decides_the_refusal_and_write_roles_also_read() {
        let esp = required(
            "GET",
            &["deviceManagement", "deviceEnrollmentConfigurations"],
        )
        .unwrap();
        assert_eq!(esp.service, Service::Intune);
        assert!(esp.allows(&["DeviceManagementConfiguration.ReadWrite.All"]));
        assert!(!esp.allows(&["Group.ReadWrite.All"]));
        let groups = required("GET", &["groups"]).unwrap();
        assert_eq!(groups.service, Service::Entra);
        assert!(groups.allows(&["Group.ReadWrite.All"]));
        assert!(!groups.allows::<&str>(&[]));
    }

    #[test]
    fn all_roles_allow_every_application_call() {
        let all = all_roles();
        for (method, path) in [
            ("GET", "/groups"),
            ("DELETE", "/directory/deletedItems/x"),
            ("POST", "/devices"),
            ("PUT", "/policies/deviceRegistrationPolicy"),
            ("POST", "/deviceManagement/windowsAutopilotSettings/sync"),
            ("PATCH", "/deviceManagement/roleScopeTags/1"),
        ] {
            assert!(
                required_for_path(method, path).unwrap().allows(&all),
                "{method} {path}"
            );
        }
    }
}
