# The devices this Enrollment Status Page applies to: every Windows Autopilot device.
resource "autopilot_device_group" "autopilot_devices" {
  display_name    = "Autopilot devices"
  membership_rule = "(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))"
}

# Hold Autopilot devices in setup until the listed apps are installed; let users collect logs and reset the device
# when something fails. Priority 1 wins over every other custom ESP assigned to the same device.
resource "autopilot_enrollment_status_page" "autopilot" {
  display_name                              = "Autopilot ESP"
  description                               = "Blocks until the line-of-business apps are installed"
  install_progress_timeout_in_minutes       = 90
  custom_error_message                      = "Setup could not be completed. Please contact the helpdesk."
  allow_log_collection_on_install_failure   = true
  allow_device_reset_on_install_failure     = true
  track_install_progress_for_autopilot_only = true
  selected_mobile_app_ids                   = ["9a4e3c2b-1d0f-4e8a-b7c6-5d4e3f2a1b0c"]
  priority                                  = 1
  assigned_group_ids                        = [autopilot_device_group.autopilot_devices.id]
}

# A fallback for everybody else, ranked after the Autopilot ESP.
resource "autopilot_enrollment_status_page" "everyone" {
  display_name                        = "Everyone else"
  install_progress_timeout_in_minutes = 60
  priority                            = 2
  assigned_to_all_devices             = true
  excluded_group_ids                  = [autopilot_device_group.autopilot_devices.id]
}
