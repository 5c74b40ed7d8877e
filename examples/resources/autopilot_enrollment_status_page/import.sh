# An Enrollment Status Page is imported by its id. The tenant's default ESP
# (<tenant id>_DefaultWindows10EnrollmentCompletionPageConfiguration) cannot be imported.
terraform import autopilot_enrollment_status_page.autopilot 0b9e2c1a-5d4f-4e3a-9c8b-7a6f5e4d3c2b_Windows10EnrollmentCompletionPageConfiguration
