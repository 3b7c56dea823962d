#!/bin/sh

test_description='mreg push, fetch, pull and clone through path and file:// remotes

Two teams share a registry through a bare git repository made by
"git init --bare": team A registers (with an artifact over 1 MiB, so that
it travels through the artifact store), promotes and pushes; team B
clones, pinning the trust root it prints, gates and promotes a canary and
pushes; A pulls B'"'"'s signed history.  A remote changed with plain git
(a route rewound, a commit forged, unsigned or rewritten) is refused with
nothing local changed; a version registered on both sides with other
bytes, and route chains that diverged, are conflicts; pushes never force.'

. ./test-lib.sh
. "$TEST_DIRECTORY"/lib-bundle.sh
. "$TEST_DIRECTORY"/lib-sync.sh

for tool in ssh-keygen python3 sha256sum
do
	command -v $tool >/dev/null 2>&1 || skip_all="$tool not found"
done
test -n "$skip_all" && test_done

SQ="'"

# store_path DIR FILE: where the store at DIR keeps the bytes of FILE.
store_path () {
	sp_sha=$(sha256sum "$2" | cut -d" " -f1) &&
	echo "$1/artifacts/$(echo $sp_sha | cut -c1-2)/$(echo $sp_sha | cut -c3-4)/$sp_sha"
}

# fingerprint KEY.pub: as ssh-keygen -l prints it.
fingerprint () {
	ssh-keygen -lf "$1" | cut -d" " -f2
}

# craft_route GITDIR KEY: a commit on top of refs/mreg/routes/home_feed in
# GITDIR, made with plain git, that moves the canary to 50% with the next
# seq and prev; signed with $HOME/KEY the way git signs with
# gpg.format=ssh, or unsigned when KEY is empty.  Prints its id.
craft_route () {
	cr_head=$(git --git-dir="$1" rev-parse refs/mreg/routes/home_feed) &&
	cr_seq=$(git --git-dir="$1" show $cr_head:route | sed -n "s/^seq //p") &&
	cr_seq=$((cr_seq + 1)) &&
	git --git-dir="$1" show $cr_head:route |
	sed -e "s/^seq .*/seq $cr_seq/" -e "s/^prev .*/prev $cr_head/" \
	    -e "s/^action .*/action set-traffic/" \
	    -e "s/^\(canary .*\) traffic .*/\1 traffic 50%/" \
	    -e "s/^reason .*/reason crafted with plain git/" >crafted-route &&
	cr_blob=$(git --git-dir="$1" hash-object -w crafted-route) &&
	cr_tree=$(printf "100644 blob %s\troute\n" $cr_blob | git --git-dir="$1" mktree) &&
	if test -n "$2"
	then
		git --git-dir="$1" -c gpg.format=ssh -c user.signingkey="$HOME/$2" \
			commit-tree -S $cr_tree -p $cr_head -m "set-traffic home_feed: seq $cr_seq"
	else
		git --git-dir="$1" commit-tree $cr_tree -p $cr_head \
			-m "set-traffic home_feed: seq $cr_seq"
	fi
}

test_expect_success 'setup: keys for alice (team A), bob (team B) and mallory' '
	mreg keygen -f alice >alice.out 2>alice.err &&
	mreg keygen -f bob >/dev/null 2>&1 &&
	mreg keygen -f mallory >/dev/null 2>&1 &&
	sed -n "s/.*(fingerprint \(SHA256:[^)]*\)).*/\1/p" alice.err >alice.fp &&
	fingerprint alice.pub >expect &&
	test_cmp expect alice.fp
'

test_expect_success 'setup: team A registers, sets a policy naming both teams, promotes' '
	setup_team_a 2048 &&
	mreg -R A/.mreg promote -m "first production model" home_feed v1 >/dev/null &&
	git init -q --bare remote.git
'

test_expect_success 'remote add, list; a second remote of that name is refused' '
	(cd A && mreg remote add origin ../remote.git) &&
	mreg -R A/.mreg remote list >out &&
	echo origin >expect &&
	test_cmp expect out &&
	mreg -R A/.mreg remote list -v >out &&
	printf "origin\t%s\n" "$PWD/remote.git" >expect &&
	test_cmp expect out &&
	test_must_fail mreg -R A/.mreg remote add origin "$PWD/other.git" 2>err &&
	grep "remote .origin. already exists" err &&
	test_expect_code 129 mreg -R A/.mreg remote add origin
'

test_expect_success 'team A pushes: artifacts under artifacts/ab/cd/, then the refs' '
	(cd A && mreg push >../out) &&
	first_push_report >expect &&
	sort out >actual &&
	test_cmp expect actual &&
	remote_refs A/.mreg >expect &&
	remote_refs remote.git >actual &&
	test_cmp expect actual &&
	art=$(store_path remote.git A/b-v1/model/ranker.onnx) &&
	test_path_is_file "$art" &&
	test "$(sha256sum <"$art" | cut -d" " -f1)" = "$(basename "$art")" &&
	test "$(stat -c %a "$art")" = 444 &&
	test_cmp A/b-v1/model/ranker.onnx "$art" &&
	find remote.git/artifacts -type f >arts &&
	test_line_count = 1 arts &&
	find remote.git/tmp -type f >leftovers &&
	test_must_be_empty leftovers
'

test_expect_success 'a second push with nothing new: Everything up to date' '
	remote_refs remote.git >before &&
	(cd A && mreg push >../out) &&
	echo "Everything up to date" >expect &&
	test_cmp expect out &&
	remote_refs remote.git >after &&
	test_cmp before after &&
	(cd A && mreg push --quiet >../out) &&
	test_must_be_empty out
'

test_expect_success 'team B clones: the trust root is printed with its fingerprint' '
	mreg clone "file://$PWD/remote.git" B >out &&
	cat >expect <<-EOF &&
	Cloned file://$PWD/remote.git into $PWD/B/.mreg
	Trust root: $(cat alice.fp)
	Compare this fingerprint with the registry owner${SQ}s, out of band.
	EOF
	test_cmp expect out &&
	git --git-dir=B/.mreg config --get-all mreg.trustroot >roots &&
	test_line_count = 1 roots &&
	grep "^$(cut -d" " -f1,2 alice.pub)" roots &&
	remote_refs B/.mreg >actual &&
	remote_refs remote.git >expect &&
	test_cmp expect actual &&
	test_cmp A/b-v1/model/ranker.onnx "$(store_path B/.mreg A/b-v1/model/ranker.onnx)" &&
	mreg -R B/.mreg remote list -v >out &&
	printf "origin\tfile://%s\n" "$PWD/remote.git" >expect &&
	test_cmp expect out
'

test_expect_success 'the clone verifies, and a fetch right after it finds nothing new' '
	mreg -R B/.mreg verify >out &&
	cat >expect <<-EOF &&
	ok refs/mreg/policy (1 commit)
	ok refs/mreg/routes/home_feed (1 commit)
	ok refs/mreg/status/home_ranker/v1 (3 commits)
	EOF
	test_cmp expect out &&
	mreg -R B/.mreg fsck &&
	(cd B && mreg fetch >../out) &&
	echo "Everything up to date" >expect &&
	test_cmp expect out
'

test_expect_success 'team B gates a new version against production, records it, promotes a canary' '
	team B bob bob &&
	make_bundle B/b-v2 v2 3072 &&
	sed -i "s/ndcg_at_20: 0.412/ndcg_at_20: 0.419/" B/b-v2/mreg.yaml &&
	mreg -R B/.mreg register -q B/b-v2/mreg.yaml >/dev/null &&
	cat >gates.yaml <<-\EOF &&
	gates:
	  ndcg_at_20: {min_relative_improvement: 0.005}
	  latency_p95_ms: {max: 20}
	EOF
	mreg -R B/.mreg gate --against home_ranker@v1 --gates gates.yaml --record home_ranker@v2 >out &&
	mreg -R B/.mreg status home_ranker@v2 >out &&
	grep "^home_ranker@v2 validated" out &&
	mreg -R B/.mreg promote --stage canary --traffic 5% -m "canary by team B" home_feed v2 >out &&
	grep "canary home_ranker@v2 at 5%" out
'

test_expect_success 'team B pushes: only what the remote lacks travels' '
	OLD=$(short B/.mreg refs/mreg/routes/home_feed~1) &&
	(cd B && mreg push >../out) &&
	{
		printf "%-10s %s %s\n" pushed refs/mreg/models/home_ranker/v2 \
			$(short B/.mreg refs/mreg/models/home_ranker/v2) &&
		printf "%-10s %s %s..%s\n" pushed refs/mreg/routes/home_feed $OLD \
			$(short B/.mreg refs/mreg/routes/home_feed) &&
		printf "%-10s %s %s\n" pushed refs/mreg/status/home_ranker/v2 \
			$(short B/.mreg refs/mreg/status/home_ranker/v2)
	} >expect &&
	sort out >actual &&
	test_cmp expect actual &&
	test_cmp B/b-v2/model/ranker.onnx "$(store_path remote.git B/b-v2/model/ranker.onnx)" &&
	find remote.git/artifacts -type f >arts &&
	test_line_count = 2 arts
'

test_expect_success 'team A pulls and sees B'"'"'s signed history in mreg log; verify passes' '
	OLD=$(short A/.mreg refs/mreg/routes/home_feed) &&
	(cd A && mreg pull >../out) &&
	{
		printf "%-10s %s %s\n" new refs/mreg/models/home_ranker/v2 \
			$(short remote.git refs/mreg/models/home_ranker/v2) &&
		printf "%-10s %s %s..%s\n" updated refs/mreg/routes/home_feed $OLD \
			$(short remote.git refs/mreg/routes/home_feed) &&
		printf "%-10s %s %s\n" new refs/mreg/status/home_ranker/v2 \
			$(short remote.git refs/mreg/status/home_ranker/v2)
	} | sort >expect &&
	sort out >actual &&
	test_cmp expect actual &&
	remote_refs remote.git >expect &&
	remote_refs A/.mreg >actual &&
	test_cmp expect actual &&
	test_cmp B/b-v2/model/ranker.onnx "$(store_path A/.mreg B/b-v2/model/ranker.onnx)" &&
	mreg -R A/.mreg log home_feed >log &&
	grep "^route home_feed seq 2 " log &&
	grep "^Signer:    bob (good signature)$" log &&
	grep "^Signer:    alice (good signature)$" log &&
	mreg -R A/.mreg log --json home_feed >log.json &&
	python3 -c "
import json
l = json.load(open(\"log.json\"))
assert [e[\"seq\"] for e in l] == [2, 1], l
assert l[0][\"signer\"] == \"bob\" and l[0][\"verified\"] is True, l[0]
assert l[0][\"stage\"] == \"canary\" and l[0][\"to\"] == \"home_ranker@v2\", l[0]
assert l[1][\"signer\"] == \"alice\" and l[1][\"verified\"] is True, l[1]
" &&
	mreg -R A/.mreg verify >out &&
	! grep "^BAD" out &&
	grep "^ok refs/mreg/routes/home_feed (2 commits)$" out &&
	mreg -R A/.mreg resolve --stage canary home_feed >out &&
	grep "^home_ranker@v2 " out &&
	mreg -R A/.mreg status home_ranker@v2 >out &&
	grep "^home_ranker@v2 canary" out
'

test_expect_success 'git verify-commit accepts what arrived, with the policy'"'"'s signers' '
	mreg -R A/.mreg policy signers >signers &&
	for c in $(git --git-dir=A/.mreg rev-list refs/mreg/routes/home_feed refs/mreg/status/home_ranker/v2)
	do
		git --git-dir=A/.mreg -c gpg.ssh.allowedSignersFile="$PWD/signers" \
			verify-commit $c 2>/dev/null || return 1
	done
'

test_expect_success 'pull is fetch: nothing new is Everything up to date, exit 0' '
	(cd A && mreg pull >../out) &&
	echo "Everything up to date" >expect &&
	test_cmp expect out &&
	(cd A && mreg fetch origin >../out) &&
	test_cmp expect out
'

test_expect_success 'clone --trust-root FILE pins the keys in FILE' '
	mreg clone --trust-root alice.pub remote.git C >out &&
	grep "^Trust root: $(cat alice.fp)$" out &&
	git --git-dir=C/.mreg config --get-all mreg.trustroot >roots &&
	test_line_count = 1 roots &&
	mreg -R C/.mreg verify >out &&
	! grep "^BAD" out &&
	remote_refs remote.git >expect &&
	remote_refs C/.mreg >actual &&
	test_cmp expect actual
'

test_expect_success 'clone --trust-root with a key that did not sign the root fails, leaving nothing' '
	test_expect_code 1 mreg clone --trust-root mallory.pub remote.git M >out 2>err &&
	grep "did not verify; nothing was cloned" err &&
	test_path_is_missing M &&
	test_must_fail mreg clone --trust-root no-such-file remote.git M 2>err &&
	grep "no-such-file" err &&
	test_path_is_missing M
'

test_expect_success 'the clone names the directory after the URL, like git clone' '
	mkdir named &&
	(cd named && mreg clone "$TRASH_DIRECTORY/remote.git" >out) &&
	test_path_is_dir named/remote/.mreg &&
	grep "^Cloned .* into $TRASH_DIRECTORY/named/remote/.mreg$" named/out
'

test_expect_success 'a failed clone leaves no directory behind' '
	test_must_fail mreg clone "$PWD/no-such-remote.git" D 2>err &&
	test -s err &&
	test_path_is_missing D &&
	test_must_fail mreg clone "file://$PWD/no-such-remote.git" 2>err &&
	test_path_is_missing no-such-remote &&
	mkdir existing &&
	echo keep >existing/file &&
	test_must_fail mreg clone "$PWD/no-such-remote.git" existing 2>err &&
	test_path_is_missing existing/.mreg &&
	echo keep >expect &&
	test_cmp expect existing/file &&
	test_must_fail mreg clone remote.git A 2>err &&
	grep "already exists" err &&
	mreg -R A/.mreg verify >/dev/null
'

test_expect_success 'a clone of a path that does not exist says so' '
	test_must_fail mreg clone "$PWD/no-such-remote.git" D 2>err &&
	grep "no-such-remote.git" err &&
	! grep "unsupported URL protocol" err
'

test_expect_success 'a relative path to a repository made later is stored absolute' '
	(cd A && mreg remote add later ../later.git) &&
	test_when_finished "(cd A && mreg remote remove later)" &&
	mreg -R A/.mreg remote list -v >out &&
	printf "later\t%s\n" "$PWD/later.git" >expect &&
	grep "^later" out >actual &&
	test_cmp expect actual
'

test_expect_success 'a route rewound on the remote with plain git is refused, nothing changes' '
	HEAD=$(git --git-dir=remote.git rev-parse refs/mreg/routes/home_feed) &&
	git --git-dir=remote.git update-ref refs/mreg/routes/home_feed $HEAD~1 &&
	test_when_finished "git --git-dir=remote.git update-ref refs/mreg/routes/home_feed $HEAD" &&
	refs_of A >before &&
	(cd A && test_expect_code 1 mreg pull >../out 2>../err) &&
	printf "%-10s %s %s..%s: %s\n" refused refs/mreg/routes/home_feed \
		$(echo $HEAD | cut -c1-12) $(short remote.git $HEAD~1) \
		"the remote rewound it: it was at $HEAD, and $(git --git-dir=remote.git rev-parse $HEAD~1) does not contain it" >expect &&
	test_cmp expect out &&
	echo "error: 1 ref refused; nothing local changed" >expect &&
	test_cmp expect err &&
	refs_of A >after &&
	test_cmp before after
'

test_expect_success 'the rewound route is refused again on a second pull' '
	HEAD=$(git --git-dir=remote.git rev-parse refs/mreg/routes/home_feed) &&
	git --git-dir=remote.git update-ref refs/mreg/routes/home_feed $HEAD~1 &&
	test_when_finished "git --git-dir=remote.git update-ref refs/mreg/routes/home_feed $HEAD" &&
	refs_of A >before &&
	(cd A && test_expect_code 1 mreg pull >../out) &&
	(cd A && test_expect_code 1 mreg fetch >../out2) &&
	test_cmp out out2 &&
	grep "^refused    refs/mreg/routes/home_feed .*: the remote rewound it" out &&
	refs_of A >after &&
	test_cmp before after
'

test_expect_success 'a fetch that fails midway keeps the remote-tracking refs: a rewind is still caught' '
	team C alice alice &&
	register_in C v20 2048 &&
	(cd C && mreg push --no-artifacts >../out) &&
	test_when_finished "git --git-dir=remote.git update-ref -d refs/mreg/models/home_ranker/v20;
		git --git-dir=remote.git update-ref -d refs/mreg/status/home_ranker/v20;
		(cd A && mreg pull >/dev/null 2>&1); :" &&
	HEAD=$(git --git-dir=remote.git rev-parse refs/mreg/routes/home_feed) &&
	git --git-dir=remote.git update-ref refs/mreg/routes/home_feed $HEAD~1 &&
	test_when_finished "git --git-dir=remote.git update-ref refs/mreg/routes/home_feed $HEAD" &&
	refs_of A >before &&
	(cd A && test_must_fail mreg pull >../out 2>../err) &&
	grep "has no artifact" err &&
	refs_of A >after &&
	test_cmp before after &&
	git --git-dir=remote.git update-ref -d refs/mreg/models/home_ranker/v20 &&
	git --git-dir=remote.git update-ref -d refs/mreg/status/home_ranker/v20 &&
	(cd A && test_expect_code 1 mreg pull >../out 2>../err) &&
	grep "^refused    refs/mreg/routes/home_feed .*: the remote rewound it" out &&
	git --git-dir=remote.git update-ref refs/mreg/models/home_ranker/v20 \
		$(git --git-dir=C/.mreg rev-parse refs/mreg/models/home_ranker/v20) &&
	git --git-dir=remote.git update-ref refs/mreg/status/home_ranker/v20 \
		$(git --git-dir=C/.mreg rev-parse refs/mreg/status/home_ranker/v20)
'

test_expect_success 'a forged commit appended with plain git (a key outside the policy) is refused' '
	HEAD=$(git --git-dir=remote.git rev-parse refs/mreg/routes/home_feed) &&
	forged=$(craft_route remote.git mallory) &&
	git --git-dir=remote.git update-ref refs/mreg/routes/home_feed $forged &&
	test_when_finished "git --git-dir=remote.git update-ref refs/mreg/routes/home_feed $HEAD" &&
	refs_of A >before &&
	(cd A && test_expect_code 1 mreg pull >../out 2>../err) &&
	printf "%-10s %s %s..%s: commit %s: key %s is not trusted by the policy\n" \
		refused refs/mreg/routes/home_feed $(echo $HEAD | cut -c1-12) \
		$(echo $forged | cut -c1-12) $forged "$(fingerprint mallory.pub)" >expect &&
	test_cmp expect out &&
	refs_of A >after &&
	test_cmp before after &&
	test_expect_code 1 mreg clone remote.git D 2>err &&
	grep "did not verify; nothing was cloned" err &&
	test_path_is_missing D
'

test_expect_success 'an unsigned commit appended with plain git is refused' '
	HEAD=$(git --git-dir=remote.git rev-parse refs/mreg/routes/home_feed) &&
	unsigned=$(craft_route remote.git "") &&
	git --git-dir=remote.git update-ref refs/mreg/routes/home_feed $unsigned &&
	test_when_finished "git --git-dir=remote.git update-ref refs/mreg/routes/home_feed $HEAD" &&
	refs_of A >before &&
	(cd A && test_expect_code 1 mreg pull >../out 2>../err) &&
	grep "^refused    refs/mreg/routes/home_feed $(echo $HEAD | cut -c1-12)..$(echo $unsigned | cut -c1-12): commit $unsigned: .*is not signed$" out &&
	refs_of A >after &&
	test_cmp before after
'

test_expect_success 'the same crafted commit signed by a principal is accepted (the control)' '
	HEAD=$(git --git-dir=remote.git rev-parse refs/mreg/routes/home_feed) &&
	good=$(craft_route remote.git bob) &&
	git --git-dir=remote.git update-ref refs/mreg/routes/home_feed $good &&
	test_when_finished "rm -rf ctl; git --git-dir=remote.git update-ref refs/mreg/routes/home_feed $HEAD" &&
	mreg clone remote.git ctl >out &&
	test "$(git --git-dir=ctl/.mreg rev-parse refs/mreg/routes/home_feed)" = $good &&
	mreg -R ctl/.mreg resolve --stage canary home_feed >out
'

test_expect_success 'a tampered bundle.yaml (a model commit rewritten on the remote) is refused' '
	M=$(git --git-dir=remote.git rev-parse refs/mreg/models/home_ranker/v2) &&
	git --git-dir=remote.git show $M:bundle.yaml >bundle.yaml &&
	grep "ndcg_at_20: 0.419" bundle.yaml &&
	sed -i "s/ndcg_at_20: 0.419/ndcg_at_20: 0.999/" bundle.yaml &&
	old=$(git --git-dir=remote.git rev-parse $M:bundle.yaml) &&
	new=$(git --git-dir=remote.git hash-object -w bundle.yaml) &&
	tree=$(git --git-dir=remote.git ls-tree $M | sed "s/$old/$new/" | git --git-dir=remote.git mktree) &&
	T=$(git --git-dir=remote.git -c gpg.format=ssh -c user.signingkey="$HOME/bob" \
		commit-tree -S $tree -m "$(git --git-dir=remote.git log -1 --format=%B $M)") &&
	git --git-dir=remote.git update-ref refs/mreg/models/home_ranker/v2 $T &&
	test_when_finished "git --git-dir=remote.git update-ref refs/mreg/models/home_ranker/v2 $M" &&
	refs_of A >before &&
	(cd A && test_expect_code 1 mreg pull >../out 2>../err) &&
	grep "^refused    refs/mreg/models/home_ranker/v2 " out &&
	refs_of A >after &&
	test_cmp before after &&
	test_expect_code 1 mreg clone remote.git D >out 2>err &&
	grep "did not verify; nothing was cloned" err &&
	test_path_is_missing D
'

test_expect_success 'a new version that no signed status chain vouches for is refused' '
	git init -q --bare unsigned.git &&
	cp -R remote.git/artifacts unsigned.git/ &&
	git --git-dir=A/.mreg push -q "$PWD/unsigned.git" "refs/mreg/*:refs/mreg/*" &&
	M=$(git --git-dir=unsigned.git rev-parse refs/mreg/models/home_ranker/v2) &&
	bundle=$(git --git-dir=unsigned.git rev-parse $M:bundle.yaml) &&
	tree=$(git --git-dir=unsigned.git ls-tree $M | git --git-dir=unsigned.git mktree) &&
	U=$(git --git-dir=unsigned.git commit-tree $tree -m "register home_ranker@v9") &&
	git --git-dir=unsigned.git update-ref refs/mreg/models/home_ranker/v9 $U &&
	(cd A && mreg remote add unsigned ../unsigned.git) &&
	refs_of A >before &&
	(cd A && test_expect_code 1 mreg fetch unsigned >../out 2>../err) &&
	grep "^refused    refs/mreg/models/home_ranker/v9 $(echo $U | cut -c1-12): a version without a status chain: nothing vouches for it$" out &&
	refs_of A >after &&
	sed "/refs\/mreg-remotes\/unsigned\//d" after >after.mine &&
	test_cmp before after.mine
'

test_expect_success 'setup: a copy of the remote, and a clone of it for each team' '
	cp -R remote.git conflict.git &&
	mreg clone -q conflict.git P >/dev/null &&
	team P alice alice &&
	mreg clone -q conflict.git Q >/dev/null &&
	team Q bob bob
'

test_expect_success 'the same NAME@VERSION with other bytes on both sides is a conflict' '
	(MB_SEED=team-a && export MB_SEED && register_in P v3 2048) &&
	(MB_SEED=team-b && export MB_SEED && register_in Q v3 2048) &&
	(cd Q && mreg push >../out) &&
	grep "^pushed     refs/mreg/models/home_ranker/v3 " out &&
	refs_of P >before &&
	(cd P && test_expect_code 1 mreg pull >../out 2>../err) &&
	here=$(git --git-dir=P/.mreg log -1 --format=%b refs/mreg/models/home_ranker/v3 | sed -n "s/^Mreg-Digest: //p") &&
	there=$(git --git-dir=conflict.git log -1 --format=%b refs/mreg/models/home_ranker/v3 | sed -n "s/^Mreg-Digest: //p") &&
	test "$here" != "$there" &&
	grep "^conflict   refs/mreg/models/home_ranker/v3 .*: home_ranker@v3 is $here here and $there there: versions are immutable$" out &&
	grep "^error: [0-9]* refs* refused; nothing local changed$" err &&
	refs_of P >after &&
	test_cmp before after &&
	remote_refs conflict.git >before &&
	(cd P && test_expect_code 1 mreg push >../out 2>../err) &&
	grep "^conflict   refs/mreg/models/home_ranker/v3 " out &&
	grep "^error: [0-9]* refs* not pushed; fetch, check, and push again$" err &&
	remote_refs conflict.git >after &&
	test_cmp before after
'

test_expect_success 'setup: two fresh clones of another copy of the remote' '
	cp -R remote.git diverged.git &&
	mreg clone -q diverged.git P2 >/dev/null &&
	team P2 alice alice &&
	register_in P2 v4 2048 &&
	mreg clone -q diverged.git Q2 >/dev/null &&
	team Q2 bob bob &&
	register_in Q2 v5 2048 &&
	BASE=$(git --git-dir=diverged.git rev-parse refs/mreg/routes/home_feed)
'

test_expect_success 'both teams promote one route from one base: B pushes first, A is rejected' '
	mreg -R P2/.mreg promote --stage shadow home_feed v4 >/dev/null &&
	mreg -R Q2/.mreg promote --stage shadow home_feed v5 >/dev/null &&
	test "$(git --git-dir=P2/.mreg rev-parse refs/mreg/routes/home_feed~1)" = $BASE &&
	test "$(git --git-dir=Q2/.mreg rev-parse refs/mreg/routes/home_feed~1)" = $BASE &&
	(cd Q2 && mreg push >../out) &&
	grep "^pushed     refs/mreg/routes/home_feed " out &&
	B_HEAD=$(git --git-dir=Q2/.mreg rev-parse refs/mreg/routes/home_feed) &&
	A_HEAD=$(git --git-dir=P2/.mreg rev-parse refs/mreg/routes/home_feed) &&
	(cd P2 && test_expect_code 1 mreg push >../out 2>../err) &&
	grep "^rejected   refs/mreg/routes/home_feed .*: .*fetch and retry$" out &&
	grep "^error: 1 ref not pushed; fetch, check, and push again$" err &&
	test "$(git --git-dir=diverged.git rev-parse refs/mreg/routes/home_feed)" = $B_HEAD
'

test_expect_success 'a rejected push sends nothing of the versions the route would have named' '
	test_path_is_missing diverged.git/refs/mreg/status/home_ranker/v4 &&
	test_must_fail git --git-dir=diverged.git rev-parse --verify -q refs/mreg/status/home_ranker/v4
'

test_expect_success 'A pulls: a conflict showing both heads, and nothing changes' '
	refs_of P2 >before &&
	(cd P2 && test_expect_code 1 mreg pull >../out 2>../err) &&
	printf "%-10s %s %s..%s: diverged: here %s, there %s; nothing was merged\n" \
		conflict refs/mreg/routes/home_feed \
		$(echo $A_HEAD | cut -c1-12) $(echo $B_HEAD | cut -c1-12) \
		$A_HEAD $B_HEAD >expect &&
	grep "^conflict " out >actual &&
	test_cmp expect actual &&
	refs_of P2 >after &&
	test_cmp before after &&
	mreg -R P2/.mreg resolve --stage shadow home_feed >out &&
	grep "^home_ranker@v4 " out
'

test_expect_success 'the way out of a conflict: take their head, forget ours, move again' '
	git --git-dir=P2/.mreg update-ref refs/mreg/routes/home_feed $B_HEAD &&
	git --git-dir=P2/.mreg reflog expire --expire-unreachable=now refs/mreg/routes/home_feed &&
	rm -f P2/.mreg/verified/refs/mreg/routes/home_feed &&
	(cd P2 && mreg pull >../out) &&
	mreg -R P2/.mreg resolve --stage shadow home_feed >out &&
	grep "^home_ranker@v5 " out &&
	mreg -R P2/.mreg promote --stage shadow -m "v4 after all" home_feed v4 >/dev/null &&
	(cd P2 && mreg push >../out) &&
	grep "^pushed     refs/mreg/routes/home_feed $(echo $B_HEAD | cut -c1-12)\.\." out &&
	mreg -R P2/.mreg verify >out &&
	! grep "^BAD" out &&
	(cd Q2 && mreg pull >../out) &&
	mreg -R Q2/.mreg resolve --stage shadow home_feed >out &&
	grep "^home_ranker@v4 " out
'

test_expect_success 'two teams promoting different routes push without conflict' '
	cp -R remote.git routes.git &&
	mreg clone -q routes.git P3 >/dev/null &&
	team P3 alice alice &&
	mreg clone -q routes.git Q3 >/dev/null &&
	team Q3 bob bob &&
	register_in P3 v6 2048 &&
	register_in Q3 v7 2048 &&
	mreg -R P3/.mreg promote -m "search goes live" search_feed v6 >/dev/null &&
	mreg -R Q3/.mreg promote -m "related goes live" related_feed v7 >/dev/null &&
	(cd Q3 && mreg push >../out) &&
	(cd P3 && mreg push >../out) &&
	! grep -v "^pushed " out &&
	(cd Q3 && mreg pull >../out) &&
	(cd P3 && mreg pull >../out) &&
	remote_refs routes.git >expect &&
	remote_refs P3/.mreg >actual &&
	test_cmp expect actual &&
	remote_refs Q3/.mreg >actual &&
	test_cmp expect actual &&
	mreg -R Q3/.mreg resolve search_feed >out &&
	grep "^home_ranker@v6 " out &&
	mreg -R Q3/.mreg verify >out &&
	! grep "^BAD" out
'

test_expect_success 'a push from a team behind on another route pushes its own and succeeds' '
	register_in Q3 v9 2048 &&
	mreg -R Q3/.mreg promote --stage shadow related_feed v9 >/dev/null &&
	(cd Q3 && mreg push >../out) &&
	register_in P3 v10 2048 &&
	mreg -R P3/.mreg promote --stage shadow search_feed v10 >/dev/null &&
	(cd P3 && mreg push >../out 2>../err) &&
	grep "^pushed     refs/mreg/routes/search_feed " out &&
	grep "^behind     refs/mreg/routes/related_feed .*: the remote moved on; fetch to bring this registry up to date$" out &&
	! grep "^rejected " out &&
	test "$(git --git-dir=routes.git rev-parse refs/mreg/routes/related_feed)" = \
		"$(git --git-dir=Q3/.mreg rev-parse refs/mreg/routes/related_feed)"
'

test_expect_failure 'two teams promoting different routes to one version push without conflict' '
	(cd P3 && mreg pull >../out) &&
	(cd Q3 && mreg pull >../out) &&
	register_in P3 v8 2048 &&
	(cd P3 && mreg push >../out) &&
	(cd Q3 && mreg pull >../out) &&
	mreg -R P3/.mreg promote --stage canary -m "v8 on search" search_feed v8 >/dev/null &&
	mreg -R Q3/.mreg promote --stage canary -m "v8 on related" related_feed v8 >/dev/null &&
	(cd Q3 && mreg push >../out) &&
	(cd P3 && mreg push >../out 2>../err) &&
	! grep -v "^pushed " out &&
	(cd Q3 && mreg pull >../out) &&
	mreg -R Q3/.mreg resolve --stage canary search_feed >out &&
	grep "^home_ranker@v8 " out
'

test_expect_success 'two pushes of one route racing in parallel: exactly one wins' '
	cp -R remote.git race.git &&
	for round in 1 2 3
	do
		rm -rf R1 R2 go R1.rc R2.rc &&
		mreg clone -q race.git R1 >/dev/null &&
		team R1 alice alice &&
		mreg clone -q race.git R2 >/dev/null &&
		team R2 bob bob &&
		mreg -R R1/.mreg route set-traffic home_feed $((round + 10))% >/dev/null &&
		mreg -R R2/.mreg route set-traffic home_feed $((round + 20))% >/dev/null &&
		race_pushes || return 1
		test "$(git --git-dir=race.git rev-parse refs/mreg/routes/home_feed)" = \
			"$(git --git-dir=$win/.mreg rev-parse refs/mreg/routes/home_feed)" &&
		grep "^rejected   refs/mreg/routes/home_feed.*fetch and retry" $lose.out || return 1
	done
'

test_expect_success 'a push the remote cannot take moves nothing there and leaves no private refs' '
	mreg clone -q race.git S >/dev/null &&
	team S alice alice &&
	mreg -R S/.mreg route set-traffic home_feed 42% >/dev/null &&
	git --git-dir=race.git for-each-ref >before &&
	git --git-dir=S/.mreg for-each-ref refs/mreg-remotes >tracking-before &&
	find race.git/refs/mreg-incoming -mindepth 1 >left &&
	test_must_be_empty left &&
	rmdir race.git/refs/mreg-incoming &&
	echo "in the way" >race.git/refs/mreg-incoming &&
	test_must_fail mreg -R S/.mreg push >out 2>err &&
	grep "^rejected   refs/mreg/routes/home_feed.*the remote refused it" out &&
	! grep "^pushed" out &&
	git --git-dir=race.git for-each-ref >after &&
	test_cmp before after &&
	git --git-dir=S/.mreg for-each-ref refs/mreg-remotes >tracking-after &&
	test_cmp tracking-before tracking-after &&
	rm race.git/refs/mreg-incoming &&
	mreg -R S/.mreg push >out &&
	grep "^pushed .*refs/mreg/routes/home_feed" out &&
	git --git-dir=race.git for-each-ref refs/mreg-incoming >left &&
	test_must_be_empty left
'

test_expect_success '--no-artifacts: the refs arrive, the artifacts stay behind' '
	git init -q --bare noart.git &&
	(cd A && mreg remote add noart ../noart.git) &&
	(cd A && mreg push --no-artifacts noart >../out) &&
	remote_refs A/.mreg >expect &&
	remote_refs noart.git >actual &&
	test_cmp expect actual &&
	find noart.git -path "*/artifacts/*" -type f >arts &&
	test_must_be_empty arts
'

test_expect_success 'cloning a remote without the artifacts fails clearly and leaves nothing' '
	test_must_fail mreg clone noart.git N 2>err &&
	grep "has no artifact [0-9a-f]\{64\}" err &&
	test_path_is_missing N
'

test_expect_success 'clone --no-artifacts of that remote leaves the artifacts behind' '
	mreg clone --no-artifacts noart.git N >out &&
	remote_refs noart.git >expect &&
	remote_refs N/.mreg >actual &&
	test_cmp expect actual &&
	find N/.mreg/artifacts -type f >arts &&
	test_must_be_empty arts
'

test_expect_success 'remote remove forgets the remote and its remote-tracking refs' '
	(cd A && mreg remote remove noart) &&
	mreg -R A/.mreg remote list >out &&
	! grep noart out &&
	git --git-dir=A/.mreg for-each-ref refs/mreg-remotes/noart >out &&
	test_must_be_empty out &&
	test_must_fail mreg -R A/.mreg remote remove noart 2>err &&
	grep "no such remote .noart." err &&
	test_must_fail mreg -R A/.mreg push noart 2>err &&
	grep "no such remote .noart." err
'

test_expect_success 'a push of more refs than the process may open files' '
	cp -R A bulk &&
	M=$(git --git-dir=bulk/.mreg rev-parse refs/mreg/models/home_ranker/v1) &&
	i=0 &&
	while test $i -lt 300
	do
		echo "create refs/mreg/models/home_ranker/bulk_$i $M" &&
		i=$((i + 1)) || return 1
	done >bulk.refs &&
	git --git-dir=bulk/.mreg update-ref --stdin <bulk.refs &&
	git init -q --bare bulk.git &&
	(cd bulk && mreg remote add bulk ../bulk.git) &&
	(ulimit -n 128 && cd bulk && mreg push --no-artifacts bulk >../out 2>../err) &&
	git --git-dir=bulk.git for-each-ref refs/mreg/models/home_ranker >refs &&
	test_line_count = 302 refs
'

test_done
