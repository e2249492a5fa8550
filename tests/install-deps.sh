#!/bin/sh
# Install the Debian packages procimage needs (run as root), by purpose:
#   tests/install-deps.sh build        what building needs (make deps, make run)
#   tests/install-deps.sh build test   and what the tests need (make test)
#   tests/install-deps.sh --check LIST exit 0 if all are installed, else 1
# One list per purpose, here and nowhere else (README.md names this file).
set -e
# build: compiler, pkg-config, and the -dev packages of the libraries linked
# (libnl, libcap, libaudit, SQLite, elfutils libdw/libelf, zlib, protobuf-c
# and its compiler for the pprof encoder); the static archives `make static`
# links come with the same -dev packages (plus libzstd-dev for libdw's).
BUILD_PKGS="build-essential pkg-config libnl-3-dev libnl-genl-3-dev libcap-dev \
libaudit-dev libsqlite3-dev libdw-dev libelf-dev zlib1g-dev libzstd-dev \
libprotobuf-c-dev protobuf-c-compiler"
# test: cmocka (unit tests), clang and its sanitizer runtime (ASan+UBSan and
# fuzz builds), the peers the integration tests and benchmarks compare with
# (strace, sysstat, forkstat), parsers of what procimage writes (sqlite3,
# xmllint, prometheus_client, protobuf + protoc for pprof), systemd-analyze
# for the installed units, bash-completion, man, and headless Chromium (it
# renders the SVG and HTML reports).
TEST_PKGS="libcmocka-dev sqlite3 strace sysstat forkstat util-linux procps python3 \
libxml2-utils clang libclang-rt-14-dev python3-prometheus-client python3-protobuf \
protobuf-compiler systemd bash-completion man-db chromium"

check=0
if [ "$1" = --check ]; then
	check=1
	shift
fi
[ $# -gt 0 ] || set -- build test
pkgs=""
for what in "$@"; do
	case $what in
	build) pkgs="$pkgs $BUILD_PKGS" ;;
	test) pkgs="$pkgs $TEST_PKGS" ;;
	*)
		echo "install-deps.sh: unknown list '$what': give build, test or both" >&2
		exit 2
		;;
	esac
done
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ $check = 1 ]; then
	echo "missing:$missing" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
