# The same configuration in every tenant: the tag's id differs, its name does not.
data "autopilot_scope_tag" "eu" {
  display_name = "EU"
}

# The built-in tag, id "0".
data "autopilot_scope_tag" "default" {
  display_name = "Default"
}

resource "autopilot_enrollment_status_page" "eu" {
  display_name       = "EU ESP"
  role_scope_tag_ids = [data.autopilot_scope_tag.default.id, data.autopilot_scope_tag.eu.id]
}
