# A Partner Center CSV (manufacturer and model, no hashes), read into a list of devices.
locals {
  partner_devices = provider::autopilot::parse_autopilot_csv(file("${path.module}/devices.csv"))
}

output "partner_serial_numbers" {
  value = [for device in local.partner_devices : device.serial_number]
}

output "models" {
  value = distinct([for device in local.partner_devices : "${device.manufacturer} ${device.model}"])
}
