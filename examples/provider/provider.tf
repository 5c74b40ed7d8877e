terraform {
  required_providers {
    autopilot = {
      source = "example/autopilot"
    }
  }
}

# Credentials of an app registration with the Graph application permissions the resources need
# (Group.ReadWrite.All for device groups). Prefer the ARM_* environment variables over literals.
provider "autopilot" {
  tenant_id = "00000000-0000-0000-0000-000000000000" # or ARM_TENANT_ID
  client_id = "11111111-1111-1111-1111-111111111111" # or ARM_CLIENT_ID
  # client_secret from ARM_CLIENT_SECRET
}
