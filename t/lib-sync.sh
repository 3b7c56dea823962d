# lib-sync.sh: what the sync tests share: teams, versions, refs to compare.

# refs_of DIR: every ref of the registry DIR/.mreg: its refs/mreg and its
# remote-tracking refs.  (Not its artifacts: a fetch downloads, and
# re-hashes, the artifacts of new versions before it verifies them, since
# verification checks that they are there; objects are immutable.)
refs_of () {
	git --git-dir="$1/.mreg" for-each-ref --format="%(objectname) %(refname)"
}

# remote_refs GITDIR: the refs of a remote.
remote_refs () {
	git --git-dir="$1" for-each-ref --format="%(objectname) %(refname)" refs/mreg
}

# short GITDIR REV: the 12-digit abbreviation the reports use.
short () {
	git --git-dir="$1" rev-parse "$2" | cut -c1-12
}

# team DIR KEY NAME: the registry in DIR signs as NAME with $HOME/KEY.
team () {
	mreg -R "$1/.mreg" config set user.signingkey "$HOME/$2" &&
	mreg -R "$1/.mreg" config set user.name "$3" &&
	mreg -R "$1/.mreg" config set user.email "$3@example.com"
}

# register_in DIR VERSION KB: register home_ranker@VERSION, validated.
register_in () {
	make_bundle "$1/b-$2" "$2" "$3" &&
	mreg -R "$1/.mreg" register -q "$1/b-$2/mreg.yaml" >/dev/null &&
	mreg -R "$1/.mreg" status home_ranker@$2 validated -m "offline evaluation" >/dev/null
}

# push_at_go DIR: "mreg push" in DIR once the file "go" exists, in the
# background; its exit status lands in DIR.rc, its output in DIR.out.
push_at_go () {
	(
		cd "$1" &&
		while ! test -f ../go
		do
			sleep 0.01
		done &&
		mreg push >../"$1".out 2>../"$1".err
		echo $? >../"$1".rc
	) &
}

# race_pushes: pushes R1 and R2 at once; exactly one must succeed and
# the other fail with status 1.  Sets $win and $lose to R1 and R2.
race_pushes () {
	rm -f go R1.rc R2.rc &&
	push_at_go R1 &&
	push_at_go R2 &&
	touch go &&
	wait &&
	cat R1.rc R2.rc | sort >rcs &&
	printf "0\n1\n" >expect &&
	test_cmp expect rcs &&
	if test "$(cat R1.rc)" = 0
	then
		win=R1 lose=R2
	else
		win=R2 lose=R1
	fi
}

# first_push_report: what "mreg push" prints, sorted, when team A first
# pushes home_ranker@v1, its policy, route home_feed and status chain.
first_push_report () {
	for ref in models/home_ranker/v1 policy routes/home_feed status/home_ranker/v1
	do
		printf "%-10s %s %s\n" pushed refs/mreg/$ref \
			$(short A/.mreg refs/mreg/$ref) || return 1
	done
}

# setup_team_a KB: team A's registry in A/, signed by alice (keys alice
# and bob in $HOME, made first), with a policy naming both (root alice)
# and home_ranker@v1 of KB kilobytes, validated.
setup_team_a () {
	mkdir A &&
	(cd A && setup_registry) &&
	team A alice alice &&
	cat >policy.yaml <<-EOF &&
	mreg_policy: 1
	principals:
	  alice: {key: "$(cut -d" " -f1,2 alice.pub)"}
	  bob: {key: "$(cut -d" " -f1,2 bob.pub)"}
	roots: [alice]
	EOF
	mreg -R A/.mreg policy set -m "teams A and B" policy.yaml >/dev/null &&
	register_in A v1 "$1"
}
