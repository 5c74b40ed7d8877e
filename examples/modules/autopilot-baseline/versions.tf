terraform {
  required_providers {
    autopilot = {
      source = "example/autopilot"
    }
  }
}
