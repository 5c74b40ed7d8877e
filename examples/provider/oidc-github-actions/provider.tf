terraform {
  required_providers {
    autopilot = {
      source = "example/autopilot"
    }
  }
}

# GitHub Actions with workload identity federation: the app registration has a federated credential for
# "repo:OWNER/REPO:ref:refs/heads/main" (or an environment), and the job has "permissions: id-token: write".
# The provider requests the job's token itself from ACTIONS_ID_TOKEN_REQUEST_URL with
# ACTIONS_ID_TOKEN_REQUEST_TOKEN, which GitHub sets; no secret is stored anywhere.
#
#   env:
#     ARM_USE_OIDC: "true"
#     ARM_TENANT_ID: ${{ vars.AZURE_TENANT_ID }}
#     ARM_CLIENT_ID: ${{ vars.AZURE_CLIENT_ID }}
provider "autopilot" {
  tenant_id = "00000000-0000-0000-0000-000000000000" # or ARM_TENANT_ID
  client_id = "11111111-1111-1111-1111-111111111111" # or ARM_CLIENT_ID
  use_oidc  = true                                   # or ARM_USE_OIDC=true
}
