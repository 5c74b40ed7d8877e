# An assignment filter is imported by its id.
terraform import autopilot_assignment_filter.sales_enterprise 6f1c2c6e-0b7a-4d1e-9a57-2f6a3f0c9d11
