#!/usr/bin/env bash
# Files a built provider binary into a Terraform filesystem mirror (the "unpacked" layout
# HOST/NAMESPACE/TYPE/VERSION/OS_ARCH/terraform-provider-TYPE_vVERSION) and prints the CLI configuration and the
# required_providers block that make Terraform install it from there.
#
# usage: scripts/install-mirror.sh BINARY MIRROR_DIR HOST NAMESPACE/TYPE VERSION
set -euo pipefail

if [[ $# -ne 5 ]]; then
    echo "usage: $0 BINARY MIRROR_DIR HOST NAMESPACE/TYPE VERSION" >&2
    exit 2
fi
binary=$1 mirror=$2 host=$3 source=$4 version=$5
type=${source#*/}

# Terraform's platform names: GOOS_GOARCH.
os=$(uname -s | tr '[:upper:]' '[:lower:]')
case "$(uname -m)" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    i386 | i686) arch=386 ;;
    armv6l | armv7l) arch=arm ;;
    *) echo "error: unknown machine architecture $(uname -m)" >&2; exit 1 ;;
esac

if [[ ! -x "$binary" ]]; then
    echo "error: $binary does not exist; build it first (make build)" >&2
    exit 1
fi

mkdir -p "$mirror"
mirror=$(cd "$mirror" && pwd)
dest_dir="$mirror/$host/$source/$version/${os}_${arch}"
dest="$dest_dir/terraform-provider-${type}_v${version}"
mkdir -p "$dest_dir"
# Copy then rename, so a Terraform that is running the old binary never sees a half-written file.
cp "$binary" "$dest.tmp"
chmod 0755 "$dest.tmp"
mv -f "$dest.tmp" "$dest"

cat <<EOF
Installed $source v$version for ${os}_${arch}:
  $dest

Add this to your Terraform CLI configuration (~/.terraformrc, or the file that TF_CLI_CONFIG_FILE names):

provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["$host/$source"]
  }
  direct {
    exclude = ["$host/$source"]
  }
}

and require the provider in your configuration:

terraform {
  required_providers {
    $type = {
      source  = "$source"
      version = "$version"
    }
  }
}

Then run terraform init. After installing a rebuilt binary under the same version, delete .terraform.lock.hcl and
.terraform/ in your configuration and run terraform init again: the lock file still holds the old binary's checksum.
EOF
