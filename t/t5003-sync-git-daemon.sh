#!/bin/sh

test_description='mreg push, fetch, pull and clone over git:// (git daemon)

A git daemon with receive-pack enabled serves a bare repository on a free
loopback port.  git:// carries refs and git objects, so versions whose
files are all at most 1 MiB (kept in git) travel whole; it carries no
artifacts: a push that would need to send some fails with a message that
says so, before any ref moves, and --no-artifacts leaves them behind.
The daemon is started by this script on 127.0.0.1 and stopped at its end.'

. ./test-lib.sh
. "$TEST_DIRECTORY"/lib-bundle.sh
. "$TEST_DIRECTORY"/lib-sync.sh

GIT_DAEMON="$(git --exec-path)/git-daemon"
if ! test -x "$GIT_DAEMON"
then
	skip_all="git-daemon not found in $(git --exec-path) (Debian: apt-get install git)"
	test_done
fi
for tool in ssh-keygen python3
do
	command -v $tool >/dev/null 2>&1 || skip_all="$tool not found"
done
test -n "$skip_all" && test_done

SQ="'"

# The daemon: started by a test, stopped by the last one or at exit.
stop_daemon () {
	if test -f "$TRASH_DIRECTORY/daemon.pid"
	then
		kill "$(cat "$TRASH_DIRECTORY/daemon.pid")" 2>/dev/null
		rm -f "$TRASH_DIRECTORY/daemon.pid"
	fi
	return 0
}
trap 'daemon_code_=$?; stop_daemon; (exit $daemon_code_); test_lib_atexit' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

start_daemon () {
	"$GIT_DAEMON" --export-all --enable=receive-pack --informative-errors \
		--base-path="$TRASH_DIRECTORY/srv" --listen=127.0.0.1 --port="$PORT" \
		--reuseaddr --detach --pid-file="$TRASH_DIRECTORY/daemon.pid" \
		"$TRASH_DIRECTORY/srv" &&
	i=0 &&
	while ! git ls-remote "git://127.0.0.1:$PORT/remote.git" >/dev/null 2>&1
	do
		i=$((i + 1))
		test $i -lt 100 || return 1
		sleep 0.1
	done
}

test_expect_success 'setup: a git daemon with receive-pack on a loopback port' '
	mkdir srv &&
	git init -q --bare srv/remote.git &&
	PORT=$(test_free_port) &&
	URL=git://127.0.0.1:$PORT/remote.git &&
	start_daemon &&
	test -s daemon.pid &&
	kill -0 "$(cat daemon.pid)"
'

test_expect_success 'setup: team A with keys, a policy and a version kept in git' '
	mreg keygen -f alice >/dev/null 2>&1 &&
	mreg keygen -f bob >/dev/null 2>&1 &&
	setup_team_a 512 &&
	find A/.mreg/artifacts -type f >arts &&
	test_must_be_empty arts &&
	mreg -R A/.mreg promote home_feed v1 >/dev/null
'

test_expect_success 'push over git:// with artifacts of at most 1 MiB' '
	(cd A && mreg remote add origin "$URL") &&
	(cd A && mreg push >../out) &&
	first_push_report >expect &&
	sort out >actual &&
	test_cmp expect actual &&
	remote_refs A/.mreg >expect &&
	remote_refs srv/remote.git >actual &&
	test_cmp expect actual &&
	(cd A && mreg push >../out) &&
	echo "Everything up to date" >expect &&
	test_cmp expect out
'

test_expect_success 'clone over git://: the trust root is printed; the clone verifies' '
	mreg clone "$URL" B >out &&
	cat >expect <<-EOF &&
	Cloned $URL into $PWD/B/.mreg
	Trust root: $(ssh-keygen -lf alice.pub | cut -d" " -f2)
	Compare this fingerprint with the registry owner${SQ}s, out of band.
	EOF
	test_cmp expect out &&
	remote_refs srv/remote.git >expect &&
	remote_refs B/.mreg >actual &&
	test_cmp expect actual &&
	mreg -R B/.mreg verify >out &&
	! grep "^BAD" out &&
	mreg -R B/.mreg cat home_ranker@v1 model/ranker.onnx >ranker.onnx &&
	test_cmp A/b-v1/model/ranker.onnx ranker.onnx
'

test_expect_success 'team B promotes a canary and pushes; team A pulls it' '
	team B bob bob &&
	register_in B v2 256 &&
	mreg -R B/.mreg promote --stage canary home_feed v2 >/dev/null &&
	(cd B && mreg push >../out) &&
	grep "^pushed     refs/mreg/routes/home_feed " out &&
	OLD=$(short A/.mreg refs/mreg/routes/home_feed) &&
	(cd A && mreg pull >../out) &&
	printf "%-10s %s %s..%s\n" updated refs/mreg/routes/home_feed $OLD \
		$(short B/.mreg refs/mreg/routes/home_feed) >expect &&
	grep "^updated " out >actual &&
	test_cmp expect actual &&
	mreg -R A/.mreg log home_feed >log &&
	grep "^Signer:    bob (good signature)$" log &&
	mreg -R A/.mreg verify >out &&
	! grep "^BAD" out
'

test_expect_success 'a push that needs to send artifacts fails clearly, and pushes nothing' '
	register_in A v3 2048 &&
	find A/.mreg/artifacts -type f >arts &&
	test_line_count = 1 arts &&
	remote_refs srv/remote.git >before &&
	(cd A && test_expect_code 128 mreg push >../out 2>../err) &&
	echo "error: this remote carries no artifacts (use --no-artifacts, or an ssh or path remote)" >expect &&
	test_cmp expect err &&
	remote_refs srv/remote.git >after &&
	test_cmp before after
'

test_expect_success 'push --no-artifacts: the refs arrive, the artifacts stay behind' '
	(cd A && mreg push --no-artifacts >../out) &&
	grep "^pushed     refs/mreg/models/home_ranker/v3 " out &&
	remote_refs A/.mreg >expect &&
	remote_refs srv/remote.git >actual &&
	test_cmp expect actual &&
	find srv/remote.git -path "*/artifacts/*" -type f >arts &&
	test_must_be_empty arts
'

test_expect_success 'a fetch that needs artifacts from git:// fails clearly, and changes nothing' '
	refs_of B >before &&
	(cd B && test_expect_code 128 mreg pull >../out 2>../err) &&
	echo "error: this remote carries no artifacts (use --no-artifacts, or an ssh or path remote)" >expect &&
	test_cmp expect err &&
	refs_of B | grep " refs/mreg/" >after &&
	grep " refs/mreg/" before >before.local &&
	test_cmp before.local after
'

test_expect_success 'a failed fetch leaves the remote-tracking refs as they were' '
	refs_of B >before &&
	(cd B && test_expect_code 128 mreg pull >../out 2>../err) &&
	refs_of B >after &&
	test_cmp before after &&
	git --git-dir=B/.mreg for-each-ref refs/mreg-remotes/origin/models/home_ranker/v3 >out &&
	test_must_be_empty out
'

test_expect_success 'pull --no-artifacts takes the refs and leaves the artifacts behind' '
	(cd B && mreg pull --no-artifacts >../out) &&
	grep "^new        refs/mreg/models/home_ranker/v3 " out &&
	remote_refs srv/remote.git >expect &&
	remote_refs B/.mreg >actual &&
	test_cmp expect actual
'

test_expect_success 'clone --no-artifacts over git://' '
	mreg clone --no-artifacts "$URL" C >out &&
	remote_refs srv/remote.git >expect &&
	remote_refs C/.mreg >actual &&
	test_cmp expect actual
'

test_expect_success 'a clone that needs artifacts from git:// fails clearly, leaving nothing' '
	test_must_fail mreg clone "$URL" D 2>err &&
	grep "this remote carries no artifacts" err &&
	test_path_is_missing D
'

test_expect_success 'a route rewound on the git:// remote is refused, nothing changes' '
	HEAD=$(git --git-dir=srv/remote.git rev-parse refs/mreg/routes/home_feed) &&
	git --git-dir=srv/remote.git update-ref refs/mreg/routes/home_feed $HEAD~1 &&
	test_when_finished "git --git-dir=srv/remote.git update-ref refs/mreg/routes/home_feed $HEAD" &&
	refs_of A >before &&
	(cd A && test_expect_code 1 mreg pull --no-artifacts >../out) &&
	grep "^refused    refs/mreg/routes/home_feed $(echo $HEAD | cut -c1-12)\.\..*: the remote rewound it" out &&
	refs_of A >after &&
	test_cmp before after
'

test_expect_success 'a push of a route the remote moved is rejected: fetch and retry' '
	mreg -R A/.mreg route set-traffic home_feed 7% >/dev/null &&
	mreg -R B/.mreg route set-traffic home_feed 9% >/dev/null &&
	(cd B && mreg push >../out) &&
	B_HEAD=$(git --git-dir=B/.mreg rev-parse refs/mreg/routes/home_feed) &&
	(cd A && test_expect_code 1 mreg push --no-artifacts >../out 2>../err) &&
	grep "^rejected   refs/mreg/routes/home_feed .*fetch and retry$" out &&
	test "$(git --git-dir=srv/remote.git rev-parse refs/mreg/routes/home_feed)" = $B_HEAD
'

test_expect_success 'two pushes of one route racing over git://: exactly one wins' '
	rm -rf base &&
	cp -R B base &&
	for round in 1 2 3
	do
		rm -rf R1 R2 go R1.rc R2.rc &&
		cp -R base R1 &&
		cp -R base R2 &&
		team R1 alice alice &&
		mreg -R R1/.mreg route set-traffic home_feed $((round + 10))% >/dev/null &&
		mreg -R R2/.mreg route set-traffic home_feed $((round + 20))% >/dev/null &&
		race_pushes || return 1
		test "$(git --git-dir=srv/remote.git rev-parse refs/mreg/routes/home_feed)" = \
			"$(git --git-dir=$win/.mreg rev-parse refs/mreg/routes/home_feed)" &&
		rm -rf base &&
		cp -R $win base || return 1
	done
'

test_expect_success 'stop the daemon' '
	pid=$(cat daemon.pid) &&
	stop_daemon &&
	i=0 &&
	while kill -0 $pid 2>/dev/null
	do
		i=$((i + 1))
		test $i -lt 50 || return 1
		sleep 0.1
	done &&
	test_must_fail git ls-remote "$URL" 2>/dev/null
'

test_done
