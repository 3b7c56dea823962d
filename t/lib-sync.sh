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
