#!/bin/sh
# Run each libFuzzer harness for a bounded time from its seed corpus.
# Fails on any crash, leak or sanitizer report. Usage: run-fuzz.sh SECONDS BIN...
set -u
secs=$1; shift
fail=0
for f in "$@"; do
	name=$(basename "$f")
	seeds="tests/fuzz/corpus/${name#fuzz_}"
	work="build/fuzz/corpus/${name#fuzz_}"
	mkdir -p "$work"
	[ -d "$seeds" ] && cp -n "$seeds"/* "$work"/ 2>/dev/null
	echo "== fuzz $name for ${secs}s"
	if ! "$f" -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="build/fuzz/$name-" "$work" \
		>"build/fuzz/$name.log" 2>&1; then
		tail -n 40 "build/fuzz/$name.log" >&2
		echo "fuzz: $name FAILED (log build/fuzz/$name.log)" >&2
		fail=1
	else
		grep -E 'stat::number_of_executed_units|stat::peak_rss' \
			"build/fuzz/$name.log"
	fi
done
exit $fail
