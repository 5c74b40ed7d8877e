# Register a fleet from the CSV files Get-WindowsAutopilotInfo writes
# (Get-WindowsAutopilotInfo -OutputFile devices.csv [-GroupTag Sales] [-AssignedUser ada@contoso.com]).
# Its headers are "Device Serial Number", "Windows Product ID", "Hardware Hash" and, optionally, "Group Tag" and
# "Assigned User"; Terraform's own csvdecode reads it (save it as UTF-8 or ASCII). Blank cells mean "not set".
locals {
  autopilot_rows = csvdecode(file("${path.module}/devices.csv"))
  # One entry per serial number, so adding or removing a row touches only that device.
  autopilot_devices = { for row in local.autopilot_rows : row["Device Serial Number"] => row }
}

resource "autopilot_device_identity" "fleet" {
  for_each = local.autopilot_devices

  serial_number       = each.key
  hardware_hash       = each.value["Hardware Hash"]
  product_key         = each.value["Windows Product ID"]
  group_tag           = try(each.value["Group Tag"], "")
  user_principal_name = try(each.value["Assigned User"], "") != "" ? each.value["Assigned User"] : null
}

# Devices tagged "Sales" land in this group (the tag becomes [OrderID]:Sales on their Entra device objects);
# assign a deployment profile to it.
resource "autopilot_device_group" "sales" {
  display_name    = "Autopilot devices - Sales"
  membership_rule = "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Sales\"))"
}

# One device with everything set: its name for OOBE, an assigned user with the name the sign-in page greets them
# with, and an apply that waits until Intune reports a deployment profile assigned.
resource "autopilot_device_identity" "reception" {
  serial_number               = "5CG9876XYZ"
  hardware_hash               = var.reception_hardware_hash
  group_tag                   = "Sales"
  display_name                = "SALES-RECEPT01"
  user_principal_name         = "alex.wilber@contoso.com"
  addressable_user_name       = "Alex"
  wait_for_profile_assignment = true

  timeouts {
    create = "1h" # Intune may take a while to assign the profile
  }
}

variable "reception_hardware_hash" {
  description = "The \"Hardware Hash\" column of the reception PC's Get-WindowsAutopilotInfo CSV."
  type        = string
}
