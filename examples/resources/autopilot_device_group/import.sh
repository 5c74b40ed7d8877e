# A device group is imported by its object id.
terraform import autopilot_device_group.all_autopilot 0f8fad5b-d9cb-469f-a165-70867728950e
