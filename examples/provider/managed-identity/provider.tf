terraform {
  required_providers {
    autopilot = {
      source = "example/autopilot"
    }
  }
}

# The managed identity of the Azure VM, scale set, App Service or Functions app Terraform runs on (for example a
# self-hosted GitHub runner or Azure DevOps agent). client_id picks a user-assigned identity; leave it out for the
# system-assigned one. App Service's IDENTITY_ENDPOINT and IDENTITY_HEADER are used when set, IMDS otherwise.
provider "autopilot" {
  tenant_id = "00000000-0000-0000-0000-000000000000" # or ARM_TENANT_ID
  client_id = "33333333-3333-3333-3333-333333333333" # or ARM_CLIENT_ID
  use_msi   = true                                   # or ARM_USE_MSI=true
}
