#!/bin/sh
# Install the Debian packages procimage builds and tests with (run as root).
# Build: libnl, libcap, libaudit, SQLite, elfutils libdw, zlib; tests: cmocka,
# the peers the integration tests and benchmarks compare against, a Prometheus
# text parser and headless Chromium (renders the SVG and HTML reports).
set -e
export DEBIAN_FRONTEND=noninteractive
PKGS="build-essential pkg-config libnl-3-dev libnl-genl-3-dev libcap-dev libaudit-dev \
libsqlite3-dev libdw-dev libelf-dev libcmocka-dev sqlite3 strace sysstat forkstat \
util-linux procps python3 libxml2-utils clang libclang-rt-14-dev zlib1g-dev \
python3-prometheus-client chromium"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
