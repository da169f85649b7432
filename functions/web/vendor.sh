#!/usr/bin/env bash
# Refresh the vendored front-end libraries under assets/vendor/ from npm. The pages never load
# anything from a CDN: these files are committed and embedded in the binary at build time.
# Run by hand when upgrading; the build itself does not need npm.
#
#   functions/web/vendor.sh
set -euo pipefail
D3_VERSION=7.9.0
BOOTSTRAP_VERSION=5.3.3
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/assets/vendor"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm init -y >/dev/null
npm install --silent --no-audit --no-fund "d3@$D3_VERSION" "bootstrap@$BOOTSTRAP_VERSION" >/dev/null
rm -rf "$out"
mkdir -p "$out/d3" "$out/bootstrap"
cp node_modules/d3/dist/d3.min.js "$out/d3/d3.min.js"
cp node_modules/d3/LICENSE "$out/d3/LICENSE"
cp node_modules/bootstrap/dist/css/bootstrap.min.css "$out/bootstrap/bootstrap.min.css"
cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js "$out/bootstrap/bootstrap.bundle.min.js"
cp node_modules/bootstrap/LICENSE "$out/bootstrap/LICENSE"
# Source-map comments point at files we do not ship; drop them so browsers do not request them.
sed -i '/sourceMappingURL=/d' "$out"/*/*.js "$out"/*/*.css
printf 'd3 %s\nbootstrap %s\n' "$D3_VERSION" "$BOOTSTRAP_VERSION" > "$out/VERSIONS"
ls -l "$out"/*
