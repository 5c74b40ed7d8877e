terraform {
  required_providers {
    autopilot = {
      source = "example/autopilot"
    }
  }
}

# A pod with AKS workload identity: the webhook sets AZURE_TENANT_ID, AZURE_CLIENT_ID and
# AZURE_FEDERATED_TOKEN_FILE, and the kubelet rotates the projected token in that file; the provider reads it
# again for every new access token. With those variables only use_oidc is needed; the path is shown for clarity.
provider "autopilot" {
  use_oidc             = true                                                 # or ARM_USE_OIDC=true
  oidc_token_file_path = "/var/run/secrets/azure/tokens/azure-identity-token" # or AZURE_FEDERATED_TOKEN_FILE
}
