#!/bin/sh

test_description='mreg push, fetch and clone over ssh, with mreg serve on the far side

A real sshd (Debian openssh-server) listens on a free loopback port with a
host key made here and one authorized key.  Refs travel through libgit2'"'"'s
ssh transport, which checks the host key against $MREG_SSH_KNOWN_HOSTS and
authenticates with $MREG_SSH_KEY; artifacts travel through the ssh client,
given the same key and known_hosts file, running $MREG_SERVE_COMMAND on
the far side.  Every artifact that arrives is re-hashed; an unknown host
is refused; an artifact transfer cut off midway resumes from the bytes
that arrived instead of starting over.'

. ./test-lib.sh
. "$TEST_DIRECTORY"/lib-bundle.sh
. "$TEST_DIRECTORY"/lib-sync.sh

SSHD=/usr/sbin/sshd
if ! test -x "$SSHD"
then
	skip_all="$SSHD not found (Debian: apt-get install openssh-server)"
	test_done
fi
for tool in ssh ssh-keygen python3 sha256sum
do
	command -v $tool >/dev/null 2>&1 || skip_all="$tool not found"
done
test -n "$skip_all" && test_done
# test-xfer drives the artifact channel alone (make test builds it).
test -x "$MREG_BUILD_DIR/t/helper/test-xfer" && test_set_prereq TEST_XFER
PATH="$MREG_BUILD_DIR/t/helper:$PATH"
# As root, sshd needs its privilege separation directory, which the
# service would make at boot.
if test "$(id -u)" = 0 && ! test -d /run/sshd
then
	mkdir -p -m 0755 /run/sshd 2>/dev/null ||
	skip_all="sshd needs /run/sshd, which cannot be made"
	test -n "$skip_all" && test_done
fi

SQ="'"
USER_NAME=$(id -un)
MREG_BIN="$MREG_BUILD_DIR/mreg"
# The trash directory's name holds a space, which ssh URLs (for libgit2)
# and sshd_config cannot hold: everything is reached through a symlink.
T="${TMPDIR:-/tmp}/mreg-t5004.$$"

stop_sshd () {
	if test -f "$TRASH_DIRECTORY/sshd.pid"
	then
		kill "$(cat "$TRASH_DIRECTORY/sshd.pid")" 2>/dev/null
		rm -f "$TRASH_DIRECTORY/sshd.pid"
	fi
	rm -f "$T"
	return 0
}
trap 'sshd_code_=$?; stop_sshd; (exit $sshd_code_); test_lib_atexit' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# ssh_options [KNOWN_HOSTS]: the options of the artifact channel's ssh.
ssh_options () {
	echo "-F /dev/null -i $T/id_ed25519 -o IdentitiesOnly=yes" \
		"-o UserKnownHostsFile=${1:-$T/known_hosts}" \
		"-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes" \
		"-o BatchMode=yes -o LogLevel=ERROR"
}

start_sshd () {
	"$SSHD" -f "$T/sshd_config" -E "$T/sshd.log" &&
	i=0 &&
	while ! ssh $(ssh_options) -p "$PORT" "$USER_NAME@127.0.0.1" true </dev/null 2>/dev/null
	do
		i=$((i + 1))
		test $i -lt 100 || return 1
		sleep 0.1
	done
}

sha_of () {
	sha256sum "$1" | cut -d" " -f1
}

store_path () {
	sp_sha=$(sha_of "$2") &&
	echo "$1/artifacts/$(echo $sp_sha | cut -c1-2)/$(echo $sp_sha | cut -c3-4)/$sp_sha"
}

# write_serve_wrappers: scripts to run as $MREG_SERVE_COMMAND on the far
# side, which sees none of our environment: the values are written in.
write_serve_wrappers () {
	# serve-then-kill DIR: mreg serve, fed the first CUT bytes of what
	# the client sends; once the upload they held is all in its partial
	# file, the server is killed (SIGKILL) in the middle of the transfer.
	cat >"$T/serve-then-kill" <<-EOF &&
	#!/usr/bin/env python3
	import glob, os, subprocess, sys, time
	cut = int(open("$T/cut").read())
	srv = subprocess.Popen(["$MREG_BIN", "serve", sys.argv[1]], stdin=subprocess.PIPE)
	left = cut
	while left:
	    b = os.read(0, min(left, 65536))
	    if not b:
	        break
	    srv.stdin.write(b)
	    srv.stdin.flush()
	    left -= len(b)
	last, stable = -1, 0
	for i in range(400):
	    sizes = [os.path.getsize(p) for p in glob.glob(sys.argv[1] + "/tmp/partial-*")]
	    size = sum(sizes)
	    stable = stable + 1 if size == last and size > 0 else 0
	    if stable >= 5:
	        break
	    last = size
	    time.sleep(0.05)
	srv.kill()
	srv.wait()
	open("$T/killed", "w").write("%d\n" % last)
	sys.exit(1)
	EOF
	# serve-recording DIR: mreg serve, with a copy of what it reads and
	# of what it writes.
	cat >"$T/serve-recording" <<-EOF &&
	#!/bin/sh
	tee "$T/serve.in" | "$MREG_BIN" serve "\$1" | tee "$T/serve.out"
	EOF
	# serve-cut DIR: mreg serve, of whose answers the client gets only
	# the first CUT bytes.  (Not "| head -c": head waits for a full
	# buffer before it writes, and the client waits for the greeting.)
	cat >"$T/serve-cut" <<-EOF &&
	#!/usr/bin/env python3
	import os, subprocess, sys
	cut = int(open("$T/cut").read())
	srv = subprocess.Popen(["$MREG_BIN", "serve", sys.argv[1]], stdout=subprocess.PIPE)
	left = cut
	while left:
	    b = os.read(srv.stdout.fileno(), min(left, 65536))
	    if not b:
	        break
	    os.write(1, b)
	    left -= len(b)
	srv.kill()
	srv.wait()
	sys.exit(1)
	EOF
	chmod +x "$T/serve-then-kill" "$T/serve-recording" "$T/serve-cut"
}

test_expect_success 'setup: sshd on a loopback port, a host key, an authorized key' '
	ln -s "$TRASH_DIRECTORY" "$T" &&
	ssh-keygen -q -t ed25519 -N "" -C "test host" -f hostkey &&
	ssh-keygen -q -t ed25519 -N "" -C "test user" -f id_ed25519 &&
	cp id_ed25519.pub authorized_keys &&
	PORT=$(test_free_port) &&
	cat >sshd_config <<-EOF &&
	Port $PORT
	ListenAddress 127.0.0.1
	HostKey $T/hostkey
	PidFile $T/sshd.pid
	AuthorizedKeysFile $T/authorized_keys
	StrictModes no
	UsePAM no
	PermitRootLogin prohibit-password
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	PubkeyAuthentication yes
	X11Forwarding no
	AllowTcpForwarding no
	PrintMotd no
	LogLevel VERBOSE
	EOF
	echo "[127.0.0.1]:$PORT $(cut -d" " -f1,2 hostkey.pub)" >known_hosts &&
	start_sshd &&
	test -s sshd.pid &&
	ssh $(ssh_options) -p "$PORT" "$USER_NAME@127.0.0.1" echo hello </dev/null >out &&
	echo hello >expect &&
	test_cmp expect out &&
	write_serve_wrappers
'

test_expect_success 'setup: the environment mreg uses for ssh' '
	MREG_SSH_KNOWN_HOSTS=$T/known_hosts &&
	MREG_SSH_KEY=$T/id_ed25519 &&
	MREG_SSH_OPTIONS=$(ssh_options) &&
	MREG_SERVE_COMMAND="$SQ$MREG_BIN$SQ serve" &&
	export MREG_SSH_KNOWN_HOSTS MREG_SSH_KEY MREG_SSH_OPTIONS MREG_SERVE_COMMAND &&
	URL=ssh://$USER_NAME@127.0.0.1:$PORT$T/remote.git &&
	git init -q --bare remote.git
'

test_expect_success 'setup: team A with a key, a policy, a version over 1 MiB' '
	mreg keygen -f alice >/dev/null 2>&1 &&
	mreg keygen -f bob >/dev/null 2>&1 &&
	setup_team_a 2048 &&
	mreg -R A/.mreg promote home_feed v1 >/dev/null
'

test_expect_success 'push over ssh: the artifact arrives under remote/artifacts, whole' '
	(cd A && mreg remote add origin "$URL") &&
	(cd A && mreg push >../out) &&
	first_push_report >expect &&
	sort out >actual &&
	test_cmp expect actual &&
	remote_refs A/.mreg >expect &&
	remote_refs remote.git >actual &&
	test_cmp expect actual &&
	art=$(store_path remote.git A/b-v1/model/ranker.onnx) &&
	test_cmp A/b-v1/model/ranker.onnx "$art" &&
	test "$(sha_of "$art")" = "$(basename "$art")" &&
	find remote.git/tmp -type f >leftovers &&
	test_must_be_empty leftovers &&
	(cd A && mreg push >../out) &&
	echo "Everything up to date" >expect &&
	test_cmp expect out
'

test_expect_success 'clone over ssh: trust root printed, artifact fetched, history verifies' '
	mreg clone "$URL" B >out &&
	cat >expect <<-EOF &&
	Cloned $URL into $PWD/B/.mreg
	Trust root: $(ssh-keygen -lf alice.pub | cut -d" " -f2)
	Compare this fingerprint with the registry owner${SQ}s, out of band.
	EOF
	test_cmp expect out &&
	remote_refs remote.git >expect &&
	remote_refs B/.mreg >actual &&
	test_cmp expect actual &&
	test_cmp A/b-v1/model/ranker.onnx "$(store_path B/.mreg A/b-v1/model/ranker.onnx)" &&
	mreg -R B/.mreg verify >out &&
	! grep "^BAD" out &&
	mreg -R B/.mreg fsck
'

test_expect_success 'team B pushes a canary over ssh; team A fetches it with its artifact' '
	team B bob bob &&
	register_in B v2 3072 &&
	mreg -R B/.mreg promote --stage canary home_feed v2 >/dev/null &&
	(cd B && mreg push >../out) &&
	grep "^pushed     refs/mreg/routes/home_feed " out &&
	test_cmp B/b-v2/model/ranker.onnx "$(store_path remote.git B/b-v2/model/ranker.onnx)" &&
	(cd A && mreg fetch >../out) &&
	grep "^updated    refs/mreg/routes/home_feed " out &&
	test_cmp B/b-v2/model/ranker.onnx "$(store_path A/.mreg B/b-v2/model/ranker.onnx)" &&
	mreg -R A/.mreg log home_feed >log &&
	grep "^Signer:    bob (good signature)$" log
'

# Without $MREG_SSH_OPTIONS, ssh knows neither this host key nor this
# login key but by the two variables.
test_expect_success 'with only $MREG_SSH_KEY and $MREG_SSH_KNOWN_HOSTS, push and clone carry artifacts' '
	git init -q --bare keyonly.git &&
	KEYONLY=ssh://$USER_NAME@127.0.0.1:$PORT$T/keyonly.git &&
	(cd A && mreg remote add keyonly "$KEYONLY") &&
	(
		unset MREG_SSH_OPTIONS &&
		cd A &&
		mreg push keyonly >../out
	) &&
	grep "^pushed     refs/mreg/models/home_ranker/v2 " out &&
	test_cmp A/b-v1/model/ranker.onnx \
		"$(store_path keyonly.git A/b-v1/model/ranker.onnx)" &&
	test_cmp B/b-v2/model/ranker.onnx \
		"$(store_path keyonly.git B/b-v2/model/ranker.onnx)" &&
	(
		unset MREG_SSH_OPTIONS &&
		mreg clone -q "$KEYONLY" K >/dev/null
	) &&
	test_cmp A/b-v1/model/ranker.onnx "$(store_path K/.mreg A/b-v1/model/ranker.onnx)" &&
	test_cmp B/b-v2/model/ranker.onnx "$(store_path K/.mreg B/b-v2/model/ranker.onnx)" &&
	mreg -R K/.mreg fsck
'

test_expect_success 'an artifact that does not hash right on arrival is refused, and no ref moves' '
	git init -q --bare fresh.git &&
	(cd A && mreg remote add fresh "ssh://$USER_NAME@127.0.0.1:$PORT$T/fresh.git") &&
	art=$(store_path A/.mreg A/b-v1/model/ranker.onnx) &&
	cp "$art" saved.onnx &&
	chmod u+w "$art" &&
	printf X | dd of="$art" bs=1 seek=1000 conv=notrunc 2>/dev/null &&
	test_when_finished "cp saved.onnx \"$art\" && chmod 444 \"$art\"" &&
	(cd A && test_must_fail mreg push fresh >../out 2>../err) &&
	grep "corrupt" err &&
	test_path_is_missing "$(store_path fresh.git saved.onnx)" &&
	remote_refs fresh.git >refs &&
	test_must_be_empty refs
'

test_expect_success 'a host key missing from known_hosts is refused, leaving nothing' '
	: >empty_known_hosts &&
	(
		MREG_SSH_KNOWN_HOSTS=$T/empty_known_hosts &&
		export MREG_SSH_KNOWN_HOSTS &&
		test_must_fail mreg clone "$URL" U 2>err
	) &&
	test -s err &&
	test_path_is_missing U &&
	refs_of A >before &&
	(
		cd A &&
		MREG_SSH_KNOWN_HOSTS=$T/empty_known_hosts &&
		export MREG_SSH_KNOWN_HOSTS &&
		test_must_fail mreg fetch 2>../err &&
		test_must_fail mreg push 2>../err
	) &&
	refs_of A >after &&
	test_cmp before after
'

test_expect_success 'the refusal of an unknown host key says which host and how to add it' '
	(
		MREG_SSH_KNOWN_HOSTS=$T/empty_known_hosts &&
		export MREG_SSH_KNOWN_HOSTS &&
		test_must_fail mreg clone "$URL" U 2>err
	) &&
	grep "the host key of .\[127.0.0.1\]:$PORT. is not in $T/empty_known_hosts" err &&
	grep "ssh-keyscan -p $PORT 127.0.0.1" err &&
	test_path_is_missing U
'

test_expect_success 'a host known under another key is refused' '
	ssh-keygen -q -t ed25519 -N "" -f otherhost &&
	echo "[127.0.0.1]:$PORT $(cut -d" " -f1,2 otherhost.pub)" >wrong_known_hosts &&
	refs_of A >before &&
	(
		cd A &&
		MREG_SSH_KNOWN_HOSTS=$T/wrong_known_hosts &&
		export MREG_SSH_KNOWN_HOSTS &&
		test_must_fail mreg fetch 2>../err
	) &&
	refs_of A >after &&
	test_cmp before after &&
	(
		MREG_SSH_KNOWN_HOSTS=$T/wrong_known_hosts &&
		export MREG_SSH_KNOWN_HOSTS &&
		test_must_fail mreg clone "$URL" U 2>err
	) &&
	test_path_is_missing U
'

test_expect_success 'the artifact channel refuses a host its known_hosts lacks; no ref moves' '
	register_in A v3 2048 &&
	remote_refs remote.git >before &&
	(
		cd A &&
		MREG_SSH_OPTIONS=$(ssh_options "$T/empty_known_hosts") &&
		export MREG_SSH_OPTIONS &&
		test_must_fail mreg push >../out 2>../err
	) &&
	grep "Host key verification failed" err &&
	remote_refs remote.git >after &&
	test_cmp before after
'

# ssh_config names the right known_hosts file and key: ssh would log in
# with it alone.  $MREG_SSH_KNOWN_HOSTS must win over it, as it wins over
# ~/.ssh/known_hosts for the refs.
test_expect_success TEST_XFER 'the artifact channel checks the host against $MREG_SSH_KNOWN_HOSTS alone' '
	SHA=$(sha_of A/b-v3/model/ranker.onnx) &&
	SIZE=$(wc -c <A/b-v3/model/ranker.onnx) &&
	SHA1=$(sha_of A/b-v1/model/ranker.onnx) &&
	SIZE1=$(wc -c <A/b-v1/model/ranker.onnx) &&
	mkdir G &&
	(cd G && setup_registry) &&
	cat >ssh_config <<-EOF &&
	UserKnownHostsFile $T/known_hosts
	IdentityFile $T/id_ed25519
	LogLevel ERROR
	EOF
	ssh -F "$T/ssh_config" -o BatchMode=yes -p $PORT "$USER_NAME@127.0.0.1" true </dev/null &&
	(
		MREG_SSH_OPTIONS="-F $T/ssh_config" &&
		MREG_SSH_KNOWN_HOSTS=$T/wrong_known_hosts &&
		export MREG_SSH_OPTIONS MREG_SSH_KNOWN_HOSTS &&
		test_must_fail test-xfer put "$KEYONLY" A/.mreg $SHA $SIZE 2>put.err &&
		test_must_fail test-xfer get "$KEYONLY" G/.mreg $SHA1 $SIZE1 2>get.err
	) &&
	for e in put.err get.err
	do
		grep "Host key verification failed" $e &&
		grep "^error: cannot reach remote .$KEYONLY. over ssh (.ssh. exited with status 255); ssh says why above" $e || return 1
	done &&
	test_path_is_missing "$(store_path keyonly.git A/b-v3/model/ranker.onnx)" &&
	test_path_is_missing "$(store_path G/.mreg A/b-v1/model/ranker.onnx)" &&
	find keyonly.git/tmp G/.mreg/tmp -type f >leftovers &&
	test_must_be_empty leftovers
'

test_expect_success 'a push with a wrong $MREG_SSH_KNOWN_HOSTS and no $MREG_SSH_OPTIONS leaves nothing' '
	remote_refs keyonly.git >before &&
	(
		unset MREG_SSH_OPTIONS &&
		MREG_SSH_KNOWN_HOSTS=$T/wrong_known_hosts &&
		export MREG_SSH_KNOWN_HOSTS &&
		cd A &&
		test_must_fail mreg push keyonly >../out 2>../err
	) &&
	grep "the host key of .\[127.0.0.1\]:$PORT. is not in $T/wrong_known_hosts" err &&
	remote_refs keyonly.git >after &&
	test_cmp before after &&
	test_path_is_missing "$(store_path keyonly.git A/b-v3/model/ranker.onnx)"
'

test_expect_success 'a far side without mreg is reported as such; no ref moves' '
	remote_refs remote.git >before &&
	(
		cd A &&
		MREG_SERVE_COMMAND=/nonexistent/mreg-serve &&
		export MREG_SERVE_COMMAND &&
		test_must_fail mreg push >../out 2>../err
	) &&
	grep "is mreg installed there (see \$MREG_SERVE_COMMAND)" err &&
	remote_refs remote.git >after &&
	test_cmp before after
'

test_expect_success 'an upload killed midway keeps its bytes in tmp/partial-SHA on the far side' '
	(cd A && mreg push >/dev/null) &&
	register_in A v5 6144 &&
	SHA=$(sha_of A/b-v5/model/ranker.onnx) &&
	SIZE=$(wc -c <A/b-v5/model/ranker.onnx) &&
	echo 2500000 >cut &&
	remote_refs remote.git >before &&
	(
		cd A &&
		MREG_SERVE_COMMAND="$SQ$T/serve-then-kill$SQ" &&
		export MREG_SERVE_COMMAND &&
		test_must_fail mreg push >../out 2>../err
	) &&
	test_path_is_file killed &&
	remote_refs remote.git >after &&
	test_cmp before after &&
	test_path_is_missing "$(store_path remote.git A/b-v5/model/ranker.onnx)" &&
	test_path_is_file remote.git/tmp/partial-$SHA &&
	KEPT=$(wc -c <remote.git/tmp/partial-$SHA) &&
	test $KEPT -gt 2000000 &&
	test $KEPT -lt 2500000 &&
	head -c $KEPT A/b-v5/model/ranker.onnx >prefix &&
	test_cmp prefix remote.git/tmp/partial-$SHA
'

test_expect_success 'the next push resumes the upload where it stopped' '
	rm -f serve.in serve.out &&
	(
		cd A &&
		MREG_SERVE_COMMAND="$SQ$T/serve-recording$SQ" &&
		export MREG_SERVE_COMMAND &&
		mreg push >../out 2>../err
	) &&
	grep "^pushed     refs/mreg/models/home_ranker/v5 " out &&
	grep -a "^have $SHA $SIZE$" serve.in &&
	grep -a "^have $SHA partial $KEPT$" serve.out &&
	grep -a "^put $SHA $SIZE $KEPT$" serve.in &&
	! grep -a "^put $SHA $SIZE 0$" serve.in &&
	sent=$(wc -c <serve.in) &&
	test $sent -ge $((SIZE - KEPT)) &&
	test $sent -lt $((SIZE - KEPT + 4096)) &&
	art=$(store_path remote.git A/b-v5/model/ranker.onnx) &&
	test_cmp A/b-v5/model/ranker.onnx "$art" &&
	test_path_is_missing remote.git/tmp/partial-$SHA
'

test_expect_success 'a download cut off midway keeps its bytes in tmp/partial-SHA' '
	mreg clone -q "$URL" C >/dev/null &&
	register_in A v6 6144 &&
	(cd A && mreg push >/dev/null) &&
	SHA=$(sha_of A/b-v6/model/ranker.onnx) &&
	SIZE=$(wc -c <A/b-v6/model/ranker.onnx) &&
	echo 3000000 >cut &&
	refs_of C >before &&
	(
		cd C &&
		MREG_SERVE_COMMAND="$SQ$T/serve-cut$SQ" &&
		export MREG_SERVE_COMMAND &&
		test_must_fail mreg fetch >../out 2>../err
	) &&
	grep "hung up" err &&
	refs_of C | grep " refs/mreg/" >after &&
	grep " refs/mreg/" before >before.local &&
	test_cmp before.local after &&
	test_path_is_file C/.mreg/tmp/partial-$SHA &&
	GOT=$(wc -c <C/.mreg/tmp/partial-$SHA) &&
	test $GOT -gt 2000000 &&
	test $GOT -lt 3000000 &&
	head -c $GOT A/b-v6/model/ranker.onnx >prefix &&
	test_cmp prefix C/.mreg/tmp/partial-$SHA
'

test_expect_success 'the next fetch resumes the download where it stopped' '
	rm -f serve.in serve.out &&
	(
		cd C &&
		MREG_SERVE_COMMAND="$SQ$T/serve-recording$SQ" &&
		export MREG_SERVE_COMMAND &&
		mreg fetch >../out 2>../err
	) &&
	grep "^new        refs/mreg/models/home_ranker/v6 " out &&
	grep -a "^get $SHA $SIZE $GOT$" serve.in &&
	! grep -a "^get $SHA $SIZE 0$" serve.in &&
	got=$(wc -c <serve.out) &&
	test $got -ge $((SIZE - GOT)) &&
	test $got -lt $((SIZE - GOT + 4096)) &&
	test_cmp A/b-v6/model/ranker.onnx "$(store_path C/.mreg A/b-v6/model/ranker.onnx)" &&
	test_path_is_missing C/.mreg/tmp/partial-$SHA &&
	mreg -R C/.mreg fsck
'

test_expect_success 'stop sshd' '
	pid=$(cat sshd.pid) &&
	stop_sshd &&
	i=0 &&
	while kill -0 $pid 2>/dev/null
	do
		i=$((i + 1))
		test $i -lt 50 || return 1
		sleep 0.1
	done
'

test_done
