# A custom Enrollment Status Page another team manages, found by its exact name.
data "autopilot_enrollment_status_page" "standard" {
  display_name = "Autopilot ESP"
}

output "esp_timeout_minutes" {
  value = data.autopilot_enrollment_status_page.standard.install_progress_timeout_in_minutes
}
