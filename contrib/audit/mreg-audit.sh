#!/bin/sh
# mreg-audit.sh: check the history of an mreg route with git and ssh-keygen
# alone; mreg itself is not needed, nor trusted.
#
# usage: mreg-audit.sh [-k KNOWN_HEAD] [-c COMMIT] REGISTRY ROUTE ALLOWED_SIGNERS
#
#   REGISTRY         the registry directory (the bare git repository, ".mreg")
#   ROUTE            the route's name: refs/mreg/routes/ROUTE is checked
#   ALLOWED_SIGNERS  the keys you trust, in ssh-keygen's allowed_signers
#                    format: from `mreg policy signers`, from the policy
#                    (git show refs/mreg/policy:allowed_signers), or by hand
#   -k KNOWN_HEAD    a commit of the route seen earlier (the head printed by
#                    the last audit): it must still be in the history, or
#                    the route was rewound
#   -c COMMIT        audit the history ending at COMMIT instead of the ref's
#                    head (a pre-receive hook checks what is being pushed)
#
# For every commit of the route, oldest first, it checks that:
#   - its headers are tree, at most one parent, author, committer and one
#     gpgsig, and nothing else;
#   - git verify-commit accepts its signature with ALLOWED_SIGNERS;
#   - its tree holds the file `route` and, at most, approvals/<64 hex>.statement
#     and approvals/<64 hex>.sig, and nothing else;
#   - its route file starts "mreg-route 1", names ROUTE and an action
#     (promote, rollback, set-traffic, retire), and has seq one
#     more than its parent's (1 for the first) and prev its parent's id
#     (40 zeros for the first), and its parent is the commit before it;
#   - each approval's .sig is an SSHSIG in namespace mreg-approval over its
#     .statement by the principal the statement names (ssh-keygen -Y
#     verify), made for this route, for the version and digest that the
#     route file puts in the statement's stage, and not expired when the
#     commit was made.
# It prints a table, one row per commit, and a summary line.
#
# Whether a commit had enough approvals, and whether its signer was allowed
# that move, are questions of the registry's policy (policy.yaml on
# refs/mreg/policy); this script reports who approved and leaves them to you
# (or to `mreg verify`).  See contrib/audit/README.md.
#
# Exit status: 0 every check passed; 1 a check failed (each failure is also
# written to stderr, naming the commit); 128 the audit could not run (no
# such registry or route, unreadable ALLOWED_SIGNERS, git or ssh-keygen
# missing); 129 usage.

set -u
LC_ALL=C
TZ=UTC
export LC_ALL TZ
unset GIT_DIR GIT_CONFIG_PARAMETERS GIT_CONFIG_COUNT

me=mreg-audit.sh
zero=0000000000000000000000000000000000000000

usage () {
	echo "usage: $me [-k KNOWN_HEAD] [-c COMMIT] REGISTRY ROUTE ALLOWED_SIGNERS" >&2
	exit 129
}

fatal () {
	printf '%s: %s\n' "$me" "$*" >&2
	exit 128
}

known=
at=
while getopts k:c: opt
do
	case $opt in
	k) known=$OPTARG ;;
	c) at=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
test $# -eq 3 || usage
reg=$1
route=$2
signers=$3

for tool in git ssh-keygen sed sort cmp mktemp
do
	command -v $tool >/dev/null 2>&1 || fatal "$tool is needed"
done
case $route in
''|[!A-Za-z0-9]*|*[!A-Za-z0-9._-]*|*..*|*.lock|*.)
	fatal "invalid route name '$route'" ;;
esac
test -r "$signers" && test -f "$signers" ||
	fatal "cannot read allowed signers '$signers'"
case $signers in
/*) ;;
*) signers=$(pwd)/$signers ;;
esac
test -d "$reg" || fatal "no registry directory '$reg'"

G () {
	git --git-dir="$reg" "$@"
}

ref=refs/mreg/routes/$route
head=$(G rev-parse -q --verify "${at:-$ref}^{commit}" 2>/dev/null) ||
	fatal "no route '$route' in '$reg' (no ${at:-$ref})"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mreg-audit.XXXXXX") || fatal "cannot make a temporary directory"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT TERM

G rev-list --reverse --topo-order "$head" >"$tmp/commits" || fatal "cannot list the commits of $ref"

# Problems of the commit being checked, "; "-separated, and of the route.
why=
failed=0

problem () {
	why="${why:+$why; }$*"
}

# field KEY FILE: the value of the first "KEY value" line of FILE.
field () {
	sed -n "s/^$1 //p" "$2" | sed 1q
}

# Only the headers an mreg commit has; one parent at most.
check_headers () {
	sed -e '/^$/q' "$tmp/commit" | sed -n -e '/^$/d' -e '/^ /d' -e 's/ .*//p' >"$tmp/keys"
	for k in $(sort -u "$tmp/keys")
	do
		case $k in
		tree|parent|author|committer|gpgsig) ;;
		*) problem "unexpected header '$k'" ;;
		esac
	done
	test "$(grep -c '^gpgsig$' "$tmp/keys")" -le 1 || problem "two gpgsig headers"
	parents=$(sed -e '/^$/q' "$tmp/commit" | sed -n 's/^parent //p')
	set -- $parents
	if test $# -gt 1
	then
		problem "a merge: $# parents"
	elif test $# -eq 1 && test "$1" != "$prev"
	then
		problem "its parent $1 is not the commit before it ($prev)"
	elif test $# -eq 0 && test "$prev" != "$zero"
	then
		problem "a root commit in the middle of the chain"
	fi
}

# The signature, by git; sets `signer`.
check_signature () {
	signer=-
	if G -c gpg.ssh.allowedSignersFile="$signers" verify-commit "$c" >"$tmp/vc" 2>&1
	then
		signer=$(sed -n 's/^Good "git" signature for \(.*\) with [^ ]* key .*/\1/p' "$tmp/vc" | sed 1q)
		test -n "$signer" || signer='?'
	elif ! grep -q '^gpgsig$' "$tmp/keys"
	then
		problem "not signed"
	else
		msg=$(sed '/^$/d' "$tmp/vc" | sed -n '$p')
		fp=$(sed -n 's/.* key \(SHA256:[^ ]*\).*/\1/p' "$tmp/vc" | sed 1q)
		problem "git verify-commit: ${msg:-no good signature}${fp:+ (key $fp)}"
	fi
}

# The tree: `route`, and approvals/<64 hex>.statement|.sig in pairs.
check_tree () {
	: >"$tmp/approvals"
	: >"$tmp/sigs"
	G ls-tree "$c" >"$tmp/tree" || { problem "cannot read its tree"; return; }
	has_route= has_approvals=
	while IFS='	' read -r info name
	do
		case "$info	$name" in
		"100644 blob "*"	route") has_route=t ;;
		"040000 tree "*"	approvals") has_approvals=t ;;
		*) problem "unexpected path '$name' in the tree" ;;
		esac
	done <"$tmp/tree"
	test -n "$has_route" || problem "no route file"
	test -n "$has_approvals" || return
	G ls-tree "$c:approvals" >"$tmp/atree" || { problem "cannot read approvals/"; return; }
	while IFS='	' read -r info name
	do
		hex=${name%.*}
		case "$info/${#hex}/$hex/${name#"$hex"}" in
		"100644 blob "*/64/*[!0-9a-f]*/*) problem "unexpected file 'approvals/$name'" ;;
		"100644 blob "*/64/*/.statement) echo "$hex" >>"$tmp/approvals" ;;
		"100644 blob "*/64/*/.sig) echo "$hex" >>"$tmp/sigs" ;;
		*) problem "unexpected file 'approvals/$name'" ;;
		esac
	done <"$tmp/atree"
	sort -o "$tmp/approvals" "$tmp/approvals"
	sort -o "$tmp/sigs" "$tmp/sigs"
	if ! cmp -s "$tmp/approvals" "$tmp/sigs"
	then
		problem "approvals/ does not hold a .statement and a .sig for each key"
	fi
}

# The route file: format, route, seq and prev.
check_route () {
	action=-
	if ! G cat-file blob "$c:route" >"$tmp/route" 2>/dev/null
	then
		problem "cannot read its route file"
		return
	fi
	test "$(sed 1q "$tmp/route")" = "mreg-route 1" || problem "the route file does not start 'mreg-route 1'"
	name=$(field route "$tmp/route")
	seq=$(field seq "$tmp/route")
	rprev=$(field prev "$tmp/route")
	action=$(field action "$tmp/route")
	test -n "$action" || action=-
	test "$name" = "$route" || problem "its route file is of route '$name'"
	case $action in
	promote|rollback|set-traffic|retire) ;;
	*) problem "unknown action '$action'" ;;
	esac
	test "$seq" = "$n" || problem "seq '$seq', but it is commit $n of the chain"
	test "$rprev" = "$prev" || problem "prev '$rprev', but the commit before it is $prev"
}

# Each approval: signed by its principal, for this route, stage and digest, unexpired.
check_approvals () {
	approvers=
	vtime=$(G log -1 --date=format-local:%Y%m%d%H%M%S --format=%cd "$c")
	ctime=$(G log -1 --date=format-local:%Y-%m-%dT%H:%M:%SZ --format=%cd "$c")
	while read -r hex
	do
		a=approvals/$hex
		if ! G cat-file blob "$c:$a.statement" >"$tmp/st" 2>/dev/null ||
		   ! G cat-file blob "$c:$a.sig" >"$tmp/sig" 2>/dev/null
		then
			problem "$a: needs both .statement and .sig"
			continue
		fi
		who=$(field principal "$tmp/st")
		stage=$(field stage "$tmp/st")
		if test -z "$who" ||
		   ! ssh-keygen -Y verify -n mreg-approval -f "$signers" -I "$who" \
			-O verify-time="$vtime" -s "$tmp/sig" <"$tmp/st" >"$tmp/kv" 2>&1
		then
			problem "$a.sig: not a good mreg-approval signature by '${who:-?}': $(sed '/^$/d' "$tmp/kv" | sed -n '$p')"
			continue
		fi
		slot=$(grep "^$stage " "$tmp/route" | sed 1q)
		set -- $slot
		if test "$(sed 1q "$tmp/st")" != "mreg-approval 1" ||
		   test "$(field route "$tmp/st")" != "$route"
		then
			problem "$a: an approval for another route"
		elif test $# -lt 3 || test "$(field model "$tmp/st")" != "$2" ||
		     test "$(field digest "$tmp/st")" != "$3"
		then
			problem "$a: approves $(field model "$tmp/st") for $stage, but the route puts ${2:-nothing} there"
		else
			exp=$(field expires "$tmp/st")
			if test -z "$exp" ||
			   test "$(printf '%s\n%s\n' "$exp" "$ctime" | sort | sed 1q)" != "$ctime" ||
			   test "$exp" = "$ctime"
			then
				problem "$a: approval by $who expired at ${exp:-?}, before the commit ($ctime)"
			else
				approvers="${approvers:+$approvers,}$who"
			fi
		fi
	done <"$tmp/approvals"
	test -n "$approvers" || approvers=-
}

row () {
	printf '%-4s %-12s %-11s %-24s %-28s %s\n' "$@"
}

row SEQ COMMIT ACTION SIGNER APPROVED-BY RESULT
n=0
prev=$zero
while read -r c
do
	n=$((n + 1))
	why=
	signer=-
	action=-
	approvers=-
	if G cat-file commit "$c" >"$tmp/commit" 2>/dev/null
	then
		check_headers
		check_signature
		check_tree
		check_route
		check_approvals
	else
		problem "cannot read the commit"
	fi
	short=$(printf '%.12s' "$c")
	if test -z "$why"
	then
		row "$n" "$short" "$action" "$signer" "$approvers" ok
	else
		failed=$((failed + 1))
		row "$n" "$short" "$action" "$signer" "$approvers" "FAIL: $why"
		printf '%s: commit %s (seq %s of %s): %s\n' "$me" "$c" "$n" "$route" "$why" >&2
	fi
	prev=$c
done <"$tmp/commits"

if test -n "$known"
then
	if ! k=$(G rev-parse -q --verify "$known^{commit}" 2>/dev/null)
	then
		failed=$((failed + 1))
		printf '%s: the known head %s is not a commit of this registry: mistyped, or the route was rewound and the commit removed\n' "$me" "$known" >&2
	elif ! G merge-base --is-ancestor "$k" "$head"
	then
		failed=$((failed + 1))
		printf '%s: the route was rewound: the known head %s is not in the history of %s\n' "$me" "$k" "$head" >&2
	fi
fi

if test $failed -eq 0
then
	echo "route $route: $n commit$(test $n = 1 || echo s), head $head: ok"
	exit 0
fi
echo "route $route: $n commit$(test $n = 1 || echo s), head $head: $failed problem$(test $failed = 1 || echo s)"
exit 1
