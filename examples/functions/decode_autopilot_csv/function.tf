# Get-WindowsAutopilotInfo on Windows PowerShell 5 writes UTF-16 with a byte order mark, which file() refuses;
# filebase64() reads the bytes and decode_autopilot_csv() decodes them.
locals {
  devices = {
    for device in provider::autopilot::decode_autopilot_csv(filebase64("${path.module}/devices.csv")) :
    device.serial_number => device
  }
}

resource "autopilot_device_identity" "fleet" {
  for_each = local.devices

  serial_number       = each.key
  hardware_hash       = each.value.hardware_hash
  product_key         = each.value.product_key
  group_tag           = each.value.group_tag
  user_principal_name = each.value.assigned_user
}
