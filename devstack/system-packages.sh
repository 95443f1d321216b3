#!/usr/bin/env bash
# The Debian packages Lambridge needs, installing only what is missing. Three sets:
#   run  (default; `make run`/`make install`): what builds mysqlclient into .venv;
#   sdk  (`make sdk`, sdk/node_modules): the run set plus a Java runtime (OpenAPI Generator's jar)
#        and Node.js + npm (openapi-typescript, tsc, Redocly), each only when none is on PATH;
#   test (`make test`, `make bench`, `make package`, .ci/run): the sdk set plus php-cli (password
#        hashes checked against PHP itself), binutils' readelf (the artifact's glibc check), wrk
#        (`make bench`'s HTTP load) and headless Chromium + chromedriver (the admin browser test).
set -euo pipefail
run_packages=(pkg-config default-libmysqlclient-dev build-essential)
test_packages=(binutils php-cli wrk chromium chromium-driver)
sdk_tools=false
case "${1:-run}" in
  run) packages=("${run_packages[@]}") ;;
  sdk) packages=("${run_packages[@]}"); sdk_tools=true ;;
  test) packages=("${run_packages[@]}" "${test_packages[@]}"); sdk_tools=true ;;
  *) echo "usage: $0 [run|sdk|test]" >&2; exit 2 ;;
esac
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# Any Java 11+ runs the generator jar; any Node.js 20.19+ runs the npm tools (sdk/package.json).
if $sdk_tools; then
  command -v java >/dev/null || missing+=(default-jre-headless)
  command -v npm >/dev/null || missing+=(nodejs npm)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing system packages: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
