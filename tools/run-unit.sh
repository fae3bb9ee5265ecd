#!/bin/sh
# Run cmocka unit test binaries one after the other; print each one's
# summary and a closing count. Usage: run-unit.sh LABEL BIN...
label=$1; shift
pass=0; fail=0; failed=""
for t in "$@"; do
	echo "== $label: $(basename "$t")"
	if "$t"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); failed="$failed $(basename "$t")"
	fi
done
echo "unit ($label): $pass passed, $fail failed"
[ "$fail" -eq 0 ] || { echo "failed:$failed" >&2; exit 1; }
