#!/bin/sh
test_description='contrib/hooks/pre-receive refuses route updates that do not check out'
. ./test-lib.sh
. "$TEST_DIRECTORY"/lib-bundle.sh

test_expect_success 'setup: a signed registry with a policy, and a hub with the hook' '
	git init -q --bare hub.git &&
	cp "$TEST_DIRECTORY/../contrib/hooks/pre-receive" \
	   "$TEST_DIRECTORY/../contrib/audit/mreg-audit.sh" hub.git/hooks/ &&
	mkdir a && (
		cd a &&
		setup_registry &&
		mreg keygen -f ../alice >/dev/null 2>&1 &&
		cat >policy.yaml <<-EOF &&
		mreg_policy: 1
		principals:
		  author@example.com: {key: "$(cat ../alice.pub)"}
		roots: [author@example.com]
		EOF
		mreg policy set policy.yaml &&
		make_bundle b1 v1 4 && make_bundle b2 v2 4 &&
		mreg register b1/mreg.yaml && mreg register b2/mreg.yaml &&
		mreg status v1 validated -m ok && mreg status v2 validated -m ok &&
		mreg promote feed v1 &&
		mreg remote add origin ../hub.git
	)
'

test_expect_success 'a good history is accepted' '
	(cd a && mreg push) &&
	git --git-dir=hub.git rev-parse --verify refs/mreg/routes/feed
'

test_expect_success 'a later signed move is accepted' '
	(cd a && mreg promote feed v2 && mreg push) &&
	test "$(git --git-dir=hub.git rev-parse refs/mreg/routes/feed)" = \
	     "$(git --git-dir=a/.mreg rev-parse refs/mreg/routes/feed)"
'

test_expect_success 'a commit signed by an unknown key is refused' '
	ssh-keygen -q -t ed25519 -N "" -f evil -C evil &&
	head=$(git --git-dir=a/.mreg rev-parse refs/mreg/routes/feed) &&
	git --git-dir=a/.mreg show $head:route >route &&
	sed -e "s/^seq 2$/seq 3/" -e "s/^prev .*/prev $head/" route >route.new &&
	blob=$(git --git-dir=a/.mreg hash-object -w route.new) &&
	tree=$(printf "100644 blob %s\troute\n" $blob | git --git-dir=a/.mreg mktree) &&
	forged=$(git --git-dir=a/.mreg -c gpg.format=ssh -c user.signingkey="$(pwd)/evil" \
		commit-tree -S -p $head $tree -m forged) &&
	test_must_fail git --git-dir=a/.mreg push "$(pwd)/hub.git" $forged:refs/mreg/routes/feed 2>err &&
	grep "refusing refs/mreg/routes/feed: its history does not check out" err &&
	test "$(git --git-dir=hub.git rev-parse refs/mreg/routes/feed)" = $head
'

test_expect_success 'a rewound route is refused' '
	old=$(git --git-dir=a/.mreg rev-parse refs/mreg/routes/feed~1) &&
	test_must_fail git --git-dir=a/.mreg push "$(pwd)/hub.git" +$old:refs/mreg/routes/feed 2>err &&
	grep "a rewound route" err
'

test_expect_success 'deleting a route is refused' '
	test_must_fail git --git-dir=a/.mreg push "$(pwd)/hub.git" :refs/mreg/routes/feed 2>err &&
	grep "refusing to delete" err
'

test_done
