# A deployment profile made in the portal, found by its exact name.
data "autopilot_deployment_profile" "portal" {
  display_name = "Autopilot user-driven Entra join"
}

output "profile_groups" {
  value = data.autopilot_deployment_profile.portal.assigned_group_ids
}
