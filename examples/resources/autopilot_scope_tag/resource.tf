# A scope tag for the administrators of the EU subsidiary; ESPs, profiles and filters carry it by id.
resource "autopilot_scope_tag" "eu" {
  display_name = "EU"
  description  = "Objects the EU administrators manage"
}

resource "autopilot_enrollment_status_page" "eu" {
  display_name       = "EU ESP"
  role_scope_tag_ids = ["0", autopilot_scope_tag.eu.id]
}
