# Everything Autopilot in the tenant, each with its full object (include_resource) so that
# `terraform query -generate-config-out=generated.tf` can write its configuration and import block.

list "autopilot_device_group" "groups" {
  provider         = autopilot
  include_resource = true
  # By default only groups whose rule collects Autopilot devices ([ZTDId], [OrderID], [PurchaseOrderId]).
}

list "autopilot_enrollment_status_page" "esps" {
  provider         = autopilot
  include_resource = true
}

list "autopilot_deployment_profile" "profiles" {
  provider         = autopilot
  include_resource = true
}

list "autopilot_device_identity" "devices" {
  provider         = autopilot
  include_resource = true
  # Terraform stops at 100 results unless told otherwise.
  limit = 5000
}
