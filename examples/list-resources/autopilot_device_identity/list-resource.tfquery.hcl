# The first 500 devices tagged "Kiosk" that have not enrolled yet.
list "autopilot_device_identity" "kiosks" {
  provider         = autopilot
  include_resource = true
  limit            = 500

  config {
    group_tag        = "Kiosk"
    enrollment_state = "notContacted"
  }
}
