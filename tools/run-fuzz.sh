#!/bin/sh
# Run each libFuzzer harness for a bounded time from its seed corpus.
# Fails on any crash, leak or sanitizer report.
# Usage: run-fuzz.sh OUTDIR SECONDS BIN...
set -u
out=$1; secs=$2; shift 2
fail=0
for f in "$@"; do
	name=$(basename "$f")
	seeds="tests/fuzz/corpus/${name#fuzz_}"
	work="$out/corpus/${name#fuzz_}"
	mkdir -p "$work"
	[ -d "$seeds" ] && cp -n "$seeds"/* "$work"/ 2>/dev/null
	dict=""
	[ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
	echo "== fuzz $name for ${secs}s"
	# shellcheck disable=SC2086 # $dict is one word or none
	if ! "$f" $dict -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$out/$name-" "$work" \
		>"$out/$name.log" 2>&1; then
		tail -n 40 "$out/$name.log" >&2
		echo "fuzz: $name FAILED (log $out/$name.log)" >&2
		fail=1
	else
		grep -E 'stat::number_of_executed_units|stat::peak_rss' \
			"$out/$name.log"
	fi
done
exit $fail
