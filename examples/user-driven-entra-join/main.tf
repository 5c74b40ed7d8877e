# The user-driven Microsoft Entra join tutorial as code, step by step (see README.md beside this file).

terraform {
  required_providers {
    autopilot = {
      source = "example/autopilot"
    }
  }
}

# Configured from ARM_TENANT_ID, ARM_CLIENT_ID, ARM_CLIENT_SECRET, and for the local emulator
# AUTOPILOT_GRAPH_ENDPOINT and AUTOPILOT_AUTHORITY_HOST.
provider "autopilot" {}

variable "group_tag" {
  description = "The Autopilot group tag of the devices this deployment targets."
  type        = string
  default     = "Sales"
}

# Prerequisite "Allow users to join devices to Microsoft Entra ID": the device's user must be allowed to join it.
# Settings not written here (device quota, MFA, local administrators) keep the tenant's values; destroy leaves the
# policy as it is.
resource "autopilot_device_registration_policy" "tenant" {
  entra_join_allowed = "all"
}

# Step 1, "Create a device group": every Autopilot device (the provider function writes the rule Autopilot
# groups use: devices with a [ZTDId] physical id)...
resource "autopilot_device_group" "autopilot_devices" {
  display_name    = "Autopilot devices"
  description     = "Every device registered with Windows Autopilot"
  membership_rule = provider::autopilot::ztdid_rule()
}

# ...and a group per group tag, for targeting one department's devices ([OrderID]:<tag>, quotes escaped).
resource "autopilot_device_group" "group_tag" {
  display_name    = "Autopilot devices - ${var.group_tag}"
  description     = "Autopilot devices imported with group tag ${var.group_tag}"
  membership_rule = provider::autopilot::group_tag_rule(var.group_tag)
}

# Step 2, "Configure and assign the Enrollment Status Page": show app and profile progress, wait up to 60
# minutes, and (as the tutorial suggests while testing) let users collect logs, reset or use the device when
# something fails.
resource "autopilot_enrollment_status_page" "autopilot" {
  display_name                            = "Autopilot ESP"
  description                             = "Enrollment Status Page for Autopilot devices"
  show_installation_progress              = true
  install_progress_timeout_in_minutes     = 60
  allow_log_collection_on_install_failure = true
  allow_device_reset_on_install_failure   = true
  allow_device_use_on_install_failure     = true
  priority                                = 1
  assigned_group_ids                      = [autopilot_device_group.autopilot_devices.id]
}

# Step 3, "Create and assign the Autopilot deployment profile": user-driven, Microsoft Entra joined, license
# terms, privacy settings and change-account options hidden, standard user, keyboard configured automatically,
# the operating system's language, no name template. These are the provider's defaults, spelled out here.
resource "autopilot_deployment_profile" "user_driven" {
  display_name                    = "Autopilot user-driven Entra join"
  description                     = "User-driven Microsoft Entra join, as in the tutorial"
  join_type                       = "entra_joined"
  deployment_mode                 = "user_driven"
  eula_hidden                     = true
  privacy_settings_hidden         = true
  escape_link_hidden              = true
  keyboard_selection_page_skipped = true
  user_type                       = "standard"
  locale                          = "os-default"
  assigned_group_ids              = [autopilot_device_group.autopilot_devices.id]
}

# Step 4, "Import devices" and "Assign a user": register the devices of a Get-WindowsAutopilotInfo CSV (made-up
# serials and hashes here) with their group tag, and the assigned user where the CSV names one. Step 5, "Verify
# the profile is assigned": each apply waits until Intune reports the deployment profile assigned.
# parse_autopilot_csv checks the CSV at plan time (headers as Intune matches them, each hash, duplicate serials) and
# gives blank cells as null; for a UTF-16 file from Windows PowerShell 5, use
# provider::autopilot::decode_autopilot_csv(filebase64("devices.csv")).
locals {
  devices = { for d in provider::autopilot::parse_autopilot_csv(file("${path.module}/devices.csv")) : d.serial_number => d }
}

resource "autopilot_device_identity" "fleet" {
  for_each = local.devices

  serial_number               = each.key
  hardware_hash               = each.value.hardware_hash
  group_tag                   = each.value.group_tag
  user_principal_name         = each.value.assigned_user
  wait_for_profile_assignment = true

  # The profile must exist and be assigned before waiting for it makes sense.
  depends_on = [autopilot_deployment_profile.user_driven]
}

output "autopilot_devices_group_id" {
  value = autopilot_device_group.autopilot_devices.id
}

output "group_tag_group_id" {
  value = autopilot_device_group.group_tag.id
}

output "enrollment_status_page_id" {
  value = autopilot_enrollment_status_page.autopilot.id
}

output "deployment_profile_id" {
  value = autopilot_deployment_profile.user_driven.id
}

output "device_profile_status" {
  description = "Each registered device's deployment profile assignment status, by serial number."
  value       = { for serial, device in autopilot_device_identity.fleet : serial => device.deployment_profile_assignment_status }
}
