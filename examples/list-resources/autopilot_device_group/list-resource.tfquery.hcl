# The dynamic groups that collect Autopilot devices and whose names start with "Autopilot".
list "autopilot_device_group" "autopilot" {
  provider         = autopilot
  include_resource = true

  config {
    display_name_prefix = "Autopilot"
    # autopilot_only = false lists every group of the tenant.
  }
}
