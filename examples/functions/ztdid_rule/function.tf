# The tutorial's group of every Autopilot device.
resource "autopilot_device_group" "autopilot_devices" {
  display_name    = "Autopilot devices"
  membership_rule = provider::autopilot::ztdid_rule()
  # (device.devicePhysicalIds -any (_ -startsWith "[ZTDId]"))
}
