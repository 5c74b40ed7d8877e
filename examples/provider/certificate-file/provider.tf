terraform {
  required_providers {
    autopilot = {
      source = "example/autopilot"
    }
  }
}

# A certificate of the app registration, in a PKCS#12 (.pfx) file or a PEM file holding the certificate and its
# unencrypted RSA key. The file is read when the provider is configured: a wrong password fails before any request.
provider "autopilot" {
  tenant_id               = "00000000-0000-0000-0000-000000000000"  # or ARM_TENANT_ID
  client_id               = "11111111-1111-1111-1111-111111111111"  # or ARM_CLIENT_ID
  client_certificate_path = "certificates/autopilot-automation.pfx" # or ARM_CLIENT_CERTIFICATE_PATH
  # client_certificate_password from ARM_CLIENT_CERTIFICATE_PASSWORD (only for a protected .pfx)
}
