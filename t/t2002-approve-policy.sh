#!/bin/sh
test_description='mreg approve and mreg policy: who may promote, and how many must agree

A policy (refs/mreg/policy: policy.yaml and allowed_signers on a signed
chain) names principals and their keys, the roots who sign the next
policy, rules saying who may promote which routes to which stages, and how
many distinct approvals a production promotion needs.  Approvals are
signed statements bound to one route, stage and version, with an expiry:
they count once per principal and cannot be replayed or kept past their
expiry.'
. ./test-lib.sh
. "$TEST_DIRECTORY"/lib-bundle.sh

for tool in ssh-keygen python3
do
	command -v $tool >/dev/null 2>&1 || skip_all="$tool not found"
done

register_version () {
	sed -i "s/^model_version: .*/model_version: $1/" b/mreg.yaml &&
	mreg register -q b/mreg.yaml >/dev/null &&
	mreg status home_ranker@$1 validated -m "checked" >/dev/null
}

state_of () {
	mreg status home_ranker@$1 >state.out &&
	sed -n "1s/^home_ranker@$1 //p" state.out
}

# as PRINCIPAL CMD...: run an mreg command signed with PRINCIPAL's key.
as () {
	as_who=$1
	shift
	MREG_SIGNING_KEY="$HOME/$as_who" "$@"
}

# iso_in SECONDS: the time SECONDS from now, as mreg reads dates.
iso_in () {
	date -u -d @$(($(date +%s) + $1)) +%Y-%m-%dT%H:%M:%SZ
}

# crafted_commit REG KEY TREE PARENT: a commit made with plain git, signed
# with KEY the way git signs with gpg.format=ssh; prints its id.
crafted_commit () {
	git --git-dir="$1" -c gpg.format=ssh -c user.signingkey="$HOME/$2" \
		commit-tree -S "$3" ${4:+-p "$4"} -m "crafted with plain git"
}

# tamper_copy DIR: a copy of the registry in DIR/.mreg, without the
# reflogs and verified state (which are not evidence), so that what
# verify reports comes from the chain itself.
tamper_copy () {
	rm -rf "$1" &&
	mkdir "$1" &&
	cp -R .mreg "$1/.mreg" &&
	rm -rf "$1/.mreg/logs" "$1/.mreg/verified"
}

test_expect_success 'setup: keys for alice, bob, carol, dave and mallory; versions v1..v4' '
	setup_registry &&
	mreg keygen -f alice >/dev/null 2>err &&
	grep "Set user.signingkey" err &&
	for who in bob carol dave mallory
	do
		mreg keygen -f $who -C $who@example.com >/dev/null 2>&1 || return 1
	done &&
	make_bundle b v1 4 &&
	for v in v1 v2 v3 v4
	do
		register_version $v || return 1
	done &&
	git --git-dir=.mreg config --get-all mreg.trustroot >roots &&
	test_line_count = 1 roots &&
	grep "^$(cut -d" " -f1,2 alice.pub) " roots
'

test_expect_success 'before any policy, policy show names the trust root' '
	mreg policy show >out &&
	grep "^# no policy yet" out &&
	grep "$(cut -d" " -f2 alice.pub)" out &&
	test_expect_code 1 git --git-dir=.mreg rev-parse --verify -q refs/mreg/policy
'

test_expect_success 'write the policy: three principals, a root, rules, a quorum' '
	cat >policy.yaml <<-EOF
	mreg_policy: 1
	principals:
	  alice: {key: "$(cut -d" " -f1,2 alice.pub)"}
	  bob: {key: "$(cut -d" " -f1,2 bob.pub)"}
	  carol: "$(cut -d" " -f1,2 carol.pub)"
	roots: [alice]
	rules:
	  - {action: promote, routes: "home_*", stages: [production], principals: [alice]}
	  - {action: promote, routes: "*", stages: [canary, shadow], principals: [alice, bob]}
	  - {action: promote, routes: "search_*", stages: [production], principals: [carol]}
	  - {action: approve, routes: "home_*", principals: [alice, bob, carol]}
	approvals:
	  - {routes: "home_*", stage: production, required: 2}
	EOF
'

test_expect_success 'the first policy must be signed by the pinned root' '
	registry_state >before &&
	test_expect_code 1 as bob mreg policy set policy.yaml 2>err &&
	test_expect_code 1 as mallory mreg policy set policy.yaml 2>err &&
	registry_state >after &&
	test_cmp before after
'

test_expect_success 'policy set signed by the root' '
	mreg policy set -m "first policy" policy.yaml >out &&
	P1=$(git --git-dir=.mreg rev-parse refs/mreg/policy) &&
	echo "policy $P1" >expect &&
	test_cmp expect out &&
	git --git-dir=.mreg show refs/mreg/policy:policy.yaml >stored &&
	test_cmp policy.yaml stored &&
	git --git-dir=.mreg ls-tree --name-only refs/mreg/policy >tree &&
	printf "allowed_signers\npolicy.yaml\n" >expect &&
	test_cmp expect tree &&
	echo "alice $(cat alice.pub)" >allowed &&
	git --git-dir=.mreg -c gpg.ssh.allowedSignersFile=allowed verify-commit refs/mreg/policy
'

test_expect_success 'policy show prints the policy in force' '
	mreg policy show >out &&
	test_cmp policy.yaml out
'

test_expect_success 'policy signers: an allowed_signers file of every principal' '
	mreg policy signers >out &&
	for who in alice bob carol
	do
		echo "$who namespaces=\"git,mreg-approval\" $(cut -d" " -f1,2 $who.pub)" || return 1
	done >expect &&
	test_cmp expect out &&
	git --git-dir=.mreg show refs/mreg/policy:allowed_signers >stored &&
	test_cmp expect stored
'

test_expect_success 'policy signers --stage: only who may promote to that stage' '
	mreg policy signers --stage production >out &&
	for who in alice carol
	do
		echo "$who namespaces=\"git,mreg-approval\" $(cut -d" " -f1,2 $who.pub)" || return 1
	done >expect &&
	test_cmp expect out &&
	mreg policy signers --stage canary >out &&
	for who in alice bob
	do
		echo "$who namespaces=\"git,mreg-approval\" $(cut -d" " -f1,2 $who.pub)" || return 1
	done >expect &&
	test_cmp expect out
'

test_expect_success 'a policy signed by a non-root is refused, and nothing changes' '
	registry_state >before &&
	test_expect_code 1 as bob mreg policy set policy.yaml 2>err &&
	registry_state >after &&
	test_cmp before after &&
	test "$(git --git-dir=.mreg rev-parse refs/mreg/policy)" = "$P1"
'

test_expect_success 'the refusal of a policy signed by a non-root says why' '
	test_expect_code 1 as bob mreg policy set policy.yaml 2>err &&
	grep "^error: .bob. is not a root of the policy" err &&
	test_expect_code 1 as mallory mreg policy set policy.yaml 2>err &&
	grep "^error: key SHA256:[^ ]* is not trusted by the policy" err
'

test_expect_success 'a malformed policy is refused before anything is written' '
	registry_state >before &&
	sed "s/roots: \[alice\]/roots: [zed]/" policy.yaml >bad.yaml &&
	test_must_fail mreg policy set bad.yaml 2>err &&
	grep "bad.yaml:[0-9]*:[0-9]*: .zed. is not a principal of this policy" err &&
	printf "mreg_policy: 1\nprincipals: {a: \"ssh-ed25519 AAAA\"}\nroots: [a]\n" >bad.yaml &&
	test_must_fail mreg policy set bad.yaml 2>err &&
	grep "principal .a. needs an ssh-ed25519 key" err &&
	sed "s/^rules:/rulez:/" policy.yaml >bad.yaml &&
	test_must_fail mreg policy set bad.yaml 2>err &&
	grep "unknown key .rulez." err &&
	test_must_fail mreg policy set no-such-file.yaml 2>err &&
	grep "no-such-file.yaml" err &&
	registry_state >after &&
	test_cmp before after
'

test_expect_success 'production of home_feed is refused with no approval' '
	registry_state >before &&
	test_expect_code 1 mreg promote home_feed v1 2>err &&
	grep "production of route .home_feed. needs 2 approvals of home_ranker@v1; it has 0" err &&
	grep "mreg approve home_feed home_ranker@v1 --stage production" err &&
	registry_state >after &&
	test_cmp before after
'

test_expect_success 'mreg approve records a signed approval on the status chain' '
	mreg approve home_feed v1 --role ml_owner -m "metrics reviewed" >out &&
	grep "^approved v1 for production of home_feed until " out &&
	c=$(git --git-dir=.mreg rev-parse refs/mreg/status/home_ranker/v1) &&
	git --git-dir=.mreg ls-tree -r --name-only $c >tree &&
	grep "^approvals/[0-9a-f]\{64\}\.statement$" tree &&
	grep "^approvals/[0-9a-f]\{64\}\.sig$" tree &&
	st=$(grep "\.statement$" tree) &&
	git --git-dir=.mreg show $c:$st >statement &&
	head -n 1 statement | grep "^mreg-approval 1$" &&
	grep "^route home_feed$" statement &&
	grep "^stage production$" statement &&
	grep "^model home_ranker@v1$" statement &&
	grep "^digest sha256:[0-9a-f]\{64\}$" statement &&
	grep "^role ml_owner$" statement &&
	grep "^expires [0-9T:-]*Z$" statement &&
	grep "^principal alice$" statement &&
	grep "^note metrics reviewed$" statement &&
	git --git-dir=.mreg show $c:${st%.statement}.sig >approval.sig &&
	echo "alice $(cat alice.pub)" >allowed &&
	ssh-keygen -Y verify -f allowed -I alice -n mreg-approval -s approval.sig <statement &&
	! ssh-keygen -Y verify -f allowed -I alice -n git -s approval.sig <statement &&
	test "$(state_of v1)" = validated
'

test_expect_success 'one approval is not enough; approving twice counts once' '
	test_expect_code 1 mreg promote home_feed v1 2>err &&
	grep "needs 2 approvals of home_ranker@v1; it has 1 (alice)" err &&
	mreg approve home_feed v1 &&
	test_expect_code 1 mreg promote home_feed v1 2>err &&
	grep "it has 1 (alice)" err
'

test_expect_success 'approvals for another route, version or stage do not count' '
	as bob mreg approve home_other v1 &&
	as bob mreg approve home_feed v2 &&
	as bob mreg approve --stage canary home_feed v1 &&
	as bob mreg approve --stage shadow home_feed v1 &&
	test_expect_code 1 mreg promote home_feed v1 2>err &&
	grep "it has 1 (alice)" err
'

test_expect_success 'an approval that would expire before it is made is refused' '
	registry_state >before &&
	test_expect_code 128 as bob mreg approve --expires 2000-01-01 home_feed v1 2>err &&
	grep "the approval would expire before it is made" err &&
	test_expect_code 128 as bob mreg approve --expires yesterday home_feed v1 2>err &&
	grep "invalid date .yesterday." err &&
	registry_state >after &&
	test_cmp before after
'

test_expect_success 'approvers need the approve rule: routes outside it are refused' '
	registry_state >before &&
	test_expect_code 1 as bob mreg approve search_main v1 2>err &&
	grep "bob. may not approve route search_main" err &&
	test_expect_code 1 as mallory mreg approve home_feed v1 2>err &&
	grep "not trusted by the policy" err &&
	registry_state >after &&
	test_cmp before after
'

test_expect_success 'a principal not allowed for a stage is refused (exit 1)' '
	as bob mreg approve home_feed v1 -m "ok from bob" &&
	registry_state >before &&
	test_expect_code 1 as bob mreg promote home_feed v1 2>err &&
	grep "bob. may not promote route home_feed to production" err &&
	test_expect_code 1 as carol mreg promote --stage canary home_feed v1 2>err &&
	grep "carol. may not promote route home_feed to canary" err &&
	test_expect_code 1 as mallory mreg promote --stage canary home_feed v1 2>err &&
	grep "not trusted by the policy" err &&
	test_expect_code 1 as mallory mreg status v4 rejected -m no 2>err &&
	registry_state >after &&
	test_cmp before after
'

test_expect_success 'two distinct principals approve: production is allowed' '
	mreg promote home_feed v1 -m "approved by two" >out &&
	echo "home_feed seq 1 promote: production home_ranker@v1" >expect &&
	test_cmp expect out &&
	test "$(state_of v1)" = production &&
	git --git-dir=.mreg ls-tree -r --name-only refs/mreg/routes/home_feed >tree &&
	test $(grep -c "^approvals/[0-9a-f]\{64\}\.statement$" tree) = 2 &&
	test $(grep -c "^approvals/[0-9a-f]\{64\}\.sig$" tree) = 2 &&
	git --git-dir=.mreg show refs/mreg/routes/home_feed:route >route &&
	grep "^policy $P1$" route
'

test_expect_success 'rollback --to cannot put an unapproved version in production' '
	rm -rf rollback-copy &&
	mkdir rollback-copy &&
	cp -R .mreg rollback-copy/.mreg &&
	R=rollback-copy/.mreg &&
	test_expect_code 1 mreg -R $R rollback --to v4 home_feed 2>err &&
	grep "needs 2 approvals of home_ranker@v4" err &&
	test "$(git --git-dir=$R rev-parse refs/mreg/routes/home_feed)" = \
		"$(git --git-dir=.mreg rev-parse refs/mreg/routes/home_feed)" &&
	mreg -R $R resolve home_feed >out &&
	grep "^home_ranker@v1 " out
'

test_expect_success 'routes the quorum does not cover need no approvals' '
	as carol mreg promote search_main v1 &&
	as bob mreg promote --stage canary home_feed v2 &&
	test "$(state_of v2)" = canary
'

test_expect_success 'mreg log shows the signer and the approvers' '
	mreg log home_feed >log &&
	grep "^route home_feed seq 1 " log &&
	grep "^Signer:    alice (good signature)$" log &&
	grep "^Approvers:" log >approvers &&
	grep "alice" approvers &&
	grep "bob" approvers &&
	grep "^Signer:    bob (good signature)$" log &&
	mreg log --json home_feed >log.json &&
	python3 -c "
import json
l = json.load(open(\"log.json\"))
assert [e[\"seq\"] for e in l] == [2, 1], l
assert l[0][\"signer\"] == \"bob\" and l[0][\"verified\"] is True, l[0]
assert l[0][\"stage\"] == \"canary\" and l[0][\"approvers\"] == [], l[0]
assert l[1][\"signer\"] == \"alice\" and l[1][\"verified\"] is True, l[1]
assert sorted(l[1][\"approvers\"]) == [\"alice\", \"bob\"], l[1]
assert l[1][\"to\"] == \"home_ranker@v1\" and l[1][\"from\"] is None, l[1]
assert l[1][\"reason\"] == \"approved by two\", l[1]
"
'

test_expect_success 'git verify-commit accepts route commits with mreg policy signers' '
	mreg policy signers >signers &&
	for c in $(git --git-dir=.mreg rev-list refs/mreg/routes/home_feed refs/mreg/routes/search_main)
	do
		git --git-dir=.mreg -c gpg.ssh.allowedSignersFile=signers verify-commit $c ||
		return 1
	done
'

test_expect_success 'policy signers --stage production: a canary move by bob is outside it' '
	mreg policy signers --stage production >prod-signers &&
	git --git-dir=.mreg -c gpg.ssh.allowedSignersFile=prod-signers \
		verify-commit refs/mreg/routes/home_feed~1 &&
	git --git-dir=.mreg -c gpg.ssh.allowedSignersFile=prod-signers \
		verify-commit refs/mreg/routes/search_main &&
	test_must_fail git --git-dir=.mreg -c gpg.ssh.allowedSignersFile=prod-signers \
		verify-commit refs/mreg/routes/home_feed &&
	mreg policy signers --stage canary >canary-signers &&
	git --git-dir=.mreg -c gpg.ssh.allowedSignersFile=canary-signers \
		verify-commit refs/mreg/routes/home_feed
'

test_expect_success 'an approval past its expiry does not count' '
	as carol mreg approve --expires "$(iso_in 3)" home_feed v2 &&
	as bob mreg approve home_feed v2 &&
	carol_status=$(git --git-dir=.mreg rev-parse refs/mreg/status/home_ranker/v2~1) &&
	sleep 4 &&
	test_expect_code 1 mreg promote home_feed v2 2>err &&
	grep "needs 2 approvals of home_ranker@v2; it has 1 (bob)" err &&
	as carol mreg approve home_feed v2 &&
	mreg promote home_feed v2 &&
	test "$(state_of v2)" = production
'

test_expect_success 'mreg verify passes' '
	mreg verify >out &&
	! grep "^BAD" out
'

test_expect_success 'verify refuses a route commit carrying an expired approval' '
	tamper_copy expired &&
	R=expired/.mreg &&
	head=$(git --git-dir=$R rev-parse refs/mreg/routes/home_feed) &&
	git --git-dir=$R ls-tree $head approvals/ >ap &&
	carol_hex=$(python3 -c "
import base64, sys
b = base64.b64decode(open(\"carol.pub\").read().split()[1])
print(b[-32:].hex())") &&
	grep "approvals/$carol_hex.statement" ap &&
	git --git-dir=$R ls-tree $carol_status approvals/ >old &&
	grep "$carol_hex" old &&
	git --git-dir=$R show $carol_status:approvals/$carol_hex.statement >old.statement &&
	grep "^stage production$" old.statement &&
	{
		grep -v "$carol_hex" ap | sed "s|approvals/||" &&
		sed "s|approvals/||" old
	} | git --git-dir=$R mktree >sub &&
	tree=$(printf "100644 blob %s\troute\n040000 tree %s\tapprovals\n" \
		$(git --git-dir=$R rev-parse $head:route) $(cat sub) |
		git --git-dir=$R mktree) &&
	forged=$(crafted_commit $R alice $tree $head^) &&
	git --git-dir=$R update-ref refs/mreg/routes/home_feed $forged &&
	test_expect_code 1 mreg -R $R verify home_feed >out &&
	grep "^BAD refs/mreg/routes/home_feed: commit $forged: moves home_ranker@v2 to production with [01] valid approvals*; the policy asks for 2: an approval expired at " out
'

test_expect_success 'verify refuses approvals replayed onto another route' '
	tamper_copy replay &&
	R=replay/.mreg &&
	feed1=$(git --git-dir=$R rev-parse refs/mreg/routes/home_feed~2) &&
	git --git-dir=$R show $feed1:route |
		sed -e "s/^route home_feed$/route home_copy/" \
		    -e "s/^reason .*/reason replayed/" >route &&
	blob=$(git --git-dir=$R hash-object -w route) &&
	tree=$(printf "100644 blob %s\troute\n040000 tree %s\tapprovals\n" \
		$blob $(git --git-dir=$R rev-parse $feed1:approvals) |
		git --git-dir=$R mktree) &&
	forged=$(crafted_commit $R alice $tree) &&
	git --git-dir=$R update-ref refs/mreg/routes/home_copy $forged &&
	test_expect_code 1 mreg -R $R verify home_copy >out &&
	grep "^BAD refs/mreg/routes/home_copy: commit $forged: moves home_ranker@v1 to production with 0 valid approvals; the policy asks for 2: an approval is for another route" out
'

test_expect_success 'a second policy must be signed by a root of the first' '
	cat >policy2.yaml <<-EOF &&
	mreg_policy: 1
	principals:
	  alice: {key: "$(cut -d" " -f1,2 alice.pub)"}
	  bob: {key: "$(cut -d" " -f1,2 bob.pub)"}
	  carol: "$(cut -d" " -f1,2 carol.pub)"
	  dave: {key: "$(cut -d" " -f1,2 dave.pub)", valid_after: 2000-01-01T00:00:00Z, valid_before: 2001-01-01T00:00:00Z}
	roots: [bob]
	rules:
	  - {action: promote, routes: "home_*", stages: [production], principals: [alice]}
	  - {action: promote, routes: "*", stages: [canary, shadow], principals: [alice, bob, dave]}
	  - {action: approve, routes: "home_*", principals: [alice, bob, carol, dave]}
	approvals:
	  - {routes: "home_*", stage: production, required: 2}
	EOF
	registry_state >before &&
	test_expect_code 1 as bob mreg policy set policy2.yaml &&
	test_expect_code 1 as dave mreg policy set policy2.yaml &&
	registry_state >after &&
	test_cmp before after &&
	mreg policy set policy2.yaml &&
	P2=$(git --git-dir=.mreg rev-parse refs/mreg/policy) &&
	test "$(git --git-dir=.mreg rev-parse $P2^)" = "$P1" &&
	mreg policy show >out &&
	test_cmp policy2.yaml out
'

test_expect_success 'the roots of the new policy sign the next one, not the old roots' '
	registry_state >before &&
	test_expect_code 1 mreg policy set policy2.yaml &&
	registry_state >after &&
	test_cmp before after &&
	as bob mreg policy set -m "bob is root now" policy2.yaml &&
	test "$(git --git-dir=.mreg rev-list --count refs/mreg/policy)" = 3 &&
	mreg verify >out &&
	grep "^ok refs/mreg/policy (3 commits)$" out
'

test_expect_success 'a principal outside its valid_before window is refused' '
	mreg policy signers >signers &&
	grep "^dave namespaces=\"git,mreg-approval\",valid-after=\"20000101000000Z\",valid-before=\"20010101000000Z\" " signers &&
	registry_state >before &&
	test_expect_code 1 as dave mreg approve home_feed v3 2>err &&
	grep "of .dave. is not valid at that time" err &&
	test_expect_code 1 as dave mreg promote --stage canary home_feed v3 2>err &&
	grep "of .dave. is not valid at that time" err &&
	registry_state >after &&
	test_cmp before after
'

test_expect_success 'routes moved under the new policy name it, and everything verifies' '
	as bob mreg promote --stage shadow home_feed v3 &&
	git --git-dir=.mreg show refs/mreg/routes/home_feed:route >route &&
	grep "^policy $(git --git-dir=.mreg rev-parse refs/mreg/policy)$" route &&
	mreg verify >out &&
	! grep "^BAD" out &&
	mreg policy signers >signers &&
	for c in $(git --git-dir=.mreg rev-list refs/mreg/routes/home_feed)
	do
		git --git-dir=.mreg -c gpg.ssh.allowedSignersFile=signers verify-commit $c ||
		return 1
	done
'

test_done
