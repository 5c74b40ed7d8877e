terraform {
  required_providers {
    autopilot = {
      source = "example/autopilot"
    }
  }
}

# Azure DevOps with a workload identity federation service connection. The provider requests the pipeline's
# token from SYSTEM_OIDCREQUESTURI with SYSTEM_ACCESSTOKEN (map it into the step's env) for this connection.
#
#   env:
#     ARM_USE_OIDC: "true"
#     ARM_TENANT_ID: $(tenantId)
#     ARM_CLIENT_ID: $(servicePrincipalId)
#     SYSTEM_ACCESSTOKEN: $(System.AccessToken)
provider "autopilot" {
  tenant_id                          = "00000000-0000-0000-0000-000000000000" # or ARM_TENANT_ID
  client_id                          = "11111111-1111-1111-1111-111111111111" # or ARM_CLIENT_ID
  use_oidc                           = true                                   # or ARM_USE_OIDC=true
  ado_pipeline_service_connection_id = "22222222-2222-2222-2222-222222222222" # or ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID
}
