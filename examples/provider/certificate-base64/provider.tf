terraform {
  required_providers {
    autopilot = {
      source = "example/autopilot"
    }
  }
}

# The same certificate as base64 of the PKCS#12 bundle, e.g. from a pipeline secret
# (ARM_CLIENT_CERTIFICATE="$(base64 -w0 autopilot-automation.pfx)").
variable "client_certificate_base64" {
  type      = string
  sensitive = true
}

variable "client_certificate_password" {
  type      = string
  sensitive = true
}

provider "autopilot" {
  tenant_id                   = "00000000-0000-0000-0000-000000000000" # or ARM_TENANT_ID
  client_id                   = "11111111-1111-1111-1111-111111111111" # or ARM_CLIENT_ID
  client_certificate          = var.client_certificate_base64          # or ARM_CLIENT_CERTIFICATE
  client_certificate_password = var.client_certificate_password        # or ARM_CLIENT_CERTIFICATE_PASSWORD
}
