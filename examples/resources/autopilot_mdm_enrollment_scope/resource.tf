# Tutorial step "Set up Windows automatic Intune enrollment": the devices of the Autopilot users' group enroll into
# Intune when they join Microsoft Entra ID. Graph accepts this only for a signed-in user, so this provider signs in
# with the Azure CLI (`az login` as a Cloud Device Administrator) and nothing else. The URLs keep Microsoft's
# defaults.
provider "autopilot" {
  alias   = "signed_in_user"
  use_cli = true
}

resource "autopilot_device_group" "autopilot_users" {
  provider     = autopilot.signed_in_user
  display_name = "Autopilot users"
}

resource "autopilot_mdm_enrollment_scope" "intune" {
  provider           = autopilot.signed_in_user
  applies_to         = "selected"
  included_group_ids = [autopilot_device_group.autopilot_users.id]
}
