#!/usr/bin/env python3
"""Prints what an emulated tenant holds (the JSON of graph-emulator's /_emulator/objects on stdin), one line per
object, leaving out the defaults every tenant is seeded with. Used by the demo."""
import json
import sys


def custom(items):
    return [o for o in items if "_Default" not in o.get("id", "") and "_WindowsRestore" not in o.get("id", "")]


def show(title, items, describe):
    print(f"{title} ({len(items)}):")
    for item in items:
        print("  - " + describe(item))


def main():
    objects = json.load(sys.stdin)
    show("Entra groups", custom(objects.get("groups", [])),
         lambda g: "{}: {} member(s), rule {}".format(g["displayName"], len(g.get("members", [])), g.get("membershipRule")))
    show("Enrollment Status Pages", custom(objects.get("deviceEnrollmentConfigurations", [])),
         lambda e: "{}: priority {}, {} assignment(s)".format(e["displayName"], e.get("priority"), len(e.get("assignments", []))))
    show("Deployment profiles", custom(objects.get("windowsAutopilotDeploymentProfiles", [])),
         lambda p: "{}: {} assignment(s)".format(p["displayName"], len(p.get("assignments", []))))
    show("Autopilot devices", objects.get("windowsAutopilotDeviceIdentities", []),
         lambda d: "{}: group tag {}, user {}, profile {}".format(
             d["serialNumber"], d.get("groupTag") or "-", d.get("userPrincipalName") or "-",
             d.get("deploymentProfileAssignmentStatus")))


if __name__ == "__main__":
    main()
