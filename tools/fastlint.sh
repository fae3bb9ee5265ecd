#!/bin/sh
# Fast-path lint (STYLE.md 2): an object compiled from a per-packet source
# may not import any denied symbol (allocation, printf family, logging,
# locks, syscalls). Usage:
#   fastlint.sh "DENY LIST" OBJ...        check objects
#   fastlint.sh --selftest CC "DENY LIST" prove the check can fail
set -u

check() {
	deny=$1; shift
	bad=0
	for o in "$@"; do
		syms=$(nm -u "$o" | awk '{print $2}' | sed 's/@.*//') || return 1
		for sym in $syms; do
			for deny_sym in $deny; do
				if [ "$sym" = "$deny_sym" ]; then
					echo "lint: $o calls $sym on the fast path" >&2
					bad=1
				fi
			done
		done
	done
	return $bad
}

if [ "${1:-}" = "--selftest" ]; then
	cc=$2; deny=$3
	tmp=$(mktemp -d) || exit 1
	trap 'rm -rf "$tmp"' EXIT
	d=$tmp
	printf '#include <stdlib.h>\nvoid *f(void);\nvoid *f(void){return malloc(8);}\n' >"$d/bad.c"
	printf 'int g(int);\nint g(int x){return x+1;}\n' >"$d/good.c"
	$cc -c "$d/bad.c" -o "$d/bad.o" && $cc -c "$d/good.c" -o "$d/good.o" || exit 1
	if check "$deny" "$d/bad.o" 2>/dev/null; then
		echo "lint selftest: a malloc call was not caught" >&2; exit 1
	fi
	check "$deny" "$d/good.o" || { echo "lint selftest: false alarm" >&2; exit 1; }
	exit 0
fi

deny=$1; shift
[ $# -gt 0 ] || { echo "lint: no fast-path objects" >&2; exit 1; }
check "$deny" "$@" || exit 1
echo "lint: $# fast-path objects clean"
