#!/bin/sh
# register.sh: how fast "mreg register" stores a big artifact, and with how
# much memory, against peers run in the same script on the same file:
# "git lfs clean", "git hash-object -w" and "openssl dgst -sha256".
#
#	t/perf/register.sh            # a 1 GiB artifact
#	MREG_PERF_SIZE_MB=256 MREG_PERF_RUNS=5 t/perf/register.sh
#
# Each tool runs once to warm the page cache, then MREG_PERF_RUNS times
# (default 3; git hash-object once) measured, each time into a fresh store;
# the best wall time and the largest peak RSS count. Prints PASS/MISS per target; exits non-zero only when
# a tool fails. Not part of "make test".

set -e

top=$(cd "$(dirname "$0")/../.." && pwd)
size_mb=${MREG_PERF_SIZE_MB:-1024}
runs=${MREG_PERF_RUNS:-3}
mreg=$top/mreg
unset MREG_DIR GIT_DIR

test -x "$mreg" || {
	echo "register.sh: $mreg is not built; run make" >&2
	exit 1
}

# The peers and the timer, installed when missing and we are root.
need=
command -v git-lfs >/dev/null 2>&1 || need="$need git-lfs"
test -x /usr/bin/time || need="$need time"
if test -n "$need"
then
	if test "$(id -u)" = 0 && command -v apt-get >/dev/null 2>&1
	then
		echo "register.sh: installing$need" >&2
		apt-get update -q >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends $need >&2
	else
		echo "register.sh: missing$need; install with:" >&2
		echo "  sudo apt-get install$need" >&2
		exit 1
	fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mreg-perf.XXXXXX")
cleanup () {
	chmod -R u+w "$work" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

case "$(cat "$top/.build-flags" 2>/dev/null)" in
*-fsanitize=*) echo "# warning: $mreg is a sanitizer build" >&2 ;;
esac
# Others may rebuild ./mreg while this runs: use a copy, and of its core.
cp "$mreg" "$mreg-core.so" "$work/"
mreg=$work/mreg

echo "# making a $size_mb MiB artifact in $work" >&2
"$top/contrib/demo/make-bundle.sh" "$work/bundle" 1 "$size_mb"
file=$work/bundle/model/ranker.onnx
bytes=$(wc -c <"$file")

# measure NAME CMD...: run CMD under /usr/bin/time. Keeps the best wall
# time in NAME_s (with its user+sys in NAME_cpu) and the largest peak RSS
# in NAME_kb over the runs so far; a run with record= unset only warms up.
# Dirty pages left by the last tool are written back first, so no tool
# pays for another's writes.
measure () {
	name=$1
	shift
	sync
	if ! /usr/bin/time -f '%e %M %U %S' -o "$work/time" "$@" \
		>/dev/null 2>"$work/err"
	then
		echo "register.sh: '$*' failed:" >&2
		cat "$work/err" "$work/time" >&2
		exit 1
	fi
	test -n "$record" || return 0
	read -r s kb user sys <"$work/time"
	eval "set -- \"\$${name}_s\" \"\$${name}_kb\""
	eval "$(awk -v n="$name" -v s="$s" -v kb="$kb" -v u="$user" \
		-v sy="$sys" -v best="$1" -v maxkb="$2" 'BEGIN {
		if (best == "" || s + 0 < best + 0)
			printf "%s_s=%s %s_cpu=%.2f ", n, s, n, u + sy
		printf "%s_kb=%d\n", n, (maxkb == "" || kb + 0 > maxkb + 0) ? kb : maxkb
	}')"
}

fresh_registry () {
	rm -rf "$work/reg"
	"$mreg" init -q "$work/reg"
	"$mreg" -R "$work/reg/.mreg" config set user.name "Perf Runner"
	"$mreg" -R "$work/reg/.mreg" config set user.email perf@example.com
}

fresh_git () {
	chmod -R u+w "$work/git" 2>/dev/null || :
	rm -rf "$work/git"
	git init -q "$work/git"
	git -C "$work/git" lfs install --local >/dev/null
}

run_mreg () {
	fresh_registry
	measure mreg "$mreg" -R "$work/reg/.mreg" --quiet register \
		"$work/bundle/mreg.yaml"
	rm -rf "$work/reg"
}

run_lfs () {
	fresh_git
	measure lfs sh -c 'cd "$1" && git lfs clean <"$2"' - "$work/git" "$file"
	rm -rf "$work/git"
}

run_hash () {
	fresh_git
	measure hash git -C "$work/git" hash-object -w "$file"
	rm -rf "$work/git"
}

run_sha () {
	measure sha openssl dgst -sha256 "$file"
}

echo "# warm-up run" >&2
record=
run_mreg
run_lfs
run_hash
run_sha

# Timings on a shared machine are noisy: the best of $runs runs counts.
# git hash-object, ten times slower than the rest, runs once.
record=t
i=1
while test $i -le "$runs"
do
	echo "# measured run $i of $runs" >&2
	run_mreg
	run_lfs
	test $i = 1 && run_hash
	run_sha
	i=$((i + 1))
done

mb=$(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1048576 }')
echo
echo "mreg register vs its peers, $mb MiB artifact ($bytes bytes)"
awk -v b="$bytes" \
	-v m_s="$mreg_s" -v m_kb="$mreg_kb" -v m_c="$mreg_cpu" \
	-v l_s="$lfs_s" -v l_kb="$lfs_kb" -v l_c="$lfs_cpu" \
	-v h_s="$hash_s" -v h_kb="$hash_kb" -v h_c="$hash_cpu" \
	-v o_s="$sha_s" -v o_kb="$sha_kb" -v o_c="$sha_cpu" '
function rate(s) { return s > 0 ? b / 1048576 / s : 0 }
function row(name, s, kb, c) {
	printf "%-24s %8.2f s %9.1f MiB/s %8.2f s %10.1f MiB\n", name, s,
		rate(s), c, kb / 1024
}
function target(what, ok) {
	printf "  %-52s %s\n", what, ok ? "PASS" : "MISS"
}
function ratio(a, b) { return b > 0 ? a / b : 0 }
BEGIN {
	printf "%-24s %10s %15s %10s %14s\n", "tool", "wall", "throughput",
		"cpu", "peak RSS"
	row("mreg register", m_s, m_kb, m_c)
	row("git lfs clean", l_s, l_kb, l_c)
	row("git hash-object -w", h_s, h_kb, h_c)
	row("openssl dgst -sha256", o_s, o_kb, o_c)
	print ""
	# A zero time (too fast for /usr/bin/time) counts as fast enough.
	x = m_s > 0 ? ratio(l_s, m_s) : 999
	target(sprintf("mreg vs git lfs clean: %.1fx (target >= 2.5x)", x),
	       x >= 2.5)
	x = m_s > 0 ? ratio(h_s, m_s) : 999
	target(sprintf("mreg vs git hash-object -w: %.1fx (target >= 20x)", x),
	       x >= 20)
	x = o_s > 0 ? ratio(m_s, o_s) : (m_s > 0 ? 999 : 1)
	target(sprintf("mreg time / openssl time: %.2f (target <= 1.5)", x),
	       x <= 1.5)
	target(sprintf("mreg peak RSS: %.1f MiB (target <= 64 MiB)", m_kb / 1024),
	       m_kb <= 65536)
}'
