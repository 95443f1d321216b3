#!/usr/bin/env bash
# The Debian packages Lambridge needs to build mysqlclient, binutils' readelf (`make package` checks the
# artifact's glibc needs with it), wrk (`make bench`'s HTTP load), a Java runtime (OpenAPI Generator in
# `make sdk`) and Node.js + npm (the TypeScript client and Redocly); installs only what is missing.
set -euo pipefail
packages=(pkg-config default-libmysqlclient-dev build-essential binutils php-cli wrk)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# Any Java 11+ runs the generator jar; any Node.js 20.19+ runs the npm tools (sdk/package.json).
command -v java >/dev/null || missing+=(default-jre-headless)
command -v npm >/dev/null || missing+=(nodejs npm)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing system packages: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
