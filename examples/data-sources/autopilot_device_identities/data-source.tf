# Every Sales device that has no deployment profile yet.
data "autopilot_device_identities" "sales_unassigned" {
  group_tag                            = "Sales"
  deployment_profile_assignment_status = "notAssigned"
}

output "sales_serials_without_profile" {
  value = [for device in data.autopilot_device_identities.sales_unassigned.devices : device.serial_number]
}
