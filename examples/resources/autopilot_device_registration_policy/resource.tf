# Tutorial step "Allow users to join devices to Microsoft Entra ID": only the Autopilot users' group may join,
# at most 20 devices each, with MFA. Settings left out (local administrators, LAPS) keep the tenant's values.
resource "autopilot_device_group" "autopilot_users" {
  display_name = "Autopilot users"
}

resource "autopilot_device_registration_policy" "tenant" {
  entra_join_allowed           = "selected"
  entra_join_allowed_group_ids = [autopilot_device_group.autopilot_users.id]
  user_device_quota            = 20
  multi_factor_auth_required   = true
}
