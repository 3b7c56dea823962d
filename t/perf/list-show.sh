#!/bin/sh
# list-show.sh: how long "mreg list" and "mreg show" take on a registry of
# many versions (target: 0.3 s each at 10,000), with
# "git for-each-ref refs/mreg/models" on the same registry as the peer.
#
#	t/perf/list-show.sh
#	MREG_PERF_VERSIONS=1000 t/perf/list-show.sh
#	MREG_PERF_REGISTRY=/var/tmp/reg10k t/perf/list-show.sh   # kept, reused
#
# The registry is made with gen-registry.sh the first time and reused when
# it exists. Each command runs once to warm up, then the best of three
# runs counts. Always exits 0 unless a command fails. Not part of
# "make test".

set -e

top=$(cd "$(dirname "$0")/../.." && pwd)
mreg=$top/mreg
n=${MREG_PERF_VERSIONS:-10000}
dir=${MREG_PERF_REGISTRY:-${TMPDIR:-/tmp}/mreg-perf-registry-$n}
target=0.3
unset MREG_DIR GIT_DIR

test -x "$mreg" || {
	echo "list-show.sh: $mreg is not built; run make" >&2
	exit 1
}
case "$(cat "$top/.build-flags" 2>/dev/null)" in
*-fsanitize=*) echo "# warning: $mreg is a sanitizer build" >&2 ;;
esac
if ! test -d "$dir/.mreg"
then
	echo "# making a registry of $n versions in $dir" >&2
	"$top/t/perf/gen-registry.sh" "$dir" "$n" >&2
fi
reg=$(cd "$dir/.mreg" && pwd)
count=$(git --git-dir="$reg" for-each-ref refs/mreg/models | wc -l)
# Others may rebuild ./mreg while this runs: use a copy, and of its core.
bin=$(mktemp -d "${TMPDIR:-/tmp}/mreg-bin.XXXXXX")
trap 'rm -rf "$bin"' EXIT
cp "$mreg" "$mreg-core.so" "$bin/"
mreg=$bin/mreg
errfile=$bin/err

now_ns () {
	date +%s%N
}

# best NAME CMD...: warm up, then the best of three runs, in seconds;
# sets NAME (e.g. list=0.123).
best () {
	best_var=$1
	shift
	"$@" >/dev/null 2>"$errfile" || {
		echo "list-show.sh: '$*' failed:" >&2
		cat "$errfile" >&2
		exit 1
	}
	min=
	for i in 1 2 3
	do
		t0=$(now_ns)
		"$@" >/dev/null
		t1=$(now_ns)
		ns=$((t1 - t0))
		test -z "$min" || test $ns -lt $min && min=$ns
	done
	eval "$best_var=$(awk -v ns="$min" 'BEGIN { printf "%.3f", ns / 1e9 }')"
}

# A version from the middle of the registry, found with plain git.
ref=$(git --git-dir="$reg" for-each-ref --format='%(refname)' \
	refs/mreg/models/ | sed -n "$((count / 2 + 1))p")
ref=${ref#refs/mreg/models/}
name=${ref%%/*}
version=${ref#*/}
ref=$name@$version
digest=$("$mreg" -R "$reg" show --json "$ref" |
	sed -n 's/.*"digest": *"sha256:\([0-9a-f]\{12\}\).*/\1/p' | head -n 1)

best peer git --git-dir="$reg" for-each-ref refs/mreg/models
best list "$mreg" -R "$reg" list
best list_json "$mreg" -R "$reg" list --json
best list_name "$mreg" -R "$reg" list "$name"
best list_owner "$mreg" -R "$reg" list --owner recsys-ranking
best list_status "$mreg" -R "$reg" list --status candidate
best show "$mreg" -R "$reg" show "$ref"
best show_json "$mreg" -R "$reg" show --json "$ref"
best show_bare "$mreg" -R "$reg" show "$version"
if test -n "$digest"
then
	best show_digest "$mreg" -R "$reg" show "sha256:$digest"
else
	show_digest=
fi

echo "mreg list and show on a registry of $count versions ($reg)"
echo "REF: $ref"
echo "peer: git for-each-ref refs/mreg/models: $peer s"
echo
report () {
	awk -v what="$1" -v s="$2" -v t="$target" -v peer="$peer" 'BEGIN {
		if (s == "") {
			printf "%-44s %8s\n", what, "n/a"
			exit
		}
		printf "%-44s %7.3f s  %6.1fx git  %s\n", what, s,
			(peer > 0 ? s / peer : 0), (s <= t ? "PASS" : "MISS")
	}'
}
printf '%-44s %9s  %9s  target %s s\n' command time ratio "$target"
report "mreg list" "$list"
report "mreg list --json" "$list_json"
report "mreg show NAME@VERSION" "$show"
report "mreg show --json REF" "$show_json"
echo "informative:"
report "mreg list $name" "$list_name"
report "mreg list --owner recsys-ranking" "$list_owner"
report "mreg list --status candidate" "$list_status"
report "mreg show VERSION (bare)" "$show_bare"
report "mreg show sha256:PREFIX" "$show_digest"
