# Every device registered with Windows Autopilot (its Entra device carries a [ZTDId] physical id).
resource "autopilot_device_group" "all_autopilot" {
  display_name    = "Autopilot devices"
  description     = "Every device registered with Windows Autopilot"
  membership_rule = "(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))"
}

# Devices imported with the group tag "Sales" (the tag becomes [OrderID]:Sales on the Entra device).
resource "autopilot_device_group" "sales" {
  display_name    = "Autopilot devices - Sales"
  membership_rule = "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Sales\"))"
}

# An assigned group with an explicit list of device object ids.
resource "autopilot_device_group" "pilot" {
  display_name  = "Autopilot pilot devices"
  mail_nickname = "autopilot-pilot"
  members       = ["0f8fad5b-d9cb-469f-a165-70867728950e"]
}
