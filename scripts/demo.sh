#!/usr/bin/env bash
# The whole workflow on one machine, no tenant needed: starts graph-emulator on a free loopback port, points
# Terraform at the freshly built provider (dev_overrides in a temporary CLI configuration), applies the example,
# prints its outputs, shows that a second plan is empty, destroys everything and stops the emulator. Whatever
# happens, the emulator is stopped and the temporary files are removed.
#
# usage: scripts/demo.sh EXAMPLE_DIR
# environment: BIN_DIR          directory holding terraform-provider-autopilot and graph-emulator (target/release)
#              TERRAFORM        the terraform to run (.venv/bin/terraform, installed by `make terraform`)
#              PROVIDER_SOURCE  the provider's source address in the example (example/autopilot)
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 EXAMPLE_DIR" >&2
    exit 2
fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
example=$1
bin_dir=${BIN_DIR:-$root/target/release}
terraform=${TERRAFORM:-$root/.venv/bin/terraform}
provider_source=${PROVIDER_SOURCE:-example/autopilot}

# Fixed identities for the demo tenant; the emulator accepts any client id with its default secret.
demo_tenant_id=5d6e7f80-1a2b-4c3d-8e9f-0a1b2c3d4e5f
demo_client_id=0c1d2e3f-4a5b-4c6d-9e8f-7a6b5c4d3e2f
demo_client_secret=emulator-secret

fail() {
    echo "demo: $*" >&2
    exit 1
}
step() {
    printf '\n==> %s\n' "$*"
}

compgen -G "$example/*.tf" >/dev/null || fail "$example holds no Terraform configuration (*.tf)"
for binary in terraform-provider-autopilot graph-emulator; do
    [[ -x "$bin_dir/$binary" ]] || fail "$bin_dir/$binary is missing; run make build"
done
bin_dir=$(cd "$bin_dir" && pwd)
[[ -x "$terraform" ]] || fail "$terraform is missing; run make terraform"

work=$(mktemp -d "${TMPDIR:-/tmp}/autopilot-demo.XXXXXX")
emulator_pid=
cleanup() {
    local status=$?
    if [[ -n "$emulator_pid" ]] && kill -0 "$emulator_pid" 2>/dev/null; then
        kill "$emulator_pid" 2>/dev/null || true
        wait "$emulator_pid" 2>/dev/null || true
    fi
    if [[ $status -ne 0 && -s "$work/emulator.log" ]]; then
        echo "--- last lines of the emulator's log ---" >&2
        tail -n 40 "$work/emulator.log" >&2
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "Starting graph-emulator"
"$bin_dir/graph-emulator" --listen 127.0.0.1:0 --state "$work/state.json" \
    >"$work/emulator.out" 2>"$work/emulator.log" &
emulator_pid=$!
# The emulator prints one line when it is ready, ending in its base URL.
url=
for _ in $(seq 300); do
    if line=$(grep -m 1 'listening on ' "$work/emulator.out"); then
        url=${line##* }
        break
    fi
    kill -0 "$emulator_pid" 2>/dev/null || fail "graph-emulator exited before it was ready"
    sleep 0.1
done
[[ -n "$url" ]] || fail "graph-emulator printed no ready line within 30 s"
echo "graph-emulator is serving Microsoft Graph and the token endpoint at $url"

# A CLI configuration of our own: the user's ~/.terraformrc stays out of it, and dev_overrides makes Terraform run
# the binary we just built (no registry, no init needed).
cat >"$work/terraformrc" <<EOF
provider_installation {
  dev_overrides {
    "$provider_source" = "$bin_dir"
  }
  direct {}
}
disable_checkpoint = true
EOF
mkdir "$work/config"
cp -R "$example/." "$work/config/"
rm -rf "$work/config/.terraform" "$work/config/.terraform.lock.hcl" "$work/config"/terraform.tfstate*

unset TF_CLI_ARGS TF_DATA_DIR TF_WORKSPACE TF_PLUGIN_CACHE_DIR
export TF_CLI_CONFIG_FILE=$work/terraformrc CHECKPOINT_DISABLE=1
export ARM_TENANT_ID=$demo_tenant_id ARM_CLIENT_ID=$demo_client_id ARM_CLIENT_SECRET=$demo_client_secret
export AUTOPILOT_GRAPH_ENDPOINT=$url AUTOPILOT_AUTHORITY_HOST=$url
# Colours only for a terminal: logs and CI get plain text.
[[ -t 1 ]] || export TF_CLI_ARGS=-no-color
tf() {
    "$terraform" -chdir="$work/config" "$@"
}

# init has nothing to install for the provider under dev_overrides, but the example may use modules.
step "terraform init"
tf init -input=false >"$work/init.log" 2>&1 || { cat "$work/init.log" >&2; fail "terraform init failed"; }
echo "Terraform initialized (the provider is the local build, through dev_overrides)."
step "terraform apply"
tf apply -auto-approve -input=false -compact-warnings
step "terraform output"
tf output

step "terraform plan (must be empty after the apply)"
set +e
tf plan -detailed-exitcode -input=false -compact-warnings
plan_status=$?
set -e
case $plan_status in
    0) echo "The second plan is empty: what Terraform reads back equals what the configuration says." ;;
    2) fail "the second plan is not empty (see above)" ;;
    *) fail "terraform plan failed" ;;
esac

if command -v curl >/dev/null; then
    step "What the emulated tenant now holds (GET /_emulator/objects)"
    curl -fsS "$url/_emulator/objects?tenant=$demo_tenant_id" | python3 "$root/scripts/summarize-tenant.py"
fi

step "terraform destroy"
tf destroy -auto-approve -input=false -compact-warnings

if command -v curl >/dev/null; then
    step "graph-emulator statistics"
    curl -fsS "$url/_emulator/stats" && echo
fi
step "Demo complete; stopping graph-emulator"
