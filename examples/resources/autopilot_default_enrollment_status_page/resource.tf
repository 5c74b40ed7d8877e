# The ESP every device gets when no custom ESP targets it: show progress, give up after 90 minutes, and let the
# user collect logs. Settings left out keep the tenant's values.
resource "autopilot_default_enrollment_status_page" "tenant" {
  show_installation_progress              = true
  install_progress_timeout_in_minutes     = 90
  allow_log_collection_on_install_failure = true
  custom_error_message                    = "Setup could not finish. Contact the service desk."
}
