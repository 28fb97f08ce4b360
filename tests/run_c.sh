#!/bin/sh
# Runs every Check test binary given, prints each one's summary and a
# closing total; exits non-zero if any suite failed or crashed.
failed=0
passed=0
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -v '^$' | grep -E 'Checks:|:[EF]:|^[^0-9]' | head -50
	n=$(printf '%s\n' "$out" | sed -n 's/.*Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/p' | awk '{c+=$1; f+=$2+$3} END {print c-f, f}')
	p=${n% *}; f=${n#* }
	passed=$((passed + ${p:-0}))
	if [ $rc -ne 0 ]; then
		echo "FAILED: $t (exit $rc)"
		failed=$((failed + ${f:-0}))
		[ "${f:-0}" -eq 0 ] && failed=$((failed + 1))
	fi
done
echo "check: $passed passed, $failed failed"
[ $failed -eq 0 ]
