# Windows Enterprise devices enrolling with a "Sales" Autopilot profile. At enrollment Intune evaluates only the
# OS version, the SKU and the enrollment profile name.
resource "autopilot_assignment_filter" "sales_enterprise" {
  display_name = "Sales Enterprise devices"
  description  = "Enterprise SKU, Sales Autopilot profiles"
  rule         = "(device.operatingSystemSKU -eq \"Enterprise\") and (device.enrollmentProfileName -startsWith \"Sales\")"
}

# Windows 11 and later only, tagged for the EU administrators.
resource "autopilot_scope_tag" "eu" {
  display_name = "EU"
}

resource "autopilot_assignment_filter" "windows_11" {
  display_name       = "Windows 11"
  rule               = "(device.operatingSystemVersion -ge 10.0.22000)"
  role_scope_tag_ids = ["0", autopilot_scope_tag.eu.id]
}

# An ESP for the Sales group, shown only on the devices the filter matches.
resource "autopilot_enrollment_status_page" "sales" {
  display_name           = "Sales ESP"
  assigned_group_ids     = ["0f8fad5b-d9cb-469f-a165-70867728950e"]
  assignment_filter_id   = autopilot_assignment_filter.sales_enterprise.id
  assignment_filter_mode = "include"
}
