# The custom Enrollment Status Pages (the default ESP is never listed).
list "autopilot_enrollment_status_page" "all" {
  provider         = autopilot
  include_resource = true
}
