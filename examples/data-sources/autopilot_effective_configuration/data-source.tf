# Why does this device get its enrollment status page?
data "autopilot_effective_configuration" "kiosk" {
  serial_number = "PF3X9A1B"
}

output "kiosk_esp" {
  value = data.autopilot_effective_configuration.kiosk.enrollment_status_page_name
}

output "kiosk_why" {
  value = data.autopilot_effective_configuration.kiosk.reasons
}
