# A registered device is imported by its Autopilot device id...
terraform import autopilot_device_identity.reception 2a9e4f3c-6b1d-4e8a-9c7f-5d3b1a0e8f62
# ...or by its serial number, e.g. one of a for_each fleet:
terraform import 'autopilot_device_identity.fleet["5CG1234ABC"]' 5CG1234ABC
