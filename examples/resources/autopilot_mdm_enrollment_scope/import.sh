# The MDM enrollment scope is Intune's MDM policy, a tenant singleton with a fixed id.
terraform import autopilot_mdm_enrollment_scope.intune 0000000a-0000-0000-c000-000000000000
