#!/bin/sh

test_description='contrib/audit/mreg-audit.sh checks a route with git and ssh-keygen alone

mreg writes a real signed history (two principals, a policy asking for two
approvals in production, canary, production, rollback).  The audit script
passes it; every kind of tampering done with plain git (an edited route
file, an unknown or missing signature, a broken seq/prev chain, a merge, a
stray file, a forged or moved approval, a rewound ref) makes it fail,
naming the commit.'

for tool in ssh-keygen git
do
	command -v $tool >/dev/null 2>&1 || skip_all="$tool not found"
done

. ./test-lib.sh
. "$TEST_DIRECTORY"/lib-bundle.sh

AUDIT="$MREG_BUILD_DIR/contrib/audit/mreg-audit.sh"
ROUTE=refs/mreg/routes/home_feed
V1=home_ranker@home_ranker_20260702_001
V2=home_ranker@home_ranker_20260702_002

G () {
	git --git-dir=.mreg "$@"
}

# commit_route FILE PARENT [KEY]: a commit whose tree is FILE as `route`
# (plus $EXTRA_TREE entries, "mode type id<TAB>name" lines), signed by
# KEY the way git signs, unsigned without one.  Prints its id.
commit_route () {
	cr_blob=$(G hash-object -w "$1") &&
	cr_tree=$({ printf '100644 blob %s\troute\n' "$cr_blob"; test -z "$EXTRA_TREE" || printf '%s\n' "$EXTRA_TREE"; } | G mktree) &&
	if test -n "$3"
	then
		G -c gpg.format=ssh -c user.signingkey="$3" commit-tree -S \
			$cr_tree ${2:+-p $2} -m "forged"
	else
		G commit-tree $cr_tree ${2:+-p $2} -m "forged"
	fi
}

# put_head COMMIT: moves the route there with plain git.
put_head () {
	G update-ref $ROUTE "$1"
}

test_expect_success 'setup: two keys, a policy, and a signed route history' '
	git config --global user.name "Mallory" &&
	git config --global user.email mallory@example.com &&
	setup_registry &&
	mreg keygen -f "$HOME/alice.key" -C alice >/dev/null &&
	mreg keygen -f "$HOME/bob.key" -C bob >/dev/null &&
	ssh-keygen -q -t ed25519 -N "" -C eve -f eve.key &&
	make_bundle b1 home_ranker_20260702_001 8 &&
	make_bundle b2 home_ranker_20260702_002 8 &&
	mreg register b1/mreg.yaml &&
	mreg register b2/mreg.yaml &&
	cat >policy.yaml <<-EOF &&
	mreg_policy: 1
	principals:
	  alice: "$(cat alice.key.pub)"
	  bob: "$(cat bob.key.pub)"
	roots: [alice]
	approvals:
	  - routes: "home_*"
	    stage: production
	    required: 2
	EOF
	mreg policy set -m "two approvers for production" policy.yaml &&
	mreg status $V1 validated -m "offline eval" &&
	mreg status $V2 validated -m "offline eval" &&
	mreg approve home_feed $V1 &&
	MREG_SIGNING_KEY="$HOME/bob.key" mreg approve home_feed $V1 &&
	mreg promote -m "first production model" home_feed $V1 &&
	MREG_SIGNING_KEY="$HOME/bob.key" mreg promote --traffic 5 home_feed $V2 &&
	mreg route set-traffic home_feed 25 &&
	mreg approve home_feed $V2 &&
	MREG_SIGNING_KEY="$HOME/bob.key" mreg approve --role product_owner home_feed $V2 &&
	mreg promote -m "canary held" home_feed $V2 &&
	mreg rollback -m "hide rate up" home_feed &&
	mreg verify home_feed &&
	mreg policy signers >allowed_signers &&
	GOOD=$(G rev-parse $ROUTE) &&
	G rev-list $ROUTE >commits &&
	test_line_count = 5 commits
'

test_expect_success 'the audit passes the history mreg wrote' '
	"$AUDIT" .mreg home_feed allowed_signers >out 2>err &&
	test_must_be_empty err &&
	sed -e "s/ [0-9a-f]\{12\} / C /" -e "s/ *\$//" -e "s/  */ /g" \
		-e "s/bob,alice/alice,bob/" out >actual &&
	cat >expect <<-EOF &&
	SEQ COMMIT ACTION SIGNER APPROVED-BY RESULT
	1 C promote alice alice,bob ok
	2 C promote bob - ok
	3 C set-traffic alice - ok
	4 C promote alice alice,bob ok
	5 C rollback alice - ok
	route home_feed: 5 commits, head $GOOD: ok
	EOF
	test_cmp expect actual
'

test_expect_success 'stock git agrees on every signature, ssh-keygen on every approval' '
	for c in $(cat commits)
	do
		G -c gpg.ssh.allowedSignersFile="$PWD/allowed_signers" verify-commit $c 2>vc &&
		grep "^Good \"git\" signature for " vc || return 1
	done &&
	first=$(G rev-list --reverse $ROUTE | sed 1q) &&
	G ls-tree --name-only $first:approvals >names &&
	test_line_count = 4 names &&
	for st in $(grep "\.statement\$" names)
	do
		a=approvals/${st%.statement} &&
		G cat-file blob $first:$a.statement >st &&
		G cat-file blob $first:$a.sig >sig &&
		who=$(sed -n "s/^principal //p" st) &&
		ssh-keygen -Y verify -n mreg-approval -f allowed_signers -I "$who" \
			-s sig <st || return 1
	done
'

test_expect_success 'an edited route file at the head fails, naming the commit' '
	test_when_finished "put_head $GOOD" &&
	G cat-file blob $ROUTE:route >route &&
	sed -e "s/^reason .*/reason nothing to see here/" route >edited &&
	new=$(EXTRA_TREE= commit_route edited $(G rev-parse $ROUTE^)) &&
	put_head $new &&
	test_expect_code 1 "$AUDIT" .mreg home_feed allowed_signers >out 2>err &&
	grep "^mreg-audit.sh: commit $new (seq 5 of home_feed): not signed\$" err &&
	grep "^5 .* FAIL: not signed\$" out &&
	grep "^4 .* ok\$" out &&
	grep "^route home_feed: 5 commits, head $new: 1 problem\$" out
'

test_expect_success 'a commit signed by a key outside allowed_signers fails' '
	test_when_finished "put_head $GOOD" &&
	new=$(EXTRA_TREE= commit_route edited $(G rev-parse $ROUTE^) "$PWD/eve.key") &&
	put_head $new &&
	test_expect_code 1 "$AUDIT" .mreg home_feed allowed_signers >out 2>err &&
	grep "commit $new (seq 5 of home_feed): git verify-commit: No principal matched" err
'

test_expect_success 'a signed commit that breaks seq or prev fails' '
	test_when_finished "put_head $GOOD" &&
	sed -e "s/^seq 5/seq 6/" route >seq6 &&
	new=$(EXTRA_TREE= commit_route seq6 $(G rev-parse $ROUTE^) "$PWD/alice.key") &&
	put_head $new &&
	test_expect_code 1 "$AUDIT" .mreg home_feed allowed_signers >out 2>err &&
	grep "commit $new (seq 5 of home_feed): seq .6., but it is commit 5" err &&
	old=$(G rev-parse $ROUTE~3) &&
	sed -e "s/^prev .*/prev $old/" route >prev &&
	new=$(EXTRA_TREE= commit_route prev $(G rev-parse $GOOD^) "$PWD/alice.key") &&
	put_head $new &&
	test_expect_code 1 "$AUDIT" .mreg home_feed allowed_signers 2>err &&
	grep "commit $new (seq 5 of home_feed): prev .$old., but the commit before it is" err
'

test_expect_success 'a truncated chain fails: its new root is not seq 1' '
	test_when_finished "put_head $GOOD" &&
	new=$(EXTRA_TREE= commit_route route "" "$PWD/alice.key") &&
	put_head $new &&
	test_expect_code 1 "$AUDIT" .mreg home_feed allowed_signers 2>err &&
	grep "commit $new (seq 1 of home_feed): seq .5., but it is commit 1 of the chain; prev" err
'

test_expect_success 'a merge commit fails' '
	test_when_finished "put_head $GOOD" &&
	new=$(G -c gpg.format=ssh -c user.signingkey="$PWD/alice.key" commit-tree -S \
		$(G rev-parse $GOOD^{tree}) -p $GOOD -p $GOOD~2 -m merge) &&
	put_head $new &&
	test_expect_code 1 "$AUDIT" .mreg home_feed allowed_signers 2>err &&
	grep "commit $new .*: a merge: 2 parents" err
'

test_expect_success 'a stray file in the tree fails' '
	test_when_finished "put_head $GOOD" &&
	blob=$(echo hello | G hash-object -w --stdin) &&
	new=$(EXTRA_TREE="100644 blob $blob	NOTES" commit_route route $(G rev-parse $GOOD^) "$PWD/alice.key") &&
	put_head $new &&
	test_expect_code 1 "$AUDIT" .mreg home_feed allowed_signers 2>err &&
	grep "commit $new (seq 5 of home_feed): unexpected path .NOTES. in the tree" err
'

test_expect_success 'an edited approval statement fails' '
	test_when_finished "put_head $GOOD" &&
	prod=$(G rev-parse $GOOD^) &&
	G ls-tree $prod:approvals >atree &&
	st=$(sed -n "s/.*	\(.*\.statement\)\$/\1/p" atree | sed 1q) &&
	G cat-file blob $prod:approvals/$st | sed -e "s/^role .*/role ceo/" >forged.st &&
	forged=$(G hash-object -w forged.st) &&
	sub=$(sed -e "s/^\(100644 blob \)[0-9a-f]*\(	$st\)\$/\1$forged\2/" atree | G mktree) &&
	G cat-file blob $prod:route >prod.route &&
	new=$(EXTRA_TREE="040000 tree $sub	approvals" commit_route prod.route $(G rev-parse $prod^) "$PWD/alice.key") &&
	put_head $new &&
	test_expect_code 1 "$AUDIT" .mreg home_feed allowed_signers >out 2>err &&
	grep "commit $new (seq 4 of home_feed): approvals/${st%.statement}.sig: not a good mreg-approval signature" err
'

test_expect_success 'approvals moved from another version fail' '
	test_when_finished "put_head $GOOD" &&
	first=$(G rev-list --reverse $GOOD | sed 1q) &&
	prod=$(G rev-parse $GOOD^) &&
	sub=$(G rev-parse $first:approvals) &&
	G cat-file blob $prod:route >prod.route &&
	new=$(EXTRA_TREE="040000 tree $sub	approvals" commit_route prod.route $(G rev-parse $prod^) "$PWD/alice.key") &&
	put_head $new &&
	test_expect_code 1 "$AUDIT" .mreg home_feed allowed_signers 2>err &&
	grep "commit $new (seq 4 of home_feed): approvals/[0-9a-f]*: approves $V1 for production, but the route puts $V2 there" err
'

test_expect_success 'a rewound route passes alone but fails against the known head' '
	test_when_finished "put_head $GOOD" &&
	put_head $GOOD~2 &&
	"$AUDIT" .mreg home_feed allowed_signers >out &&
	grep "^route home_feed: 3 commits" out &&
	test_expect_code 1 "$AUDIT" -k $GOOD .mreg home_feed allowed_signers >out 2>err &&
	grep "the route was rewound: the known head $GOOD is not in the history" err &&
	"$AUDIT" -k $GOOD~2 .mreg home_feed allowed_signers
'

test_expect_success 'usage and missing routes' '
	test_expect_code 129 "$AUDIT" .mreg home_feed &&
	test_expect_code 129 "$AUDIT" -x .mreg home_feed allowed_signers &&
	test_expect_code 128 "$AUDIT" .mreg no_such_route allowed_signers 2>err &&
	grep "no route .no_such_route." err &&
	test_expect_code 128 "$AUDIT" .mreg home_feed no_such_file 2>err &&
	grep "cannot read allowed signers" err &&
	test_expect_code 128 "$AUDIT" .mreg "../x" allowed_signers
'

test_done
