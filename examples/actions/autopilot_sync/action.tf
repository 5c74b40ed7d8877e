# Sync on request: terraform apply -invoke=action.autopilot_sync.now
action "autopilot_sync" "now" {}

variable "kiosk_hardware_hash" {
  type        = string
  description = "The device's 4K hardware hash, as Get-WindowsAutopilotInfo writes it."
}

# Or after every registration and change of a device, so its group tag reaches Entra ID (and the dynamic groups
# that pick its profile) without waiting for the service's periodic sync.
resource "autopilot_device_identity" "kiosk" {
  serial_number = "PF3ABC12"
  hardware_hash = var.kiosk_hardware_hash
  group_tag     = "Kiosk"

  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.autopilot_sync.now]
    }
  }
}
