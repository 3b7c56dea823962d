#!/bin/sh
test_description='mreg status: the lifecycle of a version on its signed status chain

"mreg status REF" shows a version'"'"'s state and history; "mreg status REF
STATE -m REASON" moves it, allowing only the transitions of DESIGN 3 that
are not made by route moves (candidate -> validated | rejected,
production -> deprecated, deprecated -> archived, ...).  Anything else is
refused, naming the states it may go to.'
. ./test-lib.sh
. "$TEST_DIRECTORY"/lib-bundle.sh

ZEROS=0000000000000000000000000000000000000000

# register_version VERSION: registers b/ as home_ranker@VERSION (a candidate).
register_version () {
	sed -i "s/^model_version: .*/model_version: $1/" b/mreg.yaml &&
	mreg register -q b/mreg.yaml >/dev/null
}

state_of () {
	mreg status home_ranker@$1 >state.out &&
	sed -n "1s/^home_ranker@$1 //p" state.out
}

status_ref () {
	echo refs/mreg/status/home_ranker/$1
}

iso_time_of () {
	date -u -d @"$(git --git-dir=.mreg log -1 --format=%ct "$1")" +%Y-%m-%dT%H:%M:%SZ
}

# refused VERSION STATE: "mreg status" refuses the move and changes nothing.
refused () {
	registry_state >refused.before &&
	test_must_fail mreg status home_ranker@$1 $2 -m "try" >refused.out 2>err &&
	test_must_be_empty refused.out &&
	registry_state >refused.after &&
	test_cmp refused.before refused.after
}

test_expect_success 'setup: a key, then versions' '
	setup_registry &&
	mreg keygen -f key >/dev/null 2>&1 &&
	make_bundle b v1 4 &&
	for v in v1 v2 v3 v4 v5
	do
		register_version $v || return 1
	done &&
	D1=sha256:$(git --git-dir=.mreg cat-file blob refs/mreg/models/home_ranker/v1:bundle.yaml |
		sha256sum | cut -d" " -f1)
'

test_expect_success 'a registered version is a candidate with one history entry' '
	mreg status home_ranker@v1 >out &&
	c1=$(git --git-dir=.mreg rev-parse $(status_ref v1)) &&
	t1=$(iso_time_of $c1) &&
	{
		echo "home_ranker@v1 candidate" &&
		printf "  %3u  %s  %-8s %-11s -> %-11s %s: %s\n" 1 $t1 register created \
			candidate author@example.com registered
	} >expect &&
	test_cmp expect out
'

test_expect_success 'status takes NAME@VERSION, a bare version and a digest prefix' '
	mreg status v1 >bare &&
	test_cmp out bare &&
	mreg status $(echo $D1 | cut -c1-19) >digest &&
	test_cmp out digest &&
	test_expect_code 1 mreg status home_ranker@nope 2>err &&
	grep "no such version .home_ranker@nope." err
'

test_expect_success 'candidate -> validated, signed, with the reason' '
	mreg status v1 validated -m "offline metrics ok" >out &&
	echo "v1 validated" >expect &&
	test_cmp expect out &&
	test "$(state_of v1)" = validated &&
	c2=$(git --git-dir=.mreg rev-parse $(status_ref v1)) &&
	test "$(git --git-dir=.mreg rev-parse $c2^)" = "$c1" &&
	git --git-dir=.mreg show $c2:status >status &&
	head -n 1 status | grep "^mreg-status 1$" &&
	grep "^model home_ranker@v1$" status &&
	grep "^digest $D1$" status &&
	grep "^seq 2$" status &&
	grep "^prev $c1$" status &&
	grep "^from candidate$" status &&
	grep "^state validated$" status &&
	grep "^reason offline metrics ok$" status &&
	echo "author@example.com $(cat key.pub)" >allowed &&
	git --git-dir=.mreg -c gpg.ssh.allowedSignersFile=allowed verify-commit $c2
'

test_expect_success 'status shows the history newest first' '
	mreg status v1 >out &&
	{
		echo "home_ranker@v1 validated" &&
		printf "  %3u  %s  %-8s %-11s -> %-11s %s: %s\n" \
			2 $(iso_time_of $c2) status candidate validated author@example.com \
			"offline metrics ok" \
			1 $t1 register created candidate author@example.com registered
	} >expect &&
	test_cmp expect out
'

test_expect_success 'status --json: ref, digest, status and the history' '
	mreg status --json v1 >out.json &&
	cat >expect.json <<-EOF &&
	{
	  "ref": "home_ranker@v1",
	  "digest": "$D1",
	  "status": "validated",
	  "history": [
	    {"seq": 2, "time": "$(iso_time_of $c2)", "action": "status", "from": "candidate",
	     "status": "validated", "signer": "author@example.com",
	     "reason": "offline metrics ok", "commit": "$c2"},
	    {"seq": 1, "time": "$t1", "action": "register", "from": "created",
	     "status": "candidate", "signer": "author@example.com",
	     "reason": "registered", "commit": "$c1"}
	  ]
	}
	EOF
	python3 -c "
import json, sys
a, b = json.load(open(\"expect.json\")), json.load(open(\"out.json\"))
sys.exit(a != b and print(a, b, sep=chr(10)) is None)
" >&4
'

test_expect_success 'candidate -> rejected -> archived' '
	mreg status v2 rejected -m "worse ndcg" &&
	test "$(state_of v2)" = rejected &&
	mreg status v2 archived -m "cleanup" &&
	test "$(state_of v2)" = archived
'

test_expect_success 'a version a route still serves cannot be deprecated' '
	mreg promote feed v1 &&
	test "$(state_of v1)" = production &&
	refused v1 deprecated &&
	grep "home_ranker@v1 serves production of route .feed.; move the route first" err &&
	test "$(state_of v1)" = production
'

test_expect_success 'production -> deprecated -> archived (once no route serves it)' '
	mreg route retire feed &&
	mreg status v1 deprecated -m "superseded" &&
	test "$(state_of v1)" = deprecated &&
	mreg status v1 archived -m "retention" &&
	test "$(state_of v1)" = archived
'

test_expect_success 'rolled_back -> deprecated' '
	mreg status v3 validated -m ok &&
	mreg status v4 validated -m ok &&
	mreg promote feed2 v3 &&
	mreg promote feed2 v4 &&
	mreg rollback feed2 &&
	test "$(state_of v4)" = rolled_back &&
	mreg status v4 deprecated -m "rolled back for good" &&
	test "$(state_of v4)" = deprecated
'

test_expect_success 'a move the lifecycle does not allow is refused, naming the allowed ones' '
	refused v5 archived &&
	grep "home_ranker@v5 cannot move from candidate to archived; from candidate it may go to: validated, rejected" err &&
	refused v5 deprecated &&
	grep "from candidate it may go to: validated, rejected" err &&
	refused v5 created &&
	grep "cannot move from candidate to created" err &&
	mreg status v5 validated -m ok &&
	refused v5 archived &&
	grep "cannot move from validated to archived; from validated it may go to: shadow, canary, production" err &&
	refused v5 rejected &&
	grep "cannot move from validated to rejected" err &&
	refused v5 candidate &&
	grep "cannot move from validated to candidate" err &&
	refused v2 validated &&
	grep "home_ranker@v2 cannot move from archived to validated; from archived it may go to: none" err &&
	test "$(state_of v4)" = deprecated &&
	refused v4 validated &&
	grep "from deprecated it may go to: archived" err
'

test_expect_success 'moving to the current state is refused' '
	refused v5 validated &&
	grep "home_ranker@v5 is already validated" err
'

test_expect_success 'an unknown state is refused' '
	refused v5 bogus &&
	grep "unknown state .bogus." err &&
	refused v5 Validated &&
	grep "unknown state .Validated." err
'

test_expect_success 'states only route moves set are refused with advice' '
	for s in shadow canary production
	do
		refused v5 $s &&
		grep "a version becomes $s by a route move: use .mreg promote." err || return 1
	done &&
	mreg status v3 >/dev/null &&
	refused v3 rolled_back &&
	grep "a version becomes rolled_back by a route move: use .mreg rollback." err &&
	test "$(state_of v5)" = validated
'

test_expect_success 'promoting an archived version exits 1: the answer is no' '
	test_expect_code 1 mreg promote --stage canary feed3 home_ranker@v2 2>err &&
	grep "home_ranker@v2 is archived" err
'

test_expect_success 'a refused status move exits 1 (the answer is no), as promote does' '
	test_expect_code 1 mreg status v5 archived -m "try" 2>err &&
	grep "cannot move from validated to archived" err
'

test_expect_success 'moving a version needs a reason' '
	registry_state >before &&
	test_expect_code 128 mreg status v5 rejected 2>err &&
	grep "moving a version needs a reason: -m REASON" err &&
	test_expect_code 128 mreg status v5 rejected -m "" 2>err &&
	grep "needs a reason" err &&
	registry_state >after &&
	test_cmp before after &&
	test "$(state_of v5)" = validated
'

test_expect_success 'usage errors exit 129' '
	test_expect_code 129 mreg status 2>err &&
	test_expect_code 129 mreg status v5 rejected extra -m x 2>err &&
	test_expect_code 129 mreg status --bogus v5 2>err
'

test_expect_success 'a multi-line reason is kept on one line' '
	register_version v6 &&
	mreg status v6 rejected -m "line one
line two" &&
	git --git-dir=.mreg show $(status_ref v6):status >status &&
	grep "^reason line one line two$" status &&
	grep -c "^reason " status >count &&
	echo 1 >expect &&
	test_cmp expect count
'

test_expect_success 'the status chains verify' '
	mreg verify >out &&
	! grep "^BAD" out &&
	grep "^ok refs/mreg/status/home_ranker/v1 (5 commits)$" out
'

test_expect_success 'an unsigned registry (no key) refuses status moves with a clear message' '
	mkdir unsigned &&
	(
		cd unsigned &&
		setup_registry &&
		make_bundle b u1 4 &&
		mreg register -q b/mreg.yaml >/dev/null &&
		mreg status u1 >out &&
		grep "^home_ranker@u1 candidate$" out &&
		registry_state >before &&
		test_must_fail mreg status u1 validated -m "looks fine" >out 2>err &&
		test_must_be_empty out &&
		grep "^error: no signing key: make one with .mreg keygen." err &&
		grep "user.signingkey" err &&
		registry_state >after &&
		test_cmp before after &&
		mreg status u1 >out &&
		grep "^home_ranker@u1 candidate$" out
	)
'

test_expect_success 'a signing key that cannot be read is reported, nothing is written' '
	(
		cd unsigned &&
		mreg config set user.signingkey "$HOME/no-such-key" &&
		registry_state >before &&
		test_must_fail mreg status u1 validated -m "looks fine" 2>err &&
		grep "no-such-key" err &&
		registry_state >after &&
		test_cmp before after
	)
'

test_done
