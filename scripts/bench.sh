#!/usr/bin/env bash
# Benchmarks what users feel, with the release build against a local graph-emulator:
#  - the cost the provider adds to `terraform validate` (Terraform starts it twice per validate),
#  - apply and refresh of N device groups, with the Graph requests each needs (from /_emulator/stats),
#  - peak memory of one provider process (GNU time, when present) and the binary's size.
# Numbers are printed, never asserted: tests check behaviour, benchmarks track speed.
#
# usage: scripts/bench.sh [N]     environment: BIN_DIR (target/release), TERRAFORM (.venv/bin/terraform)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
count=${1:-100}
bin_dir=$(cd "${BIN_DIR:-$root/target/release}" && pwd)
terraform=${TERRAFORM:-$root/.venv/bin/terraform}
tenant=7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d

work=$(mktemp -d "${TMPDIR:-/tmp}/autopilot-bench.XXXXXX")
emulator_pid=
cleanup() {
    [[ -n "$emulator_pid" ]] && kill "$emulator_pid" 2>/dev/null && wait "$emulator_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

"$bin_dir/graph-emulator" --listen 127.0.0.1:0 --seed 1 >"$work/emulator.out" 2>/dev/null &
emulator_pid=$!
for _ in $(seq 100); do
    url=$(sed -n 's/^graph-emulator listening on \(http:[^ ]*\)$/\1/p' "$work/emulator.out")
    [[ -n "$url" ]] && break
    sleep 0.1
done
[[ -n "$url" ]] || { echo "bench: graph-emulator did not start" >&2; exit 1; }

# The provider runs through a wrapper that records each process's peak RSS, when GNU time exists.
mkdir -p "$work/plugins"
if [[ -x /usr/bin/time ]]; then
    printf '#!/bin/sh\nexec /usr/bin/time -a -o %s -f %%M %s "$@"\n' "$work/rss" "$bin_dir/terraform-provider-autopilot" \
        >"$work/plugins/terraform-provider-autopilot"
    chmod +x "$work/plugins/terraform-provider-autopilot"
else
    ln -s "$bin_dir/terraform-provider-autopilot" "$work/plugins/terraform-provider-autopilot"
fi
printf 'provider_installation {\n  dev_overrides { "example/autopilot" = "%s" }\n  direct {}\n}\n' "$work/plugins" \
    >"$work/terraformrc"
export TF_CLI_CONFIG_FILE=$work/terraformrc TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
export ARM_TENANT_ID=$tenant ARM_CLIENT_ID=0c1d2e3f-4a5b-4c6d-9e8f-7a6b5c4d3e2f ARM_CLIENT_SECRET=emulator-secret
export AUTOPILOT_GRAPH_ENDPOINT=$url AUTOPILOT_AUTHORITY_HOST=$url

now_ms() { date +%s%3N; }
requests() { curl -s "$url/_emulator/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])'; }
median_ms() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timed() { local start; start=$(now_ms); "$@" >/dev/null; echo $(($(now_ms) - start)); }

mkdir -p "$work/none" "$work/one" "$work/many"
echo 'variable "x" { default = 1 }' >"$work/none/main.tf"
provider_block='terraform {
  required_providers {
    autopilot = { source = "example/autopilot" }
  }
}'
printf '%s\nresource "autopilot_device_group" "g" {\n  display_name    = "bench"\n  membership_rule = "(device.devicePhysicalIds -any (_ -startsWith \\"[ZTDId]\\"))"\n}\n' \
    "$provider_block" >"$work/one/main.tf"
printf '%s\nresource "autopilot_device_group" "g" {\n  count           = %d\n  display_name    = "bench ${count.index}"\n  membership_rule = "(device.devicePhysicalIds -any (_ -eq \\"[OrderID]:tag${count.index}\\"))"\n}\n' \
    "$provider_block" "$count" >"$work/many/main.tf"

baseline=$(for _ in $(seq 9); do timed "$terraform" -chdir="$work/none" validate; done | median_ms)
with_provider=$(for _ in $(seq 9); do timed "$terraform" -chdir="$work/one" validate; done | median_ms)

before=$(requests)
apply_ms=$(timed "$terraform" -chdir="$work/many" apply -auto-approve -input=false -parallelism=10)
after_apply=$(requests)
plan_ms=$(timed "$terraform" -chdir="$work/many" plan -input=false)
after_plan=$(requests)
"$terraform" -chdir="$work/many" destroy -auto-approve -input=false >/dev/null

echo
echo "terraform validate, median of 9:        ${with_provider} ms with the provider, ${baseline} ms without (Terraform alone)"
echo "apply of $count device groups:           ${apply_ms} ms, $((after_apply - before)) Graph requests"
echo "refresh plan of $count device groups:    ${plan_ms} ms, $((after_plan - after_apply)) Graph requests"
if [[ -s "$work/rss" ]]; then
    echo "peak RSS of a provider process:        $(grep -E '^[0-9]+$' "$work/rss" | sort -n | tail -n 1) KiB (largest of $(grep -cE '^[0-9]+$' "$work/rss") processes)"
fi
echo "provider binary size:                  $(du -k "$bin_dir/terraform-provider-autopilot" | cut -f1) KiB"
