# The user-driven Microsoft Entra join tutorial as code.
# Step 1: the Autopilot device groups. (The ESP, the deployment profile and device registration follow as their
# resources land.)

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

# "Create a device group": every Autopilot device.
resource "autopilot_device_group" "autopilot_devices" {
  display_name    = "Autopilot devices"
  description     = "Every device registered with Windows Autopilot"
  membership_rule = "(device.devicePhysicalIds -any (_ -contains \"[ZTDId]\"))"
}

# A group per group tag, for targeting one department's devices.
resource "autopilot_device_group" "group_tag" {
  display_name    = "Autopilot devices - ${var.group_tag}"
  description     = "Autopilot devices imported with group tag ${var.group_tag}"
  membership_rule = "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:${var.group_tag}\"))"
}

output "autopilot_devices_group_id" {
  value = autopilot_device_group.autopilot_devices.id
}

output "group_tag_group_id" {
  value = autopilot_device_group.group_tag.id
}

output "group_tag_mail_nickname" {
  value = autopilot_device_group.group_tag.mail_nickname
}
