# The device registration policy is a tenant singleton with a fixed id.
terraform import autopilot_device_registration_policy.tenant deviceRegistrationPolicy
