#!/bin/sh
# Run the integration scenarios one after the other (they create network
# namespaces and start processes; on 2 cores one at a time is what is safe).
# Each script cleans up after itself and ends with "N passed, M failed".
# Usage: run-integ.sh SCRIPT...
# Exit status 77 means skipped (a missing need, said by the script).
pass=0; fail=0; skip=0; failed=""
for t in "$@"; do
	echo "== integration: $(basename "$t")"
	bash "$t"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
	elif [ "$rc" -eq 77 ]; then
		skip=$((skip + 1))
	else
		fail=$((fail + 1)); failed="$failed $(basename "$t")"
	fi
done
echo "integration: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] || { echo "failed:$failed" >&2; exit 1; }
