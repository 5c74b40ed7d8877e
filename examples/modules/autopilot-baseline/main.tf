# A tenant's Autopilot baseline for user-driven Microsoft Entra join: the device group, the Enrollment Status
# Page assigned to it, and the deployment profile assigned to it. Reused per tenant through provider aliases
# (see ../../multi-tenant).

locals {
  membership_rule = var.group_tag == null ? "(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))" : "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:${var.group_tag}\"))"
  scope           = var.group_tag == null ? "all Autopilot devices" : "Autopilot devices tagged ${var.group_tag}"
}

resource "autopilot_device_group" "devices" {
  display_name    = "${var.name_prefix} devices"
  description     = "Baseline target: ${local.scope}"
  membership_rule = local.membership_rule
}

resource "autopilot_enrollment_status_page" "esp" {
  display_name                            = "${var.name_prefix} ESP"
  description                             = "Enrollment Status Page for ${local.scope}"
  install_progress_timeout_in_minutes     = var.esp_timeout_minutes
  allow_log_collection_on_install_failure = true
  priority                                = var.esp_priority
  assigned_group_ids                      = [autopilot_device_group.devices.id]
}

resource "autopilot_deployment_profile" "user_driven" {
  display_name         = "${var.name_prefix} user-driven Entra join"
  description          = "Deployment profile for ${local.scope}"
  locale               = var.locale
  device_name_template = var.device_name_template
  assigned_group_ids   = [autopilot_device_group.devices.id]
}
