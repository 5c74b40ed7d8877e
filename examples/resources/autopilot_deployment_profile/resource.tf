# The tutorial's profile: user-driven Microsoft Entra join with the recommended OOBE settings (license terms,
# privacy settings and change-account options hidden, a standard user, keyboard configured automatically, the
# operating system's language), assigned to every Autopilot device but the kiosks below.
resource "autopilot_device_group" "autopilot" {
  display_name    = "Autopilot devices"
  membership_rule = "(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))"
}

resource "autopilot_deployment_profile" "user_driven" {
  display_name       = "Autopilot user-driven Entra join"
  description        = "Tutorial profile: user-driven, Microsoft Entra joined"
  assigned_group_ids = [autopilot_device_group.autopilot.id]
  excluded_group_ids = [autopilot_device_group.kiosks.id]
}

# Shared kiosk devices (group tag "Kiosk"): self-deploying, named KIOSK- and four random digits, English setup.
resource "autopilot_device_group" "kiosks" {
  display_name    = "Autopilot kiosks"
  membership_rule = "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Kiosk\"))"
}

resource "autopilot_deployment_profile" "kiosk" {
  display_name         = "Autopilot kiosks"
  deployment_mode      = "self_deploying"
  device_name_template = "KIOSK-%RAND:4%"
  locale               = "en-US"
  assigned_group_ids   = [autopilot_device_group.kiosks.id]
}

# Hybrid join for devices tagged "Hybrid": they are named by the Intune Domain Join profile, so there is no name
# template here. Kiosks are excluded (exclusions win over inclusions).
resource "autopilot_device_group" "hybrid" {
  display_name    = "Autopilot hybrid devices"
  membership_rule = "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Hybrid\"))"
}

resource "autopilot_deployment_profile" "hybrid" {
  display_name                                 = "Autopilot hybrid join"
  join_type                                    = "entra_hybrid_joined"
  hybrid_azure_ad_join_skip_connectivity_check = true
  assigned_group_ids                           = [autopilot_device_group.hybrid.id]
  excluded_group_ids                           = [autopilot_device_group.kiosks.id]
}
