# A scope tag is imported by its id, a number (the built-in Default tag, 0, cannot be imported).
terraform import autopilot_scope_tag.eu 3
