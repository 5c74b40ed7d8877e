# A group another team manages, found by its exact display name.
data "autopilot_device_group" "kiosks" {
  display_name = "Autopilot kiosk devices"
}

# The same lookup by object id, which is unique where display names are not.
data "autopilot_device_group" "pilot" {
  id = "0f8fad5b-d9cb-469f-a165-70867728950e"
}

# Target the looked-up group with a deployment profile.
resource "autopilot_deployment_profile" "kiosk" {
  display_name       = "Autopilot kiosk"
  assigned_group_ids = [data.autopilot_device_group.kiosks.id]
}
