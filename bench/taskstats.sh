#!/bin/bash
# Benchmark: CPU per taskstats query through the taskstats source's query
# path (bench/taskstats_query.c), for one or more trees side by side:
# alternating rounds of N back-to-back TASKSTATS_CMD_GET for this script's
# own pid, medians. A tree before the libnl port is detected (no
# ts_sock_query in its taskstats.h) and driven through its raw-socket code.
# usage: bench/taskstats.sh [N=100000] [ROUNDS=7] [TREE...]
# TREE is a source tree with a built build/libprocimage.a (default: this one);
# e.g. bench/taskstats.sh 100000 5 /work/old-tree . Needs CAP_NET_ADMIN.
set -u
cd "$(dirname "$0")/.."
N=${1:-100000} ROUNDS=${2:-7}
shift 2 2>/dev/null || shift $#
TREES=("$@")
[ ${#TREES[@]} = 0 ] && TREES=(.)
TMP=$(mktemp -d /tmp/procimage-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
PKG_CFLAGS=$(pkg-config --cflags libnl-3.0 libnl-genl-3.0)
PKG_LIBS=$(pkg-config --libs libnl-3.0 libnl-genl-3.0 libcap audit sqlite3 libdw zlib)

i=0
for t in "${TREES[@]}"; do
	[ -f "$t/build/libprocimage.a" ] || { echo "no $t/build/libprocimage.a: make -C $t first"; exit 2; }
	raw=""
	grep -q ts_sock_query "$t/src/sources/taskstats.h" || raw=-DRAW_TREE
	# shellcheck disable=SC2086
	cc -O2 -std=c11 -D_GNU_SOURCE $raw -I"$t/include" -I"$t/src" $PKG_CFLAGS \
		-o "$TMP/q$i" bench/taskstats_query.c "$t/build/libprocimage.a" $PKG_LIBS -lm ||
		{ echo "driver did not build against $t"; exit 2; }
	i=$((i + 1))
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -a per
echo "host: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); $N queries a round, $ROUNDS rounds"
for r in $(seq "$ROUNDS"); do
	for j in $(seq 0 $((${#TREES[@]} - 1))); do
		out=$("$TMP/q$j" "$N" $$) || { echo "${TREES[$j]}: $out"; exit 1; }
		us=$(echo "$out" | awk '{print $(NF-4)}')
		per[$j]="${per[$j]:-} $us"
		printf 'round %d %-24s: %s\n' "$r" "${TREES[$j]}" "$out"
	done
done
for j in $(seq 0 $((${#TREES[@]} - 1))); do
	# shellcheck disable=SC2086
	m=$(median ${per[$j]})
	printf 'median CPU per taskstats query, %-24s: %s us\n' "${TREES[$j]}" "$m"
	echo "RESULT bench=taskstats figure=\"CPU per taskstats query, us (${TREES[$j]})\" value=$m"
done
