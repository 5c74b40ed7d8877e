# A dynamic group of the Autopilot devices registered with group tag "Kiosk".
resource "autopilot_device_group" "kiosks" {
  display_name    = "Autopilot kiosks"
  membership_rule = provider::autopilot::group_tag_rule("Kiosk")
  # (device.devicePhysicalIds -any (_ -eq "[OrderID]:Kiosk"))
}
