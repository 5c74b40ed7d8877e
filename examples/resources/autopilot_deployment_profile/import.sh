# A deployment profile is imported by its id (the GUID in the profile's portal URL).
terraform import autopilot_deployment_profile.user_driven 5b2c1a3e-4d5f-4a6b-9c7d-8e9f0a1b2c3d
