terraform {
  required_providers {
    autopilot = {
      source = "example/autopilot"
    }
  }
}

# At a desk, after "az login": the provider runs "az account get-access-token" for the tenant and acts as the
# signed-in user, who needs the Intune and Entra roles the resources require. Nothing else to set; use_cli is on
# by default (use_cli = false or ARM_USE_CLI=false turns it off).
provider "autopilot" {
  tenant_id = "00000000-0000-0000-0000-000000000000" # or ARM_TENANT_ID
}
