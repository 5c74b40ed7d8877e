# The deployment profiles whose names start with "Sales".
list "autopilot_deployment_profile" "sales" {
  provider         = autopilot
  include_resource = true

  config {
    display_name_prefix = "Sales"
  }
}
