#!/bin/sh
# routes.sh: the serving path and the audit path on a big registry.
#
#  1. "mreg resolve ROUTE" against "git rev-parse refs/mreg/routes/ROUTE"
#     on a registry of 1,000 routes and 10,000 versions, many times each
#     (target: mreg no slower than 1.5x git);
#  2. "mreg log ROUTE" over a route of 10,000 signed updates, every
#     signature checked (target: under 2 s).
#
#	t/perf/routes.sh
#	MREG_PERF_UPDATES=1000 t/perf/routes.sh          # a shorter chain
#	MREG_PERF_REGISTRY=/var/tmp/routes t/perf/routes.sh   # kept, reused
#
# Knobs: MREG_PERF_VERSIONS (10000), MREG_PERF_ROUTES (1000),
# MREG_PERF_UPDATES (10000), MREG_PERF_ITERATIONS (300 runs of each
# command for the resolve ratio), MREG_PERF_JOBS (parallel promotions).
#
# Making the registry is the slow part and is done once: the versions come
# from gen-registry.sh (or a copy of list-show.sh's registry of the same
# size, when it exists), the routes from "mreg promote", and the long
# chain from "mreg route set-traffic" run MREG_PERF_UPDATES times, one
# signed commit each (about 30 ms each here: 10,000 take some 5 minutes).
# The registry is kept in $TMPDIR/mreg-perf-routes-V-R-U and reused.
# Always exits 0 unless a command fails.  Not part of "make test".

set -e

top=$(cd "$(dirname "$0")/../.." && pwd)
mreg=$top/mreg
nversions=${MREG_PERF_VERSIONS:-10000}
nroutes=${MREG_PERF_ROUTES:-1000}
nupdates=${MREG_PERF_UPDATES:-10000}
iters=${MREG_PERF_ITERATIONS:-300}
jobs=${MREG_PERF_JOBS:-$(nproc 2>/dev/null || echo 2)}
tmp=${TMPDIR:-/tmp}
dir=${MREG_PERF_REGISTRY:-$tmp/mreg-perf-routes-$nversions-$nroutes-$nupdates}
ratio_target=1.5
log_target=2.0
unset MREG_DIR GIT_DIR MREG_SIGNING_KEY SSH_AUTH_SOCK

for n in "$nversions" "$nroutes" "$nupdates" "$iters"
do
	case "$n" in ''|*[!0-9]*|0)
		echo "routes.sh: counts must be positive numbers" >&2
		exit 129 ;;
	esac
done
test -x "$mreg" || {
	echo "routes.sh: $mreg is not built; run make" >&2
	exit 1
}
case "$(cat "$top/.build-flags" 2>/dev/null)" in
*-fsanitize=*) echo "# warning: $mreg is a sanitizer build" >&2 ;;
esac

# Others may rebuild ./mreg while this runs: use a copy, and of its core.
bin=$(mktemp -d "$tmp/mreg-bin.XXXXXX")
trap 'rm -rf "$bin"' EXIT
cp "$mreg" "$mreg-core.so" "$bin/"
mreg=$bin/mreg
errfile=$bin/err

now_ns () {
	date +%s%N
}

seconds_since () {
	awk -v a="$1" -v b="$(now_ns)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'
}

# run CMD...: runs a setup command, showing its error output if it fails.
run () {
	"$@" >/dev/null 2>"$errfile" || {
		echo "routes.sh: '$*' failed:" >&2
		cat "$errfile" >&2
		exit 1
	}
}

# --- the registry -------------------------------------------------------

if ! test -d "$dir/.mreg"
then
	start=$(now_ns)
	base=$tmp/mreg-perf-registry-$nversions
	if test -z "$MREG_PERF_REGISTRY" && test -d "$base/.mreg" &&
	   test "$(git --git-dir="$base/.mreg" for-each-ref refs/mreg/routes | wc -l)" = 0
	then
		echo "# copying the $nversions versions of $base" >&2
		mkdir -p "$dir"
		cp -R "$base/.mreg" "$dir/.mreg"
	else
		echo "# making $nversions versions in $dir (gen-registry.sh)" >&2
		"$top/t/perf/gen-registry.sh" "$dir" "$nversions" >&2
	fi
	echo "# versions ready after $(seconds_since $start) s" >&2
fi
reg=$(cd "$dir/.mreg" && pwd)
m () {
	"$mreg" -R "$reg" "$@"
}

# A signing key of the registry's own; the first signed write pins it.
if ! test -f "$dir/perf-key"
then
	run "$mreg" keygen -f "$dir/perf-key" -C perf@example.com
	run m config set user.signingkey "$dir/perf-key"
fi

# The first version of each model, validated: they serve the routes.
git --git-dir="$reg" for-each-ref --format='%(refname)' refs/mreg/models/ |
	awk -F/ '!seen[$4]++ { print $4 "@" $5 }' >"$bin/serving"
test -s "$bin/serving" || {
	echo "routes.sh: no versions in $reg" >&2
	exit 1
}
# and one more version, for the canary of the long chain
canary=$(git --git-dir="$reg" for-each-ref --format='%(refname)' refs/mreg/models/ |
	awk -F/ '{ print $4 "@" $5 }' | grep -v -x -F -f "$bin/serving" | head -n 1)
for v in $(cat "$bin/serving") $canary
do
	state=$(m status "$v" | sed -n '1s/^[^ ]* //p')
	case "$state" in
	candidate) run m status "$v" validated -m "perf: serves routes" ;;
	esac
done

have_routes=$(git --git-dir="$reg" for-each-ref "refs/mreg/routes/route_*" | wc -l)
if test "$have_routes" -lt "$nroutes"
then
	start=$(now_ns)
	echo "# promoting $nroutes routes" >&2
	nserving=$(wc -l <"$bin/serving")
	# The first route of each version moves its status chain: one at a time.
	i=0
	for v in $(cat "$bin/serving")
	do
		i=$((i + 1))
		test $i -le "$nroutes" || break
		r=$(printf 'route_%05d' $i)
		git --git-dir="$reg" rev-parse -q --verify refs/mreg/routes/$r >/dev/null ||
			run m promote "$r" "$v" -m "perf"
	done
	# The rest only add route commits: in parallel.
	awk -v n="$nroutes" -v k="$nserving" -v list="$bin/serving" 'BEGIN {
		while ((getline v < list) > 0)
			serving[j++] = v
		for (i = k + 1; i <= n; i++)
			printf "route_%05d %s\n", i, serving[i % k]
	}' >"$bin/todo"
	# shellcheck disable=SC2016
	xargs -P "$jobs" -L 1 sh -c '
		git --git-dir="$1" rev-parse -q --verify refs/mreg/routes/$2 >/dev/null ||
		"$0" -R "$1" promote "$2" "$3" -m perf >/dev/null || {
			echo "routes.sh: mreg promote $2 $3 failed" >&2
			exit 255
		}' "$mreg" "$reg" <"$bin/todo"
	echo "# routes ready after $(seconds_since $start) s" >&2
fi

chain=perf_log
have=$(m route show --json $chain 2>/dev/null | sed -n 's/^  "seq": \([0-9]*\),$/\1/p')
have=${have:-0}
if test "$have" -lt "$nupdates"
then
	start=$(now_ns)
	echo "# making $nupdates signed updates of route $chain (have $have)" >&2
	if test "$have" = 0
	then
		run m promote --stage canary --traffic 1 $chain "$canary" -m "perf"
		have=1
	fi
	while test "$have" -lt "$nupdates"
	do
		have=$((have + 1))
		run m route set-traffic $chain $((have % 50 + 1)) -m "step $have"
		case "$have" in
		*000) echo "#   $have after $(seconds_since $start) s" >&2 ;;
		esac
	done
	echo "# chain ready after $(seconds_since $start) s" >&2
fi

routes=$(git --git-dir="$reg" for-each-ref refs/mreg/routes | wc -l)
versions=$(git --git-dir="$reg" for-each-ref refs/mreg/models | wc -l)
updates=$(git --git-dir="$reg" rev-list --count refs/mreg/routes/$chain)

# --- timings ------------------------------------------------------------

# loop_time NAME N CMD...: runs CMD N times after a warm-up; the total
# wall time of the best of three such loops, in seconds, in NAME.
loop_time () {
	lt_var=$1
	lt_n=$2
	shift 2
	"$@" >/dev/null 2>"$errfile" || {
		echo "routes.sh: '$*' failed:" >&2
		cat "$errfile" >&2
		exit 1
	}
	lt_min=
	for lt_round in 1 2 3
	do
		lt_i=0
		lt_t0=$(now_ns)
		while test $lt_i -lt "$lt_n"
		do
			"$@" >/dev/null
			lt_i=$((lt_i + 1))
		done
		lt_ns=$(($(now_ns) - lt_t0))
		test -z "$lt_min" || test $lt_ns -lt $lt_min && lt_min=$lt_ns
	done
	eval "$lt_var=$(awk -v ns="$lt_min" 'BEGIN { printf "%.4f", ns / 1e9 }')"
}

route=$(printf 'route_%05d' $((nroutes / 2)))
git --git-dir="$reg" rev-parse -q --verify refs/mreg/routes/$route >/dev/null || route=route_00001

loop_time empty "$iters" true
loop_time peer "$iters" git --git-dir="$reg" rev-parse refs/mreg/routes/$route
loop_time resolve "$iters" "$mreg" -R "$reg" resolve $route
loop_time resolve_json "$iters" "$mreg" -R "$reg" resolve --json $route
loop_time version "$iters" "$mreg" --version
loop_time log 1 "$mreg" -R "$reg" log $chain
loop_time log_json 1 "$mreg" -R "$reg" log --json $chain
loop_time log_oneline 1 "$mreg" -R "$reg" log --oneline $chain
loop_time revlist 1 git --git-dir="$reg" rev-list refs/mreg/routes/$chain
loop_time route_list 1 "$mreg" -R "$reg" route list
# verify walks the reflog too, and can be slow: one run, at most
# MREG_PERF_VERIFY_TIMEOUT seconds (default 120).
vt=${MREG_PERF_VERIFY_TIMEOUT:-120}
t0=$(now_ns)
if timeout "$vt" "$mreg" -R "$reg" verify $chain >/dev/null 2>"$errfile"
then
	verify_chain=$(awk -v ns="$(($(now_ns) - t0))" 'BEGIN { printf "%.3f", ns / 1e9 }')
elif test $? = 124
then
	verify_chain="> $vt (stopped)"
else
	verify_chain="failed: $(head -n 1 "$errfile")"
fi

echo "mreg routes on a registry of $versions versions and $routes routes ($reg)"
echo "resolve: $route, $iters runs of each command, best of 3 loops"
echo "log: route $chain, $updates signed commits"
echo
awk -v n="$iters" -v peer="$peer" -v res="$resolve" -v rj="$resolve_json" \
    -v ver="$version" -v empty="$empty" -v t="$ratio_target" 'BEGIN {
	printf "%-44s %9s  %s\n", "command", "per run", "ratio to git rev-parse"
	printf "%-44s %7.2f ms\n", "git rev-parse refs/mreg/routes/ROUTE", peer / n * 1000
	printf "%-44s %7.2f ms  %5.2fx  target <= %.1fx  %s\n", "mreg resolve ROUTE",
		res / n * 1000, res / peer, t, (res / peer <= t ? "PASS" : "MISS")
	print "informative:"
	printf "%-44s %7.2f ms  %5.2fx\n", "mreg resolve --json ROUTE", rj / n * 1000, rj / peer
	printf "%-44s %7.2f ms  %5.2fx\n", "mreg --version (loads mreg-core.so)", ver / n * 1000, ver / peer
	printf "%-44s %7.2f ms\n", "the shell loop itself (true)", empty / n * 1000
}'
echo
awk -v log_s="$log" -v lj="$log_json" -v lo="$log_oneline" -v rl="$revlist" \
    -v rls="$route_list" -v vc="$verify_chain" -v t="$log_target" -v u="$updates" 'BEGIN {
	printf "%-44s %7.3f s   target < %.1f s  %s\n", "mreg log ROUTE (" u " updates)",
		log_s, t, (log_s < t ? "PASS" : "MISS")
	print "informative:"
	printf "%-44s %7.3f s\n", "mreg log --json ROUTE", lj
	printf "%-44s %7.3f s\n", "mreg log --oneline ROUTE", lo
	printf "%-44s %7.3f s\n", "git rev-list refs/mreg/routes/ROUTE", rl
	printf "%-44s %7s s\n", "mreg verify ROUTE (one run)", vc
	printf "%-44s %7.3f s\n", "mreg route list", rls
}'
exit 0
