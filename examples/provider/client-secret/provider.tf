terraform {
  required_providers {
    autopilot = {
      source = "example/autopilot"
    }
  }
}

# A client secret of the app registration. Keep it out of configuration: set ARM_CLIENT_SECRET.
provider "autopilot" {
  tenant_id = "00000000-0000-0000-0000-000000000000" # or ARM_TENANT_ID
  client_id = "11111111-1111-1111-1111-111111111111" # or ARM_CLIENT_ID
  # client_secret from ARM_CLIENT_SECRET
}
