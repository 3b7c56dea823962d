#!/bin/sh
# demo.sh: a narrated walkthrough of mreg on a scratch registry; "make demo"
# runs it after building. The registry lives under a temporary directory,
# removed at the end unless MREG_DEMO_KEEP=1.

set -e

top=$(cd "$(dirname "$0")/../.." && pwd)
PATH="$top:$top/contrib/demo:$PATH"
export PATH
unset MREG_DIR

test -x "$top/mreg" || {
	echo "demo: $top/mreg is not built; run 'make demo'" >&2
	exit 1
}

demo=$(mktemp -d "${TMPDIR:-/tmp}/mreg-demo.XXXXXX")
cleanup () {
	if test "$MREG_DEMO_KEEP" = 1
	then
		echo "(kept $demo)"
	else
		chmod -R u+w "$demo" 2>/dev/null
		rm -rf "$demo"
	fi
}
trap cleanup EXIT
trap 'exit 130' HUP INT PIPE TERM

# Show a command the way a shell prompt would, then run it.
show_cmd () {
	line='$'
	for arg
	do
		case "$arg" in
		''|*[!A-Za-z0-9_@%+=:,./-]*) arg="\"$arg\"" ;;
		esac
		line="$line $arg"
	done
	printf '%s\n' "$line"
}

run () {
	show_cmd "$@"
	"$@"
	echo
}

# run_head N CMD...: show "CMD | head -N"; the command's own status counts.
run_head () {
	n=$1
	shift
	line=$(show_cmd "$@")
	printf '%s | head -%s\n' "$line" "$n"
	"$@" >"$demo/.out"
	head -n "$n" "$demo/.out"
	echo "..."
	echo
}

heading () {
	echo "== $*"
}

cd "$demo"

heading "a scratch registry in $demo"
run mreg init
run mreg config set user.name "Demo Engineer"
run mreg config set user.email demo@example.com
run mreg config get user.name

heading "two trained versions of home_ranker, each a bundle of files"
run make-bundle.sh bundles/v1 1 50
run make-bundle.sh bundles/v2 2 50
run ls -lR bundles/v1
run cat bundles/v1/mreg.yaml

heading "register them: every file is hashed, big ones go to the artifact store"
show_cmd mreg register bundles/v1/mreg.yaml
mreg register bundles/v1/mreg.yaml | tee "$demo/.reg1"
echo
run mreg register bundles/v2/mreg.yaml -m "retrained with fresh labels"
v1=home_ranker@home_ranker_20260702_001
digest1=$(sed -n 's/.* sha256:\([0-9a-f]*\)$/\1/p' "$demo/.reg1")
short1=$(echo "$digest1" | cut -c1-12)

heading "what is in the registry"
run mreg list
run mreg list --json

heading "one version, every part of it; by name, by bare version, by digest"
run mreg show home_ranker@home_ranker_20260702_002
run_head 30 mreg show --json home_ranker_20260702_002
run mreg show "sha256:$short1"

heading "one file of a bundle, verified as it is read"
run_head 12 mreg cat "$v1" features/schema.yaml

heading "export a bundle for serving: every byte re-hashed on the way out"
run mreg export "$v1" served
run ls -lR served
echo '$ (cd served && find . -type f | sort | xargs sha256sum)'
(cd served && find . -type f | sort | xargs sha256sum)
echo
run sha256sum bundles/v1/model/ranker.onnx

heading "the store checks out: every ref, tree and artifact hash"
show_cmd mreg fsck --full
mreg fsck --full
echo "(no problems found)"
echo

heading "a version is immutable: registering it again is refused"
show_cmd mreg register bundles/v1/mreg.yaml
if mreg register bundles/v1/mreg.yaml
then
	echo "demo: registering $v1 twice succeeded; it must not" >&2
	exit 1
else
	echo "(exit status $?; the registry is unchanged)"
fi
echo
run mreg list
show_cmd mreg fsck
mreg fsck
echo "(no problems found)"
echo

heading "done"
