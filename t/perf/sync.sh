#!/bin/sh
# sync.sh: how fast "mreg push" and "mreg clone" move a big artifact, and
# with how much memory on each side, against cp and scp of the same file
# in the same run; and how long a push with nothing new takes on a
# registry of 10,000 versions.
#
#	t/perf/sync.sh                      # a 1 GiB artifact
#	MREG_PERF_SIZE_MB=256 t/perf/sync.sh
#
# Remotes: a file:// bare repository (artifacts copied by mreg itself),
# and ssh to a loopback sshd started here (artifacts through "mreg serve"
# on the far side, run under /usr/bin/time so that its peak RSS is seen).
# The ssh part is skipped when /usr/sbin/sshd is missing (Debian:
# openssh-server). Each transfer runs once after a warm-up of the page
# cache; dirty pages are written back before each one.
#
# The no-op push runs on a copy of MREG_PERF_REGISTRY (default
# $TMPDIR/mreg-perf-registry-10000, made with gen-registry.sh the first
# time and kept, as list-show.sh does), best of three, with
# "git push" of the same refs to the same remote as the peer.
#
# Targets: push and clone at least 0.5x the throughput of cp (file://)
# and scp (ssh); peak RSS at most 64 MiB on both sides; a push with
# nothing new under 0.2 s at 10,000 versions. Prints PASS or MISS per
# target and always exits 0. Not part of "make test". Needs about 6x the
# artifact size in free disk under $TMPDIR.

top=$(cd "$(dirname "$0")/../.." && pwd)
size_mb=${MREG_PERF_SIZE_MB:-1024}
n=${MREG_PERF_VERSIONS:-10000}
big=${MREG_PERF_REGISTRY:-${TMPDIR:-/tmp}/mreg-perf-registry-$n}
mreg=$top/mreg
unset MREG_DIR GIT_DIR MREG_SSH_COMMAND MREG_SSH_OPTIONS MREG_SERVE_COMMAND \
	MREG_SSH_KEY MREG_SSH_KNOWN_HOSTS SSH_AUTH_SOCK

say () {
	echo "# $*" >&2
}

test -x "$mreg" || {
	echo "sync.sh: $mreg is not built; run make" >&2
	exit 0
}
if ! test -x /usr/bin/time
then
	if test "$(id -u)" = 0 && command -v apt-get >/dev/null 2>&1
	then
		say "installing time"
		apt-get update -q >&2 &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends time >&2
	fi
	test -x /usr/bin/time || {
		echo "sync.sh: /usr/bin/time is missing (apt-get install time)" >&2
		exit 0
	}
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mreg-perf-sync.XXXXXX")
sshd_pid=
cleanup () {
	test -n "$sshd_pid" && kill "$sshd_pid" 2>/dev/null
	chmod -R u+w "$work" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

case "$(cat "$top/.build-flags" 2>/dev/null)" in
*-fsanitize=*) say "warning: $mreg is a sanitizer build" ;;
esac
# Others may rebuild ./mreg while this runs: use a copy, and of its core.
cp "$mreg" "$mreg-core.so" "$work/"
mreg=$work/mreg
export HOME="$work/home"
mkdir -p "$HOME"
git config --global user.name "Perf Runner"
git config --global user.email perf@example.com

# measure NAME [FAR] CMD...: runs CMD once under /usr/bin/time, after a
# sync; sets NAME_s (wall seconds) and NAME_kb (peak RSS), and, when FAR
# is a file (the far side's own /usr/bin/time output), NAME_far_kb.
# A failure sets NAME_fail.
measure () {
	m_name=$1 m_far=$2
	shift 2
	rm -f "$work/time" "$m_far"
	sync
	if /usr/bin/time -f '%e %M' -o "$work/time" "$@" >"$work/out" 2>"$work/err"
	then
		read -r m_s m_kb <"$work/time"
		eval "${m_name}_s=$m_s ${m_name}_kb=$m_kb ${m_name}_fail="
	else
		echo "sync.sh: '$*' failed:" >&2
		cat "$work/err" >&2
		eval "${m_name}_s= ${m_name}_kb= ${m_name}_fail=t"
	fi
	eval "${m_name}_far_kb="
	if test -n "$m_far" && test -s "$m_far"
	then
		eval "${m_name}_far_kb=$(awk 'END { print $2 }' "$m_far")"
	fi
}

# --- the registry -------------------------------------------------------

say "making a $size_mb MiB artifact in $work"
"$top/contrib/demo/make-bundle.sh" "$work/bundle" 1 "$size_mb" >/dev/null
file=$work/bundle/model/ranker.onnx
bytes=$(wc -c <"$file")
"$mreg" init -q "$work/src" >/dev/null
src=$work/src/.mreg
"$mreg" -R "$src" config set user.name "Perf Runner"
"$mreg" -R "$src" config set user.email perf@example.com
# Signed, as a registry that is shared is: a clone verifies what it gets.
"$mreg" -R "$src" keygen -f "$work/signing-key" >/dev/null 2>&1
"$mreg" -R "$src" --quiet register "$work/bundle/mreg.yaml" >/dev/null
rm -rf "$work/bundle"
sha=$(find "$src/artifacts" -type f | head -n 1)
# Warm the page cache with the artifact, as every peer will find it.
cat "$sha" >/dev/null

# --- file:// ------------------------------------------------------------

say "file:// remote: cp, mreg push, mreg clone"
measure cp "" cp "$sha" "$work/cp-copy"
rm -f "$work/cp-copy"
git init -q --bare "$work/remote.git"
"$mreg" -R "$src" remote add file "file://$work/remote.git"
measure fpush "" "$mreg" -R "$src" --quiet push file
measure fclone "" "$mreg" clone -q "file://$work/remote.git" "$work/fclone"
rm -rf "$work/remote.git" "$work/fclone"

# --- ssh ----------------------------------------------------------------

ssh_ok=
if test -x /usr/sbin/sshd && command -v ssh >/dev/null && command -v scp >/dev/null
then
	ssh_ok=t
	if test "$(id -u)" = 0 && ! test -d /run/sshd
	then
		mkdir -p -m 0755 /run/sshd || ssh_ok=
	fi
fi
if test -n "$ssh_ok"
then
	say "ssh to loopback: scp, mreg push, mreg clone"
	port=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
	user=$(id -un)
	ssh-keygen -q -t ed25519 -N "" -f "$work/hostkey"
	ssh-keygen -q -t ed25519 -N "" -f "$work/id_ed25519"
	cp "$work/id_ed25519.pub" "$work/authorized_keys"
	cat >"$work/sshd_config" <<-EOF
	Port $port
	ListenAddress 127.0.0.1
	HostKey $work/hostkey
	PidFile $work/sshd.pid
	AuthorizedKeysFile $work/authorized_keys
	StrictModes no
	UsePAM no
	PermitRootLogin prohibit-password
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	Subsystem sftp internal-sftp
	EOF
	echo "[127.0.0.1]:$port $(cut -d" " -f1,2 "$work/hostkey.pub")" >"$work/known_hosts"
	opts="-F /dev/null -i $work/id_ed25519 -o IdentitiesOnly=yes
		-o UserKnownHostsFile=$work/known_hosts -o GlobalKnownHostsFile=/dev/null
		-o StrictHostKeyChecking=yes -o BatchMode=yes -o LogLevel=ERROR"
	/usr/sbin/sshd -f "$work/sshd_config" -E "$work/sshd.log"
	i=0
	while ! ssh $opts -p "$port" "$user@127.0.0.1" true </dev/null 2>/dev/null
	do
		i=$((i + 1))
		if test $i -gt 50
		then
			say "sshd did not start:"
			cat "$work/sshd.log" >&2
			ssh_ok=
			break
		fi
		sleep 0.1
	done
	sshd_pid=$(cat "$work/sshd.pid" 2>/dev/null)
fi
if test -n "$ssh_ok"
then
	MREG_SSH_KNOWN_HOSTS=$work/known_hosts
	MREG_SSH_KEY=$work/id_ed25519
	MREG_SSH_OPTIONS=$(echo $opts)
	MREG_SERVE_COMMAND="/usr/bin/time -f '%e %M' -o $work/far.time $mreg serve"
	export MREG_SSH_KNOWN_HOSTS MREG_SSH_KEY MREG_SSH_OPTIONS MREG_SERVE_COMMAND
	measure scpput "" scp -q $opts -P "$port" "$sha" "$user@127.0.0.1:$work/scp-copy"
	rm -f "$work/scp-copy"
	git init -q --bare "$work/ssh.git"
	"$mreg" -R "$src" remote add ssh "ssh://$user@127.0.0.1:$port$work/ssh.git"
	measure spush "$work/far.time" "$mreg" -R "$src" --quiet push ssh
	far=$(find "$work/ssh.git/artifacts" -type f | head -n 1)
	measure scpget "" scp -q $opts -P "$port" "$user@127.0.0.1:$far" "$work/scp-copy"
	rm -f "$work/scp-copy"
	measure sclone "$work/far.time" "$mreg" clone -q \
		"ssh://$user@127.0.0.1:$port$work/ssh.git" "$work/sclone"
	rm -rf "$work/ssh.git" "$work/sclone"
	kill "$sshd_pid" 2>/dev/null
	sshd_pid=
	unset MREG_SSH_KNOWN_HOSTS MREG_SSH_KEY MREG_SSH_OPTIONS MREG_SERVE_COMMAND
else
	say "skipping ssh: /usr/sbin/sshd (openssh-server), ssh or scp is missing"
fi
rm -rf "$work/src"

# --- a push with nothing new, 10,000 versions --------------------------

noop_s= gitnoop_s= fullpush_s= versions=
if ! test -d "$big/.mreg"
then
	say "making a registry of $n versions in $big (kept for next time)"
	"$top/t/perf/gen-registry.sh" "$big" "$n" >&2 || rm -rf "$big"
fi
if test -d "$big/.mreg"
then
	say "no-op push: copying $big"
	cp -R "$big/.mreg" "$work/big.mreg"
	reg=$work/big.mreg
	versions=$(git --git-dir="$reg" for-each-ref refs/mreg/models | wc -l)
	git init -q --bare "$work/noop.git"
	"$mreg" -R "$reg" remote add noop "$work/noop.git"
	measure fullpush "" "$mreg" -R "$reg" --quiet push noop
	if test -n "$fullpush_fail"
	then
		# The no-op push still needs a remote that holds every ref.
		say "the first push failed; filling the remote with git push instead"
		git --git-dir="$reg" push -q "$work/noop.git" "refs/mreg/*:refs/mreg/*"
	fi
	best_noop () {
		b_name=$1
		shift
		b_min=
		for i in 1 2 3 4
		do
			t0=$(date +%s%N)
			"$@" >/dev/null 2>"$work/err" || {
				echo "sync.sh: '$*' failed:" >&2
				cat "$work/err" >&2
				return 0
			}
			t1=$(date +%s%N)
			# the first run warms up
			test $i = 1 && continue
			ns=$((t1 - t0))
			test -z "$b_min" || test $ns -lt $b_min && b_min=$ns
		done
		eval "$b_name=$(awk -v ns="$b_min" 'BEGIN { printf "%.3f", ns / 1e9 }')"
	}
	best_noop noop_s "$mreg" -R "$reg" push noop
	"$mreg" -R "$reg" push noop >"$work/noop.out" 2>&1
	grep -q "^Everything up to date$" "$work/noop.out" ||
		say "warning: the no-op push said: $(head -n 3 "$work/noop.out")"
	best_noop gitnoop_s git --git-dir="$reg" push -q "$work/noop.git" \
		"refs/mreg/*:refs/mreg/*"
	rm -rf "$work/big.mreg" "$work/noop.git"
else
	say "skipping the no-op push: no registry of $n versions"
fi

# --- report -------------------------------------------------------------

mb=$(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1048576 }')
echo
echo "mreg push and clone vs cp and scp, $mb MiB artifact ($bytes bytes)"
awk -v b="$bytes" -v ssh="$ssh_ok" \
	-v cp_s="$cp_s" -v cp_kb="$cp_kb" \
	-v fp_s="$fpush_s" -v fp_kb="$fpush_kb" -v fp_f="$fpush_fail" \
	-v fc_s="$fclone_s" -v fc_kb="$fclone_kb" -v fc_f="$fclone_fail" \
	-v sp_s="$scpput_s" -v sp_kb="$scpput_kb" \
	-v sg_s="$scpget_s" -v sg_kb="$scpget_kb" \
	-v mp_s="$spush_s" -v mp_kb="$spush_kb" -v mp_far="$spush_far_kb" -v mp_f="$spush_fail" \
	-v mc_s="$sclone_s" -v mc_kb="$sclone_kb" -v mc_far="$sclone_far_kb" -v mc_f="$sclone_fail" \
	-v n="$versions" -v noop="$noop_s" -v gnoop="$gitnoop_s" -v full="$fullpush_s" '
function rate(s) { return s > 0 ? b / 1048576 / s : 0 }
function row(name, s, kb, far) {
	if (s == "") {
		printf "%-30s %s\n", name, "failed"
		return
	}
	printf "%-30s %8.2f s %9.1f MiB/s %10.1f MiB %12s\n", name, s, rate(s),
		kb / 1024, far == "" ? "-" : sprintf("%.1f MiB", far / 1024)
}
function target(what, ok) {
	printf "  %-62s %s\n", what, ok ? "PASS" : "MISS"
}
# throughput of mreg as a fraction of the peer: peer time / mreg time
function ratio(peer, m) { return m > 0 ? peer / m : (m == "" ? 0 : 999) }
function rss(name, kb, far) {
	target(sprintf("%s peak RSS: %.1f MiB (target <= 64 MiB)", name, kb / 1024),
	       kb != "" && kb <= 65536)
	if (far != "")
		target(sprintf("%s far side (mreg serve) peak RSS: %.1f MiB (<= 64 MiB)",
			       name, far / 1024), far <= 65536)
}
BEGIN {
	printf "%-30s %10s %15s %14s %12s\n", "", "wall", "throughput",
		"peak RSS", "far side"
	row("cp", cp_s, cp_kb, "")
	row("mreg push (file://)", fp_s, fp_kb, "")
	row("mreg clone (file://)", fc_s, fc_kb, "")
	if (ssh == "t") {
		row("scp (upload)", sp_s, sp_kb, "")
		row("mreg push (ssh)", mp_s, mp_kb, mp_far)
		row("scp (download)", sg_s, sg_kb, "")
		row("mreg clone (ssh)", mc_s, mc_kb, mc_far)
	}
	print ""
	x = fp_f ? 0 : ratio(cp_s, fp_s)
	target(sprintf("push file:// vs cp: %.2fx (target >= 0.5x)", x), x >= 0.5)
	x = fc_f ? 0 : ratio(cp_s, fc_s)
	target(sprintf("clone file:// vs cp: %.2fx (target >= 0.5x)", x), x >= 0.5)
	rss("push file://", fp_f ? "" : fp_kb, "")
	rss("clone file://", fc_f ? "" : fc_kb, "")
	if (ssh == "t") {
		x = mp_f ? 0 : ratio(sp_s, mp_s)
		target(sprintf("push ssh vs scp: %.2fx (target >= 0.5x)", x), x >= 0.5)
		x = mc_f ? 0 : ratio(sg_s, mc_s)
		target(sprintf("clone ssh vs scp: %.2fx (target >= 0.5x)", x), x >= 0.5)
		rss("push ssh", mp_f ? "" : mp_kb, mp_f ? "" : mp_far)
		rss("clone ssh", mc_f ? "" : mc_kb, mc_f ? "" : mc_far)
	} else {
		print "  ssh: skipped (no sshd)"
	}
	print ""
	if (n != "") {
		printf "no-op push, %d versions: mreg %s, git push %s (the first mreg push: %s)\n",
			n, noop == "" ? "failed" : noop " s", gnoop == "" ? "-" : gnoop " s",
			full == "" ? "failed" : full " s"
		target(sprintf("no-op push: %s (target < 0.2 s)", noop == "" ? "failed" : noop " s"),
		       noop != "" && noop < 0.2)
	} else {
		print "  no-op push: skipped"
	}
}'
exit 0
