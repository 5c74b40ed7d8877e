# One module, many tenants: the same Autopilot baseline applied to two tenants through provider aliases.
# Both aliases sign in as the same multi-tenant app registration (ARM_CLIENT_ID / ARM_CLIENT_SECRET); each one
# targets its own tenant. Against the local emulator, AUTOPILOT_GRAPH_ENDPOINT and AUTOPILOT_AUTHORITY_HOST point
# both at it, and the emulator keeps the tenants apart.

terraform {
  required_providers {
    autopilot = {
      source = "example/autopilot"
    }
  }
}

variable "contoso_tenant_id" {
  description = "Tenant id of Contoso."
  type        = string
}

variable "fabrikam_tenant_id" {
  description = "Tenant id of Fabrikam."
  type        = string
}

provider "autopilot" {
  alias     = "contoso"
  tenant_id = var.contoso_tenant_id
}

provider "autopilot" {
  alias     = "fabrikam"
  tenant_id = var.fabrikam_tenant_id
}

module "contoso" {
  source      = "../modules/autopilot-baseline"
  providers   = { autopilot = autopilot.contoso }
  name_prefix = "Contoso"
}

module "fabrikam" {
  source               = "../modules/autopilot-baseline"
  providers            = { autopilot = autopilot.fabrikam }
  name_prefix          = "Fabrikam"
  group_tag            = "Fabrikam-Sales"
  esp_timeout_minutes  = 90
  locale               = "en-US"
  device_name_template = "FAB-%RAND:5%"
}

output "contoso" {
  value = module.contoso
}

output "fabrikam" {
  value = module.fabrikam
}
