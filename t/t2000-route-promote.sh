#!/bin/sh
test_description='promote, rollback, resolve and route: routes are signed chains

Routes are refs (refs/mreg/routes/ROUTE) whose commits hold one canonical
"route" file (DESIGN 3).  This checks every move (promote to production,
canary and shadow, set-traffic, retire, rollback), what resolve and route
list/show print, the lifecycle states a move implies, the checks a
promotion makes, the route file byte for byte, and two promotions racing
for one route.'
. ./test-lib.sh
. "$TEST_DIRECTORY"/lib-bundle.sh

ZEROS=0000000000000000000000000000000000000000

# digest_of VERSION: sha256 of the bundle.yaml of home_ranker@VERSION, read
# with plain git.
digest_of () {
	echo "sha256:$(git --git-dir=.mreg cat-file blob \
		refs/mreg/models/home_ranker/$1:bundle.yaml | sha256sum | cut -d" " -f1)"
}

# register_version VERSION [STATE]: registers b/ as home_ranker@VERSION and
# moves it to STATE (default validated; "candidate" leaves it).
register_version () {
	sed -i "s/^model_version: .*/model_version: $1/" b/mreg.yaml &&
	mreg register -q b/mreg.yaml >/dev/null &&
	if test "${2:-validated}" != candidate
	then
		mreg status home_ranker@$1 "${2:-validated}" -m "checked" >/dev/null
	fi
}

# route_file ROUTE: the route file of the route's head, with plain git.
route_file () {
	git --git-dir=.mreg show refs/mreg/routes/$1:route
}

# head_of REF: the commit a ref names.
head_of () {
	git --git-dir=.mreg rev-parse --verify "$1"
}

# state_of VERSION: the version's lifecycle state, as mreg status says.
state_of () {
	mreg status home_ranker@$1 >state.out &&
	sed -n "1s/^home_ranker@$1 //p" state.out
}

# json_cmp EXPECT ACTUAL: the same JSON value (key order aside).
json_cmp () {
	python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
b = json.load(open(sys.argv[2]))
if a != b:
    print("expected:", json.dumps(a, sort_keys=True, indent=1))
    print("actual:  ", json.dumps(b, sort_keys=True, indent=1))
    sys.exit(1)
' "$1" "$2" >&4
}

# iso_time_of COMMIT: the committer time as mreg prints it.
iso_time_of () {
	date -u -d @"$(git --git-dir=.mreg log -1 --format=%ct "$1")" +%Y-%m-%dT%H:%M:%SZ
}

test_expect_success 'setup: a signing key and versions v1..v5' '
	setup_registry &&
	mreg keygen -f key >/dev/null 2>&1 &&
	make_bundle b v1 4 &&
	for v in v1 v2 v3 v4
	do
		register_version $v || return 1
	done &&
	register_version v5 candidate &&
	D1=$(digest_of v1) && D2=$(digest_of v2) && D3=$(digest_of v3) &&
	D4=$(digest_of v4) && D5=$(digest_of v5) &&
	test "$(state_of v1)" = validated &&
	test "$(state_of v5)" = candidate
'

test_expect_success 'promote puts a version in production (the default stage)' '
	mreg promote feed home_ranker@v1 >out &&
	echo "feed seq 1 promote: production home_ranker@v1" >expect &&
	test_cmp expect out &&
	mreg resolve feed >out &&
	echo "home_ranker@v1 $D1" >expect &&
	test_cmp expect out &&
	test "$(state_of v1)" = production
'

test_expect_success 'the route file of the first commit, byte for byte' '
	cat >expect <<-EOF &&
	mreg-route 1
	route feed
	seq 1
	prev $ZEROS
	action promote
	production home_ranker@v1 $D1
	policy $ZEROS
	reason promote home_ranker@v1 to production
	EOF
	route_file feed >actual &&
	test_cmp expect actual &&
	git --git-dir=.mreg ls-tree -r --name-only refs/mreg/routes/feed >tree &&
	echo route >expect &&
	test_cmp expect tree &&
	test -z "$(git --git-dir=.mreg rev-list --parents -1 refs/mreg/routes/feed | cut -s -d" " -f2)"
'

test_expect_success 'the route commit is signed and git verify-commit accepts it' '
	echo "author@example.com $(cat key.pub)" >allowed &&
	git --git-dir=.mreg -c gpg.ssh.allowedSignersFile=allowed \
		verify-commit refs/mreg/routes/feed 2>verify.err &&
	grep "Good \"git\" signature" verify.err &&
	git --git-dir=.mreg cat-file commit refs/mreg/routes/feed >commit &&
	grep "^author A U Thor <author@example.com> " commit &&
	grep "^committer A U Thor <author@example.com> " commit
'

test_expect_success 'promote --stage canary: 1% of traffic by default, version becomes canary' '
	mreg promote --stage canary feed v2 >out &&
	echo "feed seq 2 promote: production home_ranker@v1, canary home_ranker@v2 at 1%" >expect &&
	test_cmp expect out &&
	route_file feed >route &&
	grep "^canary home_ranker@v2 $D2 traffic 1%$" route &&
	test "$(state_of v2)" = canary &&
	mreg resolve --stage canary feed >out &&
	echo "home_ranker@v2 $D2" >expect &&
	test_cmp expect out
'

test_expect_success 'promote --stage shadow: a 5% sample by default, version becomes shadow' '
	mreg promote --stage shadow feed v3 >out &&
	echo "feed seq 3 promote: production home_ranker@v1, canary home_ranker@v2 at 1%, shadow home_ranker@v3 sampling 5%" >expect &&
	test_cmp expect out &&
	test "$(state_of v3)" = shadow &&
	mreg resolve --stage shadow feed >out &&
	echo "home_ranker@v3 $D3" >expect &&
	test_cmp expect out &&
	mreg resolve --stage production feed >out &&
	echo "home_ranker@v1 $D1" >expect &&
	test_cmp expect out
'

test_expect_success 'set-traffic changes the canary share as a new commit' '
	old=$(head_of refs/mreg/routes/feed) &&
	mreg route set-traffic feed 25 >out &&
	echo "feed seq 4 set-traffic: production home_ranker@v1, canary home_ranker@v2 at 25%, shadow home_ranker@v3 sampling 5%" >expect &&
	test_cmp expect out &&
	test "$(git --git-dir=.mreg rev-parse refs/mreg/routes/feed^)" = "$old" &&
	test "$(state_of v2)" = canary
'

test_expect_success 'the route file with production, canary and shadow, byte for byte' '
	cat >expect <<-EOF &&
	mreg-route 1
	route feed
	seq 4
	prev $old
	action set-traffic
	production home_ranker@v1 $D1
	canary home_ranker@v2 $D2 traffic 25%
	shadow home_ranker@v3 $D3 sample 5%
	policy $ZEROS
	reason set canary traffic
	EOF
	route_file feed >actual &&
	test_cmp expect actual
'

test_expect_success 'set-traffic is refused outside 0-100 and on a route without canary' '
	registry_state >before &&
	test_expect_code 128 mreg route set-traffic feed 101 2>err &&
	grep "invalid percentage .101.: use a number from 0 to 100" err &&
	test_must_fail mreg route set-traffic feed -5 2>err &&
	test_expect_code 128 mreg route set-traffic feed abc 2>err &&
	grep "invalid percentage" err &&
	test_must_fail mreg route set-traffic nosuch 5 2>err &&
	grep "no such route .nosuch." err &&
	registry_state >after &&
	test_cmp before after
'

test_expect_success 'resolve --json: exactly route, stage, ref, digest' '
	mreg resolve --json feed >out.json &&
	cat >expect.json <<-EOF &&
	{"route": "feed", "stage": "production", "ref": "home_ranker@v1", "digest": "$D1"}
	EOF
	json_cmp expect.json out.json &&
	mreg resolve --json --stage canary feed >out.json &&
	cat >expect.json <<-EOF &&
	{"route": "feed", "stage": "canary", "ref": "home_ranker@v2", "digest": "$D2"}
	EOF
	json_cmp expect.json out.json &&
	mreg resolve --stage shadow --json feed >out.json &&
	cat >expect.json <<-EOF &&
	{"route": "feed", "stage": "shadow", "ref": "home_ranker@v3", "digest": "$D3"}
	EOF
	json_cmp expect.json out.json
'

test_expect_success 'resolve: an empty slot, an unknown route or stage' '
	test_expect_code 1 mreg resolve --stage previous-production feed >out 2>err &&
	test_must_be_empty out &&
	grep "route .feed. has no previous-production version" err &&
	test_expect_code 1 mreg resolve nosuch >out 2>err &&
	test_must_be_empty out &&
	grep "no such route .nosuch." err &&
	test_expect_code 128 mreg resolve --stage bogus feed 2>err &&
	grep "unknown stage .bogus." err &&
	test_expect_code 129 mreg resolve 2>err &&
	test_expect_code 128 mreg resolve "bad/route" 2>err
'

test_expect_success 'route show: every slot, who moved it and when' '
	mreg route show feed >out &&
	cat >expect <<-EOF &&
	route               feed
	production          home_ranker@v1 $D1
	canary              home_ranker@v2 $D2 traffic 25%
	shadow              home_ranker@v3 $D3 sample 5%
	previous-production (none)
	last move           4 set-traffic at $(iso_time_of refs/mreg/routes/feed) by A U Thor <author@example.com>
	reason              set canary traffic
	EOF
	test_cmp expect out
'

test_expect_success 'route show --json: the exact fields' '
	mreg route show --json feed >out.json &&
	cat >expect.json <<-EOF &&
	{
	  "route": "feed",
	  "seq": 4,
	  "action": "set-traffic",
	  "production": {"ref": "home_ranker@v1", "digest": "$D1"},
	  "canary": {"ref": "home_ranker@v2", "digest": "$D2", "traffic": 25},
	  "shadow": {"ref": "home_ranker@v3", "digest": "$D3", "sample": 5},
	  "previous_production": null,
	  "time": "$(iso_time_of refs/mreg/routes/feed)",
	  "author": "A U Thor <author@example.com>",
	  "committer": "A U Thor <author@example.com>",
	  "reason": "set canary traffic",
	  "policy": "$ZEROS",
	  "commit": "$(head_of refs/mreg/routes/feed)"
	}
	EOF
	json_cmp expect.json out.json &&
	test_expect_code 1 mreg route show nosuch 2>err &&
	grep "no such route .nosuch." err
'

test_expect_success 'promote --traffic implies canary, --sample shadow; 0 and 100 are allowed' '
	mreg promote --traffic 0 pct v2 >out &&
	grep "canary home_ranker@v2 at 0%" out &&
	route_file pct >route &&
	grep "^canary home_ranker@v2 $D2 traffic 0%$" route &&
	mreg promote --sample 7.5 pct v3 &&
	route_file pct >route &&
	grep "^shadow home_ranker@v3 $D3 sample 7.5%$" route &&
	mreg promote --stage canary --traffic 0.5% pct v4 &&
	route_file pct >route &&
	grep "^canary home_ranker@v4 $D4 traffic 0.5%$" route &&
	mreg route set-traffic pct 99 &&
	route_file pct >route &&
	grep "^canary home_ranker@v4 $D4 traffic 99%$" route &&
	test "$(state_of v4)" = canary &&
	! grep "^production" route
'

test_expect_success 'percentages outside 0-100, or for production, are refused' '
	registry_state >before &&
	for pct in 101 -1 100.5 abc "" 5x
	do
		test_expect_code 128 mreg promote --traffic "$pct" pct v2 2>err &&
		grep "invalid percentage" err &&
		test_expect_code 128 mreg promote --sample "$pct" pct v3 2>err &&
		grep "invalid percentage" err || return 1
	done &&
	test_expect_code 128 mreg promote --stage production --traffic 5 pct v1 2>err &&
	grep "traffic" err &&
	test_expect_code 128 mreg promote --stage production --sample 5 pct v1 2>err &&
	grep "sample" err &&
	test_expect_code 128 mreg promote --stage shadow --traffic 5 pct v3 2>err &&
	test_expect_code 128 mreg promote --stage canary --sample 5 pct v2 2>err &&
	test_expect_code 128 mreg promote --traffic 5 --sample 5 pct v2 2>err &&
	test_expect_code 128 mreg promote --stage bogus pct v2 2>err &&
	grep "unknown stage .bogus." err &&
	test_expect_code 129 mreg promote pct 2>err &&
	test_expect_code 129 mreg promote --bogus pct v2 2>err &&
	registry_state >after &&
	test_cmp before after
'

test_expect_success 'round percentages are written as 10%, not in exponent notation' '
	mreg promote --stage shadow --sample 10 pct2 v3 >out &&
	grep "sampling 10%$" out &&
	route_file pct2 >route &&
	grep "^shadow home_ranker@v3 $D3 sample 10%$" route &&
	mreg route show pct2 >show &&
	grep "sample 10%$" show &&
	mreg route list >list &&
	grep "^pct2 .* shadow home_ranker@v3 10%$" list &&
	mreg promote --traffic 100 pct2 v2 &&
	route_file pct2 >route &&
	grep "^canary home_ranker@v2 $D2 traffic 100%$" route
'

test_expect_success 'promoting the canary to production: it graduates, previous-production is kept' '
	mreg promote feed v2 -m "canary looked good" >out &&
	echo "feed seq 5 promote: production home_ranker@v2, shadow home_ranker@v3 sampling 5%" >expect &&
	test_cmp expect out &&
	cat >expect <<-EOF &&
	mreg-route 1
	route feed
	seq 5
	prev $(git --git-dir=.mreg rev-parse refs/mreg/routes/feed^)
	action promote
	production home_ranker@v2 $D2
	shadow home_ranker@v3 $D3 sample 5%
	previous-production home_ranker@v1 $D1
	policy $ZEROS
	reason canary looked good
	EOF
	route_file feed >actual &&
	test_cmp expect actual &&
	test "$(state_of v2)" = production &&
	mreg resolve --stage previous-production feed >out &&
	echo "home_ranker@v1 $D1" >expect &&
	test_cmp expect out &&
	mreg resolve --json --stage previous-production feed >out.json &&
	cat >expect.json <<-EOF &&
	{"route": "feed", "stage": "previous-production", "ref": "home_ranker@v1", "digest": "$D1"}
	EOF
	json_cmp expect.json out.json &&
	test_expect_code 1 mreg resolve --stage canary feed 2>err &&
	grep "route .feed. has no canary version" err
'

test_expect_success 'promoting the version that already serves production is refused' '
	registry_state >before &&
	test_must_fail mreg promote feed v2 2>err &&
	grep "home_ranker@v2 already serves production of route .feed." err &&
	registry_state >after &&
	test_cmp before after
'

test_expect_success 'route list and route list --json' '
	mreg route list >out &&
	cat >expect <<-EOF &&
	feed  seq 5  production home_ranker@v2  shadow home_ranker@v3 5%
	pct  seq 4  production (none)  canary home_ranker@v4 99%  shadow home_ranker@v3 7.5%
	EOF
	grep -v "^pct2 " out | sort >sorted &&
	test_cmp expect sorted &&
	mreg route list --json >list.json &&
	mreg route show --json feed >feed.json &&
	mreg route show --json pct >pct.json &&
	python3 -c "
import json
l = json.load(open(\"list.json\"))
assert isinstance(l, list) and len(l) == 3, l
by = {r[\"route\"]: r for r in l}
assert by[\"feed\"] == json.load(open(\"feed.json\")), by[\"feed\"]
assert by[\"pct\"] == json.load(open(\"pct.json\")), by[\"pct\"]
assert by[\"feed\"][\"previous_production\"][\"ref\"] == \"home_ranker@v1\"
assert by[\"pct\"][\"production\"] is None
"
'

test_expect_success 'a canary version (of another route) may go to production' '
	mreg promote feed v4 -m "v4 straight" &&
	mreg resolve feed >out &&
	echo "home_ranker@v4 $D4" >expect &&
	test_cmp expect out &&
	mreg resolve --stage previous-production feed >out &&
	echo "home_ranker@v2 $D2" >expect &&
	test_cmp expect out &&
	test "$(state_of v4)" = production
'

test_expect_success 'rollback: a new forward commit back to the previous production version' '
	old=$(head_of refs/mreg/routes/feed) &&
	mreg rollback feed -m "v4 hurts ctr" >out &&
	echo "feed seq 7 rollback: production home_ranker@v2, shadow home_ranker@v3 sampling 5%" >expect &&
	test_cmp expect out &&
	new=$(head_of refs/mreg/routes/feed) &&
	test "$new" != "$old" &&
	test "$(git --git-dir=.mreg rev-parse $new^)" = "$old" &&
	git --git-dir=.mreg merge-base --is-ancestor $old $new &&
	test "$(git --git-dir=.mreg rev-list --count $new)" = 7 &&
	route_file feed >route &&
	grep "^seq 7$" route &&
	grep "^prev $old$" route &&
	grep "^action rollback$" route &&
	grep "^reason v4 hurts ctr$" route &&
	mreg resolve feed >out &&
	echo "home_ranker@v2 $D2" >expect &&
	test_cmp expect out
'

test_expect_success 'rollback: the rolled-back version is rolled_back, the restored one production' '
	test "$(state_of v4)" = rolled_back &&
	test "$(state_of v2)" = production &&
	mreg status --json home_ranker@v4 >st.json &&
	test "$(json_get st.json "[\"history\"][0][\"action\"]")" = route &&
	test "$(json_get st.json "[\"history\"][0][\"from\"]")" = production &&
	test "$(json_get st.json "[\"history\"][0][\"status\"]")" = rolled_back
'

test_expect_success 'rollback: previous-production is recomputed (v1, not the rolled-back v4)' '
	mreg resolve --stage previous-production feed >out &&
	echo "home_ranker@v1 $D1" >expect &&
	test_cmp expect out &&
	route_file feed >route &&
	grep "^previous-production home_ranker@v1 $D1$" route
'

test_expect_success 'a rolled_back version cannot be promoted or rolled back to' '
	registry_state >before &&
	test_expect_code 1 mreg promote feed v4 2>err &&
	grep "home_ranker@v4 is rolled_back and cannot be promoted" err &&
	test_expect_code 1 mreg promote --stage canary feed v4 2>err &&
	grep "rolled_back" err &&
	test_expect_code 1 mreg rollback --to v4 feed 2>err &&
	grep "rolled_back" err &&
	registry_state >after &&
	test_cmp before after
'

test_expect_success 'rollback --to names the version to restore' '
	mreg rollback --to home_ranker@v1 feed >out &&
	echo "feed seq 8 rollback: production home_ranker@v1, shadow home_ranker@v3 sampling 5%" >expect &&
	test_cmp expect out &&
	test "$(state_of v2)" = rolled_back &&
	test "$(state_of v1)" = production &&
	route_file feed >route &&
	grep "^action rollback$" route &&
	grep "^reason rollback$" route &&
	! grep "^previous-production" route &&
	test_expect_code 1 mreg resolve --stage previous-production feed
'

test_expect_success 'rollback without a previous version, or of an unknown route, is refused' '
	registry_state >before &&
	test_must_fail mreg rollback feed 2>err &&
	grep "route .feed. has no previous production version; use --to REF" err &&
	test_must_fail mreg rollback --to v1 feed 2>err &&
	grep "home_ranker@v1 already serves production of route .feed." err &&
	test_expect_code 1 mreg rollback nosuch 2>err &&
	grep "no such route .nosuch." err &&
	test_expect_code 1 mreg rollback --to nosuchversion feed 2>err &&
	grep "nosuchversion" err &&
	registry_state >after &&
	test_cmp before after
'

test_expect_success 'promoting an unknown version is refused (exit 1)' '
	registry_state >before &&
	test_expect_code 1 mreg promote feed home_ranker@nope 2>err &&
	grep "no such version .home_ranker@nope." err &&
	test_expect_code 1 mreg promote --stage canary feed nope 2>err &&
	registry_state >after &&
	test_cmp before after
'

test_expect_success 'a candidate is refused for production, naming gate --record and status' '
	registry_state >before &&
	test_expect_code 1 mreg promote feed v5 2>err &&
	grep "home_ranker@v5 is a candidate" err &&
	grep "mreg gate --record" err &&
	grep "mreg status home_ranker@v5 validated" err &&
	test "$(state_of v5)" = candidate &&
	registry_state >after &&
	test_cmp before after
'

test_expect_success 'a candidate is refused for canary with a message naming the allowed states' '
	registry_state >before &&
	test_expect_code 1 mreg promote --stage canary feed v5 2>err &&
	grep "home_ranker@v5 cannot move from candidate to canary" err &&
	grep "validated, rejected" err &&
	registry_state >after &&
	test_cmp before after
'

test_expect_success 'rejected, deprecated and archived versions are refused' '
	register_version v6 rejected &&
	test "$(state_of v6)" = rejected &&
	test_expect_code 1 mreg status v4 deprecated -m "superseded" 2>err &&
	grep "home_ranker@v4 serves canary of route .pct.; move the route first" err &&
	mreg route retire pct &&
	mreg status v4 deprecated -m "superseded" &&
	register_version v7 rejected &&
	mreg status v7 archived -m "cleanup" &&
	registry_state >before &&
	for v in v6:rejected v4:deprecated v7:archived
	do
		for stage in production canary shadow
		do
			test_expect_code 1 mreg promote --stage $stage other ${v%:*} 2>err &&
			grep "home_ranker@${v%:*} is ${v#*:} and cannot be promoted" err || return 1
		done
	done &&
	test_expect_code 1 mreg rollback --to v6 feed 2>err &&
	grep "is rejected" err &&
	registry_state >after &&
	test_cmp before after &&
	test_expect_code 1 mreg resolve other
'

test_expect_success 'a version whose artifact is missing from the store is refused' '
	MB_SEED=big make_bundle big vbig 1100 &&
	mreg register -q big/mreg.yaml >/dev/null &&
	mreg status vbig validated -m ok &&
	sha=$(sha256sum big/model/ranker.onnx | cut -d" " -f1) &&
	obj=.mreg/artifacts/$(echo $sha | cut -c1-2)/$(echo $sha | cut -c3-4)/$sha &&
	test_path_is_file $obj &&
	mv $obj saved-object &&
	test_when_finished "mv saved-object $obj" &&
	registry_state >before &&
	test_must_fail mreg promote --stage canary bigroute vbig 2>err &&
	grep "missing from the store" err &&
	grep "$sha" err &&
	test_must_fail mreg promote bigroute vbig 2>err &&
	grep "missing from the store" err &&
	registry_state >after &&
	test_cmp before after &&
	test_must_fail mreg resolve bigroute
'

test_expect_success 'with its bytes back, the same version promotes' '
	mreg promote bigroute vbig &&
	mreg resolve bigroute >out &&
	echo "home_ranker@vbig $(digest_of vbig)" >expect &&
	test_cmp expect out
'

test_expect_success 'retire empties every slot and keeps the history' '
	old=$(head_of refs/mreg/routes/feed) &&
	mreg route retire feed -m "feed is gone" >out &&
	echo "feed seq 9 retire: (empty)" >expect &&
	test_cmp expect out &&
	cat >expect <<-EOF &&
	mreg-route 1
	route feed
	seq 9
	prev $old
	action retire
	policy $ZEROS
	reason feed is gone
	EOF
	route_file feed >actual &&
	test_cmp expect actual &&
	test_expect_code 1 mreg resolve feed 2>err &&
	grep "route .feed. has no production version" err &&
	test_expect_code 1 mreg resolve --stage shadow feed &&
	test "$(git --git-dir=.mreg rev-list --count refs/mreg/routes/feed)" = 9 &&
	test_must_fail mreg route retire feed 2>err &&
	grep "route .feed. is retired already" err
'

test_expect_success 'mreg log lists every move of the route, newest first' '
	mreg log --oneline feed >log &&
	test_line_count = 9 log &&
	head -n 1 log | grep " feed #9 retire " &&
	tail -n 1 log | grep " feed #1 promote production (none) -> home_ranker@v1 by " &&
	sed -n 2p log | grep " feed #8 rollback production home_ranker@v2 -> home_ranker@v1 " &&
	! grep "NOT VERIFIED" log
'

test_expect_success 'every chain verifies and fsck is clean after all these moves' '
	mreg verify >out &&
	! grep "^BAD" out &&
	grep "^ok refs/mreg/routes/feed (9 commits)$" out &&
	mreg fsck >out &&
	test_must_be_empty out
'

# race_round A B: "mreg promote race A" and "mreg promote race B" at once;
# exit statuses in race-a.rc and race-b.rc, stderr in race-a.err, race-b.err.
race_round () {
	(mreg promote race "$1" >race-a.out 2>race-a.err; echo $? >race-a.rc) &
	(mreg promote race "$2" >race-b.out 2>race-b.err; echo $? >race-b.rc) &
	wait
}

# check_race A B SEQ_BEFORE: each promotion won, or lost cleanly with
# "route moved, retry" (or a lock message) leaving its version untouched;
# the route moved once per winner.  Counts rounds with one winner in $single.
check_race () {
	wins=0
	for side in a:$1 b:$2
	do
		s=${side%%:*}
		v=${side#*:}
		rc=$(cat race-$s.rc)
		if test "$rc" = 0
		then
			wins=$((wins + 1))
			test "$(state_of $v)" = production || {
				echo "winner $v is not production" >&4
				return 1
			}
		else
			test "$rc" = 128 || {
				echo "loser $v exited $rc" >&4
				cat race-$s.err >&4
				return 1
			}
			grep -e "route .race. moved, retry" -e "cannot lock ref" race-$s.err >&4 || {
				echo "loser $v said:" >&4
				cat race-$s.err >&4
				return 1
			}
			test_must_be_empty race-$s.out &&
			test "$(state_of $v)" = validated || {
				echo "loser $v changed state" >&4
				return 1
			}
		fi
	done
	seq_after=$(git --git-dir=.mreg show refs/mreg/routes/race:route | sed -n "s/^seq //p")
	test $wins -ge 1 && test "$seq_after" = $(($3 + wins)) || {
		echo "wins $wins, seq $3 -> $seq_after" >&4
		return 1
	}
	test $wins = 1 && single=$((single + 1))
	return 0
}

test_expect_success 'two promotions of one route at once: exactly one wins' '
	register_version r0 &&
	mreg promote race r0 &&
	single=0 &&
	for i in 1 2 3 4 5 6 7 8
	do
		register_version ra$i &&
		register_version rb$i &&
		seq=$(route_file race | sed -n "s/^seq //p") &&
		race_round ra$i rb$i &&
		check_race ra$i rb$i $seq || return 1
	done &&
	echo "rounds with exactly one winner: $single" &&
	test $single -ge 1
'

test_expect_success 'after the races: nothing half-written, every chain verifies' '
	test -z "$(find .mreg -name "*.lock")" &&
	test -z "$(ls .mreg/tmp)" &&
	mreg verify >out &&
	! grep "^BAD" out &&
	mreg fsck >out &&
	test_must_be_empty out &&
	n=$(git --git-dir=.mreg rev-list --count refs/mreg/routes/race) &&
	route_file race >route &&
	grep "^seq $n$" route
'

test_done
