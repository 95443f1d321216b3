#!/usr/bin/env bash
# The Debian packages Lambridge needs, installing only what is missing. Two sets:
#   run  (default; `make run`/`make install`): what builds mysqlclient into .venv;
#   test (`make test`, `make bench`, `make package`, .ci/run): the run set plus php-cli (password
#        hashes checked against PHP itself), binutils' readelf (the artifact's glibc check), wrk
#        (`make bench`'s HTTP load) and headless Chromium + chromedriver (the admin browser test).
set -euo pipefail
run_packages=(pkg-config default-libmysqlclient-dev build-essential)
test_packages=(binutils php-cli wrk chromium chromium-driver)
case "${1:-run}" in
  run) packages=("${run_packages[@]}") ;;
  test) packages=("${run_packages[@]}" "${test_packages[@]}") ;;
  *) echo "usage: $0 [run|test]" >&2; exit 2 ;;
esac
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing system packages: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
