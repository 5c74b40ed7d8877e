# A device an OEM registered, by its serial number (blanks and hyphens of virtual machines' serials work).
data "autopilot_device_identity" "lab_vm" {
  serial_number = "VMware-56 4d 8a 1b 2c 3d 4e 5f-60 71 82 93 a4 b5 c6 d7"
}

output "lab_vm_profile_status" {
  value = data.autopilot_device_identity.lab_vm.deployment_profile_assignment_status
}
