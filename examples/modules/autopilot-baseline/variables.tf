variable "name_prefix" {
  description = "Prefix of every display name, e.g. the tenant's short name."
  type        = string
  default     = "Autopilot"
}

variable "group_tag" {
  description = "When set, the baseline targets only Autopilot devices imported with this group tag ([OrderID]); otherwise every Autopilot device."
  type        = string
  default     = null
}

variable "esp_timeout_minutes" {
  description = "How long the Enrollment Status Page waits for apps and policies (1..1440)."
  type        = number
  default     = 60
}

variable "esp_priority" {
  description = "The ESP's priority among the tenant's custom ESPs (1 wins)."
  type        = number
  default     = 1
}

variable "locale" {
  description = "The OOBE language: os-default, user-select, or a culture such as en-US."
  type        = string
  default     = "os-default"
}

variable "device_name_template" {
  description = "Optional device name template, e.g. \"CORP-%SERIAL%\" (at most 15 characters once expanded)."
  type        = string
  default     = null
}
