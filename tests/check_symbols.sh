#!/bin/sh
# Exactly the public symbols (`make check-symbols`, part of `make test`):
#  1. the dynamic symbols libgdfo.so defines equal, in both directions, the
#     functions the public headers declare with GDFO_API;
#  2. every public function declaration in the headers carries GDFO_API
#     (without it the function would not be exported);
#  3. every global symbol libgdfo.a defines starts with gdfo_ (public) or
#     gdfo__ (internal): a static link must not clash with the host's names.
# gdfo__ names are internal, so the .so must not export them (1 fails).
#
# The declared names come from the headers as the compiler sees them: each
# header is preprocessed (so #if and macros apply) and split into
# declarations at ';'; a declaration carrying GDFO_API's expansion
# (visibility "default") names a function by the identifier before its
# parameter list.
#
# usage: tests/check_symbols.sh SHARED_LIB STATIC_LIB HEADER... (CC from the environment)
set -u
export LC_ALL=C # sort and comm must agree on the order
CC=${CC:-cc}
so=$1
a=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

for h in "$@"; do
	printf '#include "%s"\n' "$(cd "$(dirname "$h")" && pwd)/$(basename "$h")"
done > "$tmp/all.c"
if ! $CC -E -P -Iinclude "$tmp/all.c" > "$tmp/all.i"; then
	echo "check-symbols: the public headers do not preprocess"
	exit 1
fi

# one declaration per record; prints "api NAME" or "plain NAME" for each
# declaration of a function (typedefs are skipped)
tr '\n' ' ' < "$tmp/all.i" | awk 'BEGIN { RS = ";" } {
	d = $0
	sub(/.*[{}]/, "", d)              # drop the end of a preceding struct body
	if (d ~ /^[ \t]*typedef[ \t]/) next
	api = sub(/__attribute__ *\(\( *visibility *\( *"default" *\) *\)\)/, "", d)
	while (sub(/__attribute__ *\(\([^()]*(\([^()]*\))*[^()]*\)\)/, "", d)) ;
	if (!match(d, /[A-Za-z_][A-Za-z0-9_]* *\(/)) next
	name = substr(d, RSTART, RLENGTH)
	sub(/ *\($/, "", name)
	print (api ? "api " : "plain ") name
}' > "$tmp/decls"

awk '$1 == "api" { print $2 }' "$tmp/decls" | sort -u > "$tmp/declared"
awk '$1 == "plain" && $2 ~ /^gdfo_/ { print $2 }' "$tmp/decls" | sort -u > "$tmp/plain"
nm -D --defined-only "$so" | awk 'NF >= 3 { print $3 }' | sort -u > "$tmp/exported"

if [ ! -s "$tmp/declared" ]; then
	echo "check-symbols: found no GDFO_API declaration in the headers (is the extraction broken?)"
	exit 1
fi
extra=$(comm -13 "$tmp/declared" "$tmp/exported")
missing=$(comm -23 "$tmp/declared" "$tmp/exported")
if [ -n "$extra" ]; then
	echo "check-symbols: $so exports symbols no public header declares with GDFO_API:"
	echo "$extra" | sed 's/^/  /'
	fail=1
fi
if [ -n "$missing" ]; then
	echo "check-symbols: functions declared with GDFO_API that $so does not export:"
	echo "$missing" | sed 's/^/  /'
	fail=1
fi
if [ -s "$tmp/plain" ]; then
	echo "check-symbols: public functions declared without GDFO_API:"
	sed 's/^/  /' "$tmp/plain"
	fail=1
fi

nm -g --defined-only "$a" 2>/dev/null | awk 'NF >= 3 { print $3 }' | sort -u > "$tmp/static"
bad=$(grep -v '^gdfo_' "$tmp/static")
if [ -n "$bad" ]; then
	echo "check-symbols: $a defines global symbols outside gdfo_/gdfo__ (make them static or gdfo__<module>_<name>):"
	echo "$bad" | sed 's/^/  /'
	fail=1
fi

[ $fail -eq 0 ] || exit 1
echo "check-symbols: $so exports exactly the $(wc -l < "$tmp/declared") GDFO_API functions of the headers;" \
	"$a defines $(wc -l < "$tmp/static") global symbols, all gdfo_/gdfo__"
