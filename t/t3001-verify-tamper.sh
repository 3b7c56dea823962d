#!/bin/sh
test_description='mreg verify catches every kind of tampering done with plain git

A signed history is built with mreg, checked with mreg verify (text and
--json) and with stock git verify-commit.  Then each kind of tampering the
issue lists is done with plain git on a copy of the registry, and
"mreg -R COPY verify" must exit 1 naming the bad commit.  Most copies drop
the reflogs and the verified state (they are not evidence), so that what
is caught is caught by the chain itself; the rewound-ref cases keep them.'
. ./test-lib.sh
. "$TEST_DIRECTORY"/lib-bundle.sh

for tool in ssh-keygen python3
do
	command -v $tool >/dev/null 2>&1 || skip_all="$tool not found"
done

ZEROS=0000000000000000000000000000000000000000

register_version () {
	sed -i "s/^model_version: .*/model_version: $1/" b/mreg.yaml &&
	mreg register -q b/mreg.yaml >/dev/null &&
	mreg status home_ranker@$1 validated -m "checked" >/dev/null
}

digest_of () {
	echo "sha256:$(git --git-dir=.mreg cat-file blob \
		refs/mreg/models/home_ranker/$1:bundle.yaml | sha256sum | cut -d" " -f1)"
}

as () {
	as_who=$1
	shift
	MREG_SIGNING_KEY="$HOME/$as_who" "$@"
}

# The registry copy the helpers below work on.
R=

# tamper_copy DIR: DIR/.mreg, a copy of the registry without reflogs and
# verified state; R names it.
tamper_copy () {
	full_copy "$1" &&
	rm -rf "$R/logs" "$R/verified"
}

# full_copy DIR: DIR/.mreg, a copy of the registry as it is; R names it.
full_copy () {
	rm -rf "$1" &&
	mkdir "$1" &&
	cp -R .mreg "$1/.mreg" &&
	R=$1/.mreg
}

g () {
	git --git-dir="$R" "$@"
}

# signed_commit KEY TREE [PARENT]: a commit of TREE made by plain git,
# signed with KEY the way git signs with gpg.format=ssh.
signed_commit () {
	git --git-dir="$R" -c gpg.format=ssh -c user.signingkey="$HOME/$1" \
		commit-tree -S "$2" ${3:+-p "$3"} -m "made with plain git"
}

# tree_with_route TREE FILE: TREE with its route file replaced by FILE.
tree_with_route () {
	twr_blob=$(g hash-object -w "$2") &&
	g ls-tree "$1" |
	sed "s/^100644 blob [0-9a-f]*	route$/100644 blob $twr_blob	route/" |
	g mktree
}

# route_tree FILE: a tree holding only FILE as "route".
route_tree () {
	printf "100644 blob %s\troute\n" "$(g hash-object -w "$1")" | g mktree
}

# resign CHAIN_PARENT COMMIT...: re-commits the trees of COMMITs, in that
# order, each on the one before (the first on CHAIN_PARENT, none if empty),
# signed by alice; prints the new ids, one per line.
resign () {
	rs_parent=$1
	shift
	for rs_c
	do
		rs_parent=$(signed_commit alice $(g rev-parse $rs_c^{tree}) $rs_parent) &&
		echo $rs_parent || return 1
	done
}

# bad_verify WHAT REF COMMIT MESSAGE-REGEX: "mreg -R $R verify WHAT" exits 1
# and reports REF as bad at COMMIT, for a reason matching MESSAGE-REGEX.
bad_verify () {
	test_expect_code 1 mreg -R "$R" verify $1 >verify.out 2>verify.err &&
	grep "^error: [0-9]* chains* did not verify$" verify.err &&
	grep "^BAD $2: commit $3: " verify.out >verify.bad || {
		echo "wanted BAD $2 at $3; verify said:" >&4
		cat verify.out >&4
		return 1
	}
	grep -e "$4" verify.bad >&4 || {
		echo "wanted the reason /$4/; verify said:" >&4
		cat verify.bad >&4
		return 1
	}
}

test_expect_success 'setup: keys, a policy with a quorum, versions' '
	setup_registry &&
	mreg keygen -f alice >/dev/null 2>&1 &&
	for who in bob dave mallory
	do
		mreg keygen -f $who -C $who@example.com >/dev/null 2>&1 || return 1
	done &&
	make_bundle b v1 4 &&
	for v in v1 v2 v3
	do
		register_version $v || return 1
	done &&
	D1=$(digest_of v1) && D2=$(digest_of v2) && D3=$(digest_of v3) &&
	cat >policy.yaml <<-EOF &&
	mreg_policy: 1
	principals:
	  alice: "$(cut -d" " -f1,2 alice.pub)"
	  bob: "$(cut -d" " -f1,2 bob.pub)"
	  dave: {key: "$(cut -d" " -f1,2 dave.pub)", valid_after: 2000-01-01T00:00:00Z, valid_before: 2001-01-01T00:00:00Z}
	roots: [alice]
	rules:
	  - {action: promote, stages: [production], principals: [alice]}
	  - {action: promote, stages: [canary, shadow], principals: [alice, bob, dave]}
	approvals:
	  - {routes: "home_*", stage: production, required: 2}
	EOF
	mreg policy set policy.yaml &&
	P1=$(git --git-dir=.mreg rev-parse refs/mreg/policy)
'

test_expect_success 'setup: a signed route history (four moves, two with approvals)' '
	mreg approve home_feed v1 &&
	as bob mreg approve home_feed v1 &&
	mreg promote home_feed v1 -m "first" &&
	as bob mreg promote --stage canary home_feed v2 &&
	as bob mreg route set-traffic home_feed 20 &&
	mreg approve home_feed v2 &&
	as bob mreg approve home_feed v2 &&
	mreg promote home_feed v2 -m "second" &&
	c4=$(git --git-dir=.mreg rev-parse refs/mreg/routes/home_feed) &&
	c3=$(git --git-dir=.mreg rev-parse $c4^) &&
	c2=$(git --git-dir=.mreg rev-parse $c3^) &&
	c1=$(git --git-dir=.mreg rev-parse $c2^) &&
	test "$(git --git-dir=.mreg rev-list --count $c4)" = 4 &&
	git --git-dir=.mreg ls-tree -r --name-only $c4 >tree &&
	test $(grep -c "^approvals/.*\.sig$" tree) = 2
'

test_expect_success 'mreg verify passes on the untouched history' '
	mreg verify >out &&
	cat >expect <<-EOF &&
	ok refs/mreg/policy (1 commit)
	ok refs/mreg/routes/home_feed (4 commits)
	ok refs/mreg/status/home_ranker/v1 ($(git --git-dir=.mreg rev-list --count refs/mreg/status/home_ranker/v1) commits)
	ok refs/mreg/status/home_ranker/v2 ($(git --git-dir=.mreg rev-list --count refs/mreg/status/home_ranker/v2) commits)
	ok refs/mreg/status/home_ranker/v3 (2 commits)
	EOF
	test_cmp expect out &&
	mreg verify home_feed >out &&
	printf "ok refs/mreg/policy (1 commit)\nok refs/mreg/routes/home_feed (4 commits)\n" >expect &&
	test_cmp expect out &&
	mreg verify home_ranker@v3 >out &&
	printf "ok refs/mreg/policy (1 commit)\nok refs/mreg/status/home_ranker/v3 (2 commits)\n" >expect &&
	test_cmp expect out &&
	mreg verify --all >out &&
	test_line_count = 5 out
'

test_expect_success 'mreg verify --json: the exact structure' '
	mreg verify --json >out.json &&
	python3 - >&4 <<-\EOF
	import json, subprocess
	d = json.load(open("out.json"))
	def count(ref):
	    return int(subprocess.check_output(["git", "--git-dir=.mreg", "rev-list", "--count", ref]))
	refs = ["refs/mreg/policy", "refs/mreg/routes/home_feed"] + \
	       ["refs/mreg/status/home_ranker/" + v for v in ("v1", "v2", "v3")]
	want = {"passed": True,
	        "chains": [{"ref": r, "commits": count(r), "passed": True,
	                    "bad_commit": None, "message": None} for r in refs]}
	assert d == want, (d, want)
	EOF
'

test_expect_success 'mreg verify of an unknown route or version' '
	test_expect_code 1 mreg verify no_such_route 2>err &&
	grep "no such" err &&
	test_expect_code 1 mreg verify home_ranker@nope 2>err &&
	grep "no such version" err &&
	test_expect_code 129 mreg verify --all home_feed 2>err
'

test_expect_success 'git verify-commit accepts every commit with mreg policy signers' '
	mreg policy signers >signers &&
	for c in $(git --git-dir=.mreg rev-list refs/mreg/routes/home_feed \
		refs/mreg/policy refs/mreg/status/home_ranker/v1 \
		refs/mreg/status/home_ranker/v2 refs/mreg/status/home_ranker/v3)
	do
		git --git-dir=.mreg -c gpg.ssh.allowedSignersFile=signers \
			verify-commit $c 2>vc.err &&
		grep "^Good \"git\" signature for " vc.err || return 1
	done
'

test_expect_success 'an edited route file (new commit re-using the signature) is caught' '
	tamper_copy edited &&
	g show $c4:route |
		sed -e "s/^production .*/production home_ranker@v3 $D3/" >edited.route &&
	tree=$(tree_with_route $c4 edited.route) &&
	g cat-file commit $c4 | sed "1s/^tree .*/tree $tree/" >commit &&
	grep "^gpgsig " commit &&
	forged=$(g hash-object -t commit -w --stdin <commit) &&
	g update-ref refs/mreg/routes/home_feed $forged &&
	bad_verify home_feed refs/mreg/routes/home_feed $forged "signature" &&
	test_must_fail git --git-dir=$R -c gpg.ssh.allowedSignersFile=signers \
		verify-commit $forged
'

test_expect_success 'an edited route file with the reflog kept is caught too' '
	full_copy edited2 &&
	tree=$(tree_with_route $c4 edited.route) &&
	forged=$(g cat-file commit $c4 | sed "1s/^tree .*/tree $tree/" |
		g hash-object -t commit -w --stdin) &&
	g update-ref refs/mreg/routes/home_feed $forged &&
	test_expect_code 1 mreg -R $R verify home_feed >out &&
	grep "^BAD refs/mreg/routes/home_feed: commit $forged: " out
'

test_expect_success 'a reordered chain (re-signed by a legitimate key) is caught' '
	tamper_copy reordered &&
	resign $c1 $c3 $c2 $c4 >new &&
	first=$(sed -n 1p new) &&
	g update-ref refs/mreg/routes/home_feed $(sed -n 3p new) &&
	bad_verify home_feed refs/mreg/routes/home_feed $first \
		"has seq 3 and prev .*, but it is commit 2 of the chain"
'

test_expect_success 'a truncated chain (head on a rewritten chain missing the root) is caught' '
	tamper_copy truncated &&
	resign "" $c2 $c3 $c4 >new &&
	first=$(sed -n 1p new) &&
	test -z "$(g rev-list --parents -1 $first | cut -s -d" " -f2)" &&
	g update-ref refs/mreg/routes/home_feed $(sed -n 3p new) &&
	bad_verify home_feed refs/mreg/routes/home_feed $first \
		"has seq 2 and prev .*, but it is commit 1 of the chain"
'

test_expect_success 'a truncated chain is caught by the reflog as well' '
	full_copy truncated2 &&
	resign "" $c2 $c3 $c4 >new &&
	head=$(sed -n 3p new) &&
	g update-ref refs/mreg/routes/home_feed $head &&
	bad_verify home_feed refs/mreg/routes/home_feed $head "rewound"
'

test_expect_success 'a route ref reset to an older commit is caught' '
	full_copy reset &&
	g update-ref refs/mreg/routes/home_feed $c2 &&
	bad_verify home_feed refs/mreg/routes/home_feed $c2 "rewound" &&
	grep "$c4" verify.bad
'

test_expect_success 'a reset is caught through the reflog alone' '
	full_copy reset-reflog &&
	rm -rf $R/verified &&
	g update-ref refs/mreg/routes/home_feed $c2 &&
	bad_verify home_feed refs/mreg/routes/home_feed $c2 \
		"the ref was rewound: its reflog names $c4, which its head no longer contains"
'

test_expect_success 'with the reflog deleted, a reset is caught through the verified state' '
	full_copy reset-state &&
	rm -rf $R/logs &&
	test_path_is_file $R/verified/refs/mreg/routes/home_feed &&
	g update-ref refs/mreg/routes/home_feed $c2 &&
	bad_verify home_feed refs/mreg/routes/home_feed $c2 \
		"the ref was rewound: it was verified at $c4, which its head no longer contains"
'

test_expect_success 'a status ref reset to an older commit is caught' '
	full_copy status-reset &&
	rm -rf $R/logs &&
	g update-ref refs/mreg/status/home_ranker/v3 refs/mreg/status/home_ranker/v3^ &&
	old=$(g rev-parse refs/mreg/status/home_ranker/v3) &&
	bad_verify home_ranker@v3 refs/mreg/status/home_ranker/v3 $old "rewound"
'

# next_route SED-SCRIPT: the route file of the head ($c4) made into the next
# commit (seq 5, prev $c4) and edited by SED-SCRIPT.
next_route () {
	g show $c4:route |
	sed -e "s/^seq .*/seq 5/" -e "s/^prev .*/prev $c4/" \
	    -e "s/^reason .*/reason made with plain git/" -e "$1"
}

test_expect_success 'the next route commit built with plain git passes when signed by alice' '
	tamper_copy control &&
	next_route "/^previous-production /i\\
shadow home_ranker@v3 $D3 sample 5%" >control.route &&
	grep "^shadow home_ranker@v3 $D3 sample 5%$" control.route &&
	grep "^action promote$" control.route &&
	good=$(signed_commit alice $(route_tree control.route) $c4) &&
	g update-ref refs/mreg/routes/home_feed $good &&
	mreg -R $R verify home_feed >out &&
	grep "^ok refs/mreg/routes/home_feed (5 commits)$" out
'

test_expect_success 'a forged signature (a key not in the policy) is caught' '
	tamper_copy forged &&
	forged=$(signed_commit mallory $(route_tree control.route) $c4) &&
	g update-ref refs/mreg/routes/home_feed $forged &&
	bad_verify home_feed refs/mreg/routes/home_feed $forged \
		"key SHA256:.* is not trusted by the policy" &&
	mreg policy signers >signers &&
	test_must_fail git --git-dir=$R -c gpg.ssh.allowedSignersFile=signers \
		verify-commit $forged
'

test_expect_success 'a key outside its validity window is caught' '
	tamper_copy expired-key &&
	forged=$(signed_commit dave $(route_tree control.route) $c4) &&
	g update-ref refs/mreg/routes/home_feed $forged &&
	bad_verify home_feed refs/mreg/routes/home_feed $forged \
		"of .dave. is not valid at that time" &&
	test_must_fail git --git-dir=$R -c gpg.ssh.allowedSignersFile=signers \
		verify-commit $forged
'

test_expect_success 'a key not allowed for that stage is caught' '
	tamper_copy wrong-stage &&
	next_route "s/^production .*/production home_ranker@v3 $D3/" >route &&
	forged=$(signed_commit bob $(route_tree route) $c4) &&
	g update-ref refs/mreg/routes/home_feed $forged &&
	bad_verify home_feed refs/mreg/routes/home_feed $forged \
		".bob. may not promote route home_feed to production" &&
	mreg policy signers --stage production >prod-signers &&
	test_must_fail git --git-dir=$R -c gpg.ssh.allowedSignersFile=prod-signers \
		verify-commit $forged
'

test_expect_success 'missing approvals (removed, then re-signed by a legitimate key) are caught' '
	tamper_copy no-approvals &&
	g show $c4:route >noap.route &&
	forged=$(signed_commit alice $(route_tree noap.route) $c3) &&
	g update-ref refs/mreg/routes/home_feed $forged &&
	bad_verify home_feed refs/mreg/routes/home_feed $forged \
		"moves home_ranker@v2 to production with 0 valid approvals; the policy asks for 2"
'

test_expect_success 'one approval of two is caught' '
	tamper_copy one-approval &&
	one=$(g ls-tree $c4:approvals | head -n 2 | g mktree) &&
	tree=$(printf "100644 blob %s\troute\n040000 tree %s\tapprovals\n" \
		$(g rev-parse $c4:route) $one | g mktree) &&
	forged=$(signed_commit alice $tree $c3) &&
	g update-ref refs/mreg/routes/home_feed $forged &&
	bad_verify home_feed refs/mreg/routes/home_feed $forged \
		"with 1 valid approval; the policy asks for 2"
'

test_expect_success 'a set-traffic commit that also moves production is caught' '
	tamper_copy traffic-production &&
	next_route "s/^action .*/action set-traffic/
s/^production .*/production home_ranker@v3 $D3/" >tp.route &&
	grep "^action set-traffic$" tp.route &&
	forged=$(signed_commit bob $(route_tree tp.route) $c4) &&
	g update-ref refs/mreg/routes/home_feed $forged &&
	bad_verify home_feed refs/mreg/routes/home_feed $forged "production"
'

test_expect_success 'a promote commit moving canary and production at once is checked as production' '
	tamper_copy canary-production &&
	next_route "s/^production .*/production home_ranker@v3 $D3/
/^previous-production /i\
canary home_ranker@v1 $D1 traffic 5%" >cp.route &&
	grep "^canary home_ranker@v1 $D1 traffic 5%$" cp.route &&
	grep "^production home_ranker@v3 $D3$" cp.route &&
	forged=$(signed_commit bob $(route_tree cp.route) $c4) &&
	g update-ref refs/mreg/routes/home_feed $forged &&
	bad_verify home_feed refs/mreg/routes/home_feed $forged "production"
'

test_expect_success 'a rollback commit to a version that never served production needs the quorum' '
	tamper_copy rollback-fresh &&
	next_route "s/^action .*/action rollback/
s/^production .*/production home_ranker@v3 $D3/
s/^previous-production .*/previous-production home_ranker@v2 $D2/" >rb.route &&
	forged=$(signed_commit alice $(route_tree rb.route) $c4) &&
	g update-ref refs/mreg/routes/home_feed $forged &&
	bad_verify home_feed refs/mreg/routes/home_feed $forged "home_ranker@v3"
'

test_expect_success 'a route commit naming an older policy than its parent is caught' '
	tamper_copy old-policy &&
	sed -e "/^  bob:/d" -e "s/alice, bob, dave/alice, dave/" policy.yaml >policy2.yaml &&
	mreg -R $R policy set policy2.yaml &&
	P2=$(g rev-parse refs/mreg/policy) &&
	mreg -R $R promote --stage shadow home_feed v3 &&
	c5=$(g rev-parse refs/mreg/routes/home_feed) &&
	g show $c5:route >p5.route &&
	grep "^policy $P2$" p5.route &&
	sed -e "s/^seq .*/seq 6/" -e "s/^prev .*/prev $c5/" -e "s/^policy .*/policy $P1/" \
		-e "s/^shadow \(.*\) sample 5%$/shadow \1 sample 50%/" p5.route >p6.route &&
	grep "sample 50%" p6.route &&
	forged=$(signed_commit bob $(route_tree p6.route) $c5) &&
	g update-ref refs/mreg/routes/home_feed $forged &&
	bad_verify home_feed refs/mreg/routes/home_feed $forged \
		"names policy $P1, older than the $P2 an earlier commit named"
'

test_expect_success 'a policy commit signed by a non-root is caught' '
	tamper_copy policy-forged &&
	sed "s/^roots: \[alice\]$/roots: [bob]/" policy.yaml >evil.yaml &&
	grep "^roots: \[bob\]$" evil.yaml &&
	tree=$(printf "100644 blob %s\tallowed_signers\n100644 blob %s\tpolicy.yaml\n" \
		$(g rev-parse $P1:allowed_signers) $(g hash-object -w evil.yaml) | g mktree) &&
	forged=$(signed_commit bob $tree $P1) &&
	g update-ref refs/mreg/policy $forged &&
	bad_verify "" refs/mreg/policy $forged "not signed by a root of the policy before it"
'

test_expect_success 'mreg log marks a forged commit as not verified' '
	mreg -R forged/.mreg log --oneline home_feed >log &&
	head -n 1 log >first &&
	grep "(unknown key SHA256:.*) \[NOT VERIFIED\]$" first &&
	sed 1d log >rest &&
	! grep "NOT VERIFIED" rest
'

test_expect_success 'an extra gpgsig-sha256 header is caught' '
	tamper_copy extra-header &&
	g cat-file commit $c4 >commit &&
	python3 - <<-\EOF &&
	lines = open("commit").read().split("\n")
	out, i = [], 0
	while not lines[i].startswith("gpgsig "):
	    out.append(lines[i]); i += 1
	sig = [lines[i]]; i += 1
	while lines[i].startswith(" "):
	    sig.append(lines[i]); i += 1
	out += sig + ["gpgsig-sha256" + sig[0][len("gpgsig"):]] + sig[1:] + lines[i:]
	open("commit2", "w").write("\n".join(out))
	EOF
	grep "^gpgsig-sha256 -----BEGIN SSH SIGNATURE-----$" commit2 &&
	forged=$(g hash-object -t commit -w --stdin <commit2) &&
	g update-ref refs/mreg/routes/home_feed $forged &&
	bad_verify home_feed refs/mreg/routes/home_feed $forged \
		"unexpected header .gpgsig-sha256."
'

test_expect_success 'a merge commit in a route chain is caught' '
	tamper_copy merge &&
	forged=$(git --git-dir=$R -c gpg.format=ssh -c user.signingkey="$HOME/alice" \
		commit-tree -S $(g rev-parse $c4^{tree}) -p $c3 -p $c2 -m merge) &&
	g update-ref refs/mreg/routes/home_feed $forged &&
	bad_verify home_feed refs/mreg/routes/home_feed $forged "merge"
'

test_expect_success 'an unsigned commit is caught' '
	tamper_copy unsigned &&
	forged=$(g commit-tree $(route_tree control.route) -p $c4 -m unsigned) &&
	g update-ref refs/mreg/routes/home_feed $forged &&
	bad_verify home_feed refs/mreg/routes/home_feed $forged "not signed"
'

test_expect_success 'an unexpected path in a route tree is caught' '
	tamper_copy extra-path &&
	tree=$(printf "100644 blob %s\troute\n100644 blob %s\tREADME\n" \
		$(g hash-object -w control.route) $(echo hi | g hash-object -w --stdin) |
		g mktree) &&
	forged=$(signed_commit alice $tree $c4) &&
	g update-ref refs/mreg/routes/home_feed $forged &&
	bad_verify home_feed refs/mreg/routes/home_feed $forged "unexpected path .README."
'

test_expect_success 'an edited status chain (signature re-used) is caught' '
	tamper_copy status-edited &&
	head=$(g rev-parse refs/mreg/status/home_ranker/v3) &&
	g show $head:status | sed "s/^reason .*/reason nobody checked/" >status &&
	grep "^reason nobody checked$" status &&
	blob=$(g hash-object -w status) &&
	tree=$(printf "100644 blob %s\tstatus\n" $blob | g mktree) &&
	forged=$(g cat-file commit $head | sed "1s/^tree .*/tree $tree/" |
		g hash-object -t commit -w --stdin) &&
	g update-ref refs/mreg/status/home_ranker/v3 $forged &&
	bad_verify home_ranker@v3 refs/mreg/status/home_ranker/v3 $forged "signature"
'

# resign_status SED-SCRIPT: replaces the head of home_ranker@v3's status
# chain with a commit signed by alice whose status file is the head's
# edited by SED-SCRIPT; sets $forged.
resign_status () {
	rs_head=$(g rev-parse refs/mreg/status/home_ranker/v3) &&
	g show $rs_head:status | sed "$1" >status &&
	! g show $rs_head:status | cmp -s - status &&
	forged=$(signed_commit alice $(printf "100644 blob %s\tstatus\n" \
		$(g hash-object -w status) | g mktree) $rs_head^) &&
	g update-ref refs/mreg/status/home_ranker/v3 $forged
}

test_expect_success 'an edited status chain re-signed by a legitimate key breaks the lifecycle' '
	tamper_copy status-resigned &&
	resign_status "s/^state validated$/state production/" &&
	bad_verify home_ranker@v3 refs/mreg/status/home_ranker/v3 $forged \
		"moves from candidate to production, which the lifecycle does not allow"
'

test_expect_success 'a status seq with trailing junk is not its number' '
	tamper_copy status-seq &&
	seq=$(g show refs/mreg/status/home_ranker/v3:status | sed -n "s/^seq //p") &&
	resign_status "s/^seq .*/seq ${seq}junk/" &&
	bad_verify home_ranker@v3 refs/mreg/status/home_ranker/v3 $forged \
		"has seq ${seq}junk and prev"
'

test_expect_success 'a status commit naming another digest is caught' '
	tamper_copy status-digest &&
	resign_status "s/^digest .*/digest $D1/" &&
	bad_verify home_ranker@v3 refs/mreg/status/home_ranker/v3 $forged \
		"names digest $D1, but the chain began with $D3"
'

# status_next ACTION FROM STATE POLICY: the status file of the next commit
# of home_ranker@v3's status chain, naming POLICY.
status_next () {
	sn_head=$(g rev-parse refs/mreg/status/home_ranker/v3) &&
	sn_seq=$(($(g rev-list --count $sn_head) + 1)) &&
	g show $sn_head:status |
	sed -e "s/^seq .*/seq $sn_seq/" -e "s/^prev .*/prev $sn_head/" \
	    -e "s/^action .*/action $1/" -e "s/^from .*/from $2/" \
	    -e "s/^state .*/state $3/" -e "s/^policy .*/policy $4/" \
	    -e "s/^reason .*/reason made with plain git/"
}

# status_commit KEY FILE: FILE as the next commit of home_ranker@v3's
# status chain, signed by KEY; the ref moves to it.
status_commit () {
	sc_head=$(g rev-parse refs/mreg/status/home_ranker/v3) &&
	forged=$(signed_commit $1 $(printf "100644 blob %s\tstatus\n" \
		$(g hash-object -w "$2") | g mktree) $sc_head) &&
	g update-ref refs/mreg/status/home_ranker/v3 $forged
}

test_expect_success 'a status commit naming a policy that is not on refs/mreg/policy is caught' '
	tamper_copy status-policy &&
	cat >evil.yaml <<-EOF &&
	mreg_policy: 1
	principals:
	  mallory: "$(cut -d" " -f1,2 mallory.pub)"
	roots: [mallory]
	rules:
	  - {action: status, principals: [mallory]}
	EOF
	evil=$(signed_commit mallory $(printf "100644 blob %s\tpolicy.yaml\n" \
		$(g hash-object -w evil.yaml) | g mktree)) &&
	status_next status validated deprecated $evil >status &&
	status_commit mallory status &&
	bad_verify home_ranker@v3 refs/mreg/status/home_ranker/v3 $forged \
		"names policy $evil, which is not on refs/mreg/policy"
'

test_expect_success 'a status commit naming an older policy than its parent is caught' '
	tamper_copy status-old-policy &&
	sed -e "/^  bob:/d" -e "s/alice, bob, dave/alice, dave/" policy.yaml >policy2.yaml &&
	mreg -R $R policy set policy2.yaml &&
	P2=$(g rev-parse refs/mreg/policy) &&
	mreg -R $R status home_ranker@v3 deprecated -m "old" >/dev/null &&
	g show refs/mreg/status/home_ranker/v3:status >head.status &&
	grep "^policy $P2$" head.status &&
	status_next approve deprecated deprecated $P1 >status &&
	status_commit bob status &&
	bad_verify home_ranker@v3 refs/mreg/status/home_ranker/v3 $forged \
		"names policy $P1, older than the $P2 an earlier commit named"
'

test_expect_success 'a bundle.yaml edited so the digest a route names no longer matches' '
	tamper_copy bundle &&
	g cat-file blob refs/mreg/models/home_ranker/v1:bundle.yaml |
		sed "s/ndcg_at_20: 0.412/ndcg_at_20: 0.999/" >forged.yaml &&
	blob=$(g hash-object -w forged.yaml) &&
	model=$(g rev-parse refs/mreg/models/home_ranker/v1) &&
	tree=$(g ls-tree $model | sed "s/^100644 blob [0-9a-f]*	bundle.yaml$/100644 blob $blob	bundle.yaml/" | g mktree) &&
	test "$tree" != "$(g rev-parse $model^{tree})" &&
	forged=$(g commit-tree $tree -m "$(g log -1 --format=%B $model)") &&
	g update-ref refs/mreg/models/home_ranker/v1 $forged &&
	bad_verify home_feed refs/mreg/routes/home_feed $c1 "home_ranker@v1" &&
	test_expect_code 1 mreg -R $R verify >out &&
	grep "^BAD refs/mreg/status/home_ranker/v1: commit $(g rev-list --max-parents=0 refs/mreg/status/home_ranker/v1): " out &&
	grep "^ok refs/mreg/status/home_ranker/v2 " out
'

test_expect_success 'verify --json names the bad commit and the reason' '
	R=forged/.mreg &&
	forged=$(g rev-parse refs/mreg/routes/home_feed) &&
	test_expect_code 1 mreg -R $R verify --json home_feed >out.json &&
	python3 - "$forged" >&4 <<-\EOF
	import json, sys
	d = json.load(open("out.json"))
	assert d["passed"] is False, d
	assert [c["ref"] for c in d["chains"]] == ["refs/mreg/policy", "refs/mreg/routes/home_feed"], d
	pol, route = d["chains"]
	assert pol == {"ref": "refs/mreg/policy", "commits": 1, "passed": True,
	               "bad_commit": None, "message": None}, pol
	assert set(route) == {"ref", "commits", "passed", "bad_commit", "message"}, route
	assert route["passed"] is False and route["bad_commit"] == sys.argv[1], route
	assert route["commits"] == 5, route
	assert "not trusted" in route["message"], route
	EOF
'

test_expect_success 'the original registry still verifies' '
	mreg verify >out &&
	! grep "^BAD" out
'

# flip_byte FILE OFFSET: inverts one byte of FILE in place; the size stays.
flip_byte () {
	python3 - "$1" "$2" <<-\EOF
	import sys
	with open(sys.argv[1], "r+b") as f:
	    f.seek(int(sys.argv[2]))
	    b = f.read(1)
	    f.seek(int(sys.argv[2]))
	    f.write(bytes([b[0] ^ 0xff]))
	EOF
}

test_expect_success 'setup: a route serving two versions that share a stored artifact' '
	MB_SEED=big make_bundle big v4 1100 &&
	for v in v4 v5
	do
		sed -i "s/^model_version: .*/model_version: $v/" big/mreg.yaml &&
		mreg register -q big/mreg.yaml >/dev/null &&
		mreg status home_ranker@$v validated -m "checked" >/dev/null || return 1
	done &&
	mreg promote big_feed v4 -m "first" &&
	mreg promote big_feed v5 -m "second" &&
	big1=$(git --git-dir=.mreg rev-list --max-parents=0 refs/mreg/routes/big_feed) &&
	big_sha=$(sha256sum big/model/ranker.onnx | cut -d" " -f1) &&
	big_obj=.mreg/artifacts/$(echo $big_sha | cut -c1-2)/$(echo $big_sha | cut -c3-4)/$big_sha &&
	test_path_is_file "$big_obj" &&
	cp "$big_obj" big-object &&
	mreg verify big_feed >out &&
	printf "ok refs/mreg/policy (1 commit)\nok refs/mreg/routes/big_feed (2 commits)\n" >expect &&
	test_cmp expect out
'

test_expect_success 'an artifact with other bytes of the same size fails verify, not verify --quick' '
	R=.mreg &&
	chmod u+w "$big_obj" &&
	flip_byte "$big_obj" 1000 &&
	test $(wc -c <"$big_obj") = $(wc -c <big-object) &&
	! cmp -s big-object "$big_obj" &&
	bad_verify big_feed refs/mreg/routes/big_feed $big1 \
		"home_ranker@v4: artifact $big_sha is corrupt: its bytes hash to [0-9a-f]\{64\}$" &&
	test_expect_code 1 mreg verify >out &&
	grep "^BAD refs/mreg/status/home_ranker/v5: commit [0-9a-f]*: home_ranker@v5: artifact $big_sha is corrupt" out &&
	grep "^ok refs/mreg/routes/home_feed " out &&
	mreg verify --quick big_feed >out &&
	printf "ok refs/mreg/policy (1 commit)\nok refs/mreg/routes/big_feed (2 commits)\n" >expect &&
	test_cmp expect out
'

test_expect_success 'the artifact restored, verify passes again' '
	cp big-object "$big_obj" &&
	chmod 0444 "$big_obj" &&
	mreg verify big_feed >out &&
	printf "ok refs/mreg/policy (1 commit)\nok refs/mreg/routes/big_feed (2 commits)\n" >expect &&
	test_cmp expect out &&
	mreg verify >out &&
	! grep "^BAD" out
'

test_expect_success 'a missing artifact fails verify and verify --quick' '
	R=.mreg &&
	mv "$big_obj" big-object.moved &&
	test_when_finished "mv big-object.moved \"$big_obj\"" &&
	bad_verify big_feed refs/mreg/routes/big_feed $big1 \
		"home_ranker@v4: artifact $big_sha is missing from the store$" &&
	bad_verify "--quick big_feed" refs/mreg/routes/big_feed $big1 \
		"home_ranker@v4: artifact $big_sha is missing from the store$"
'

# traced_opens CMD...: runs CMD, leaving the files it opened in "trace".
# LeakSanitizer cannot run under ptrace: a sanitizer build is checked for
# leaks by the other tests.
traced_opens () {
	ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" \
		strace -f -e trace=openat -o trace "$@"
}

if strace -f -e trace=openat -o /dev/null true 2>/dev/null
then
	test_set_prereq STRACE
fi

test_expect_success STRACE 'each artifact is read once, however many chains name it' '
	traced_opens mreg verify >out &&
	test_line_count = 8 out &&
	! grep "^BAD" out &&
	grep "$big_sha" trace >opens &&
	test_line_count = 1 opens &&
	traced_opens mreg verify --quick >out &&
	test_line_count = 8 out &&
	! grep "$big_sha" trace
'

test_done
