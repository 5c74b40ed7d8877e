output "device_group_id" {
  description = "Object id of the Autopilot device group."
  value       = autopilot_device_group.devices.id
}

output "enrollment_status_page_id" {
  description = "Id of the Enrollment Status Page."
  value       = autopilot_enrollment_status_page.esp.id
}

output "deployment_profile_id" {
  description = "Id of the deployment profile."
  value       = autopilot_deployment_profile.user_driven.id
}
