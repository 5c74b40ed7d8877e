# The devices a reseller registered under one purchase order.
resource "autopilot_device_group" "order_4711" {
  display_name    = "Autopilot purchase order 4711"
  membership_rule = provider::autopilot::purchase_order_rule("4711")
  # (device.devicePhysicalIds -any (_ -eq "[PurchaseOrderId]:4711"))
}
