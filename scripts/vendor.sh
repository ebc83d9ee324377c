#!/usr/bin/env bash
# Refreshes web/static/vendor/ from the npm registry at the versions in VERSIONS.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=web/static/vendor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
while read -r name version _; do
  case "$name" in ''|'#'*) continue ;; esac
  (cd "$tmp" && npm pack --silent "$name@$version" >/dev/null && mkdir -p "$name" && tar xzf "$name-$version.tgz" -C "$name")
done < "$dest/VERSIONS.txt"
cp "$tmp/bootstrap/package/dist/css/bootstrap.min.css" "$tmp/bootstrap/package/dist/js/bootstrap.bundle.min.js" "$dest/bootstrap/"
cp "$tmp/htmx.org/package/dist/htmx.min.js" "$dest/htmx/"
mkdir -p "$dest/chartjs"
cp "$tmp/chart.js/package/dist/chart.umd.min.js" "$dest/chartjs/"
echo "vendored: $(grep -v '^#' "$dest/VERSIONS.txt" | awk '{print $1"@"$2}' | tr '\n' ' ')"
