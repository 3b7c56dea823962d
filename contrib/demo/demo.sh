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
# Keys and git's config for the demo stay in the scratch directory.
HOME="$demo/home"
export HOME
mkdir -p "$HOME"

heading "a scratch registry in $demo"
run mreg init
run mreg config set user.name "Demo Engineer"
run mreg config set user.email demo@example.com
run mreg config get user.name

heading "a signing key: it signs every write; the first one made here is the trust root"
run mreg keygen

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

v2=home_ranker@home_ranker_20260702_002
route=home_feed_ranker_production

heading "governance: Bob must approve every production promotion"
run mreg keygen -f keys/bob -C bob@example.com
cat >policy.yaml <<EOF_POLICY
mreg_policy: 1
principals:
  demo@example.com: {key: "$(cat "$HOME/.config/mreg/id_ed25519.pub")"}
  bob@example.com: {key: "$(cat keys/bob.pub)"}
roots: [demo@example.com]
rules:
  - {action: approve, principals: [bob@example.com]}
  - {action: promote, routes: "home_feed_*", principals: [demo@example.com]}
approvals:
  - {routes: "home_feed_*", stage: production, required: 1}
EOF_POLICY
run cat policy.yaml
run mreg policy set -m "production needs Bob's approval" policy.yaml

heading "version 1 goes to production: validated, approved, promoted"
run mreg status "$v1" validated -m "offline evaluation passed"
show_cmd mreg promote "$route" "$v1"
if mreg promote "$route" "$v1"
then
	echo "demo: a production promotion without approval succeeded" >&2
	exit 1
fi
echo "(refused, as the policy asks)"
echo
echo '$ MREG_SIGNING_KEY=keys/bob mreg approve --role ml_owner' "$route $v1"
MREG_SIGNING_KEY=keys/bob mreg approve --role ml_owner -m "offline gates pass" "$route" "$v1"
echo
run mreg promote "$route" "$v1" -m "first production model"
run mreg resolve "$route"

heading "gates for CI: version 2 against the champion passes, version 3 fails"
cat >gates.yaml <<'EOF_GATES'
gates:
  ndcg_at_20:            {min_relative_improvement: 0.005}
  calibration_ece_click: {max: 0.02}
  latency_p95_ms:        {max: 15}
  segments.*.ndcg_at_20: {max_relative_regression: 0.01}
EOF_GATES
run cat gates.yaml
run mreg gate --route "$route" --gates gates.yaml --record "$v2"
run make-bundle.sh bundles/v3 3 1
run mreg register bundles/v3/mreg.yaml -m "wider trees"
v3=home_ranker@home_ranker_20260702_003
show_cmd mreg gate --route "$route" --gates gates.yaml --record "$v3"
if mreg gate --route "$route" --gates gates.yaml --record "$v3"
then
	echo "demo: version 3 passed its gates; it must not" >&2
	exit 1
fi
echo "(exit status 1: the CI job fails, and $v3 is rejected)"
echo
run mreg status "$v3"

heading "version 2: a 5% canary, then production"
run mreg promote --stage canary --traffic 5 "$route" "$v2" -m "canary on 5% of users"
run mreg route show "$route"
echo '$ MREG_SIGNING_KEY=keys/bob mreg approve --role ml_owner' "$route $v2"
MREG_SIGNING_KEY=keys/bob mreg approve --role ml_owner -m "canary metrics hold" "$route" "$v2"
echo
run mreg promote "$route" "$v2" -m "canary held for 24h"
run mreg resolve "$route"

heading "an incident: roll back (a new signed commit, never a reset)"
run mreg rollback "$route" -m "hide rate up 12% on new users"
run mreg resolve "$route"
run mreg status "$v2"

heading "the audit trail"
run mreg log "$route"
run mreg verify

heading "the same history, checked by stock git with no mreg"
show_cmd mreg policy signers ">" allowed_signers
mreg policy signers >allowed_signers
run cat allowed_signers
run git --git-dir=.mreg -c gpg.ssh.allowedSignersFile=allowed_signers log --show-signature --format="%h %s" "refs/mreg/routes/$route"

heading "sharing: push to a plain bare git repository, clone it elsewhere, verify"
run git init -q --bare hub.git
run mreg remote add origin "$demo/hub.git"
run mreg push
run ls hub.git/artifacts
mkdir "$demo/elsewhere"
cd "$demo/elsewhere"
run mreg clone "$demo/hub.git" team-b
cd team-b
run mreg verify
run mreg log --oneline
run mreg resolve "$route"
show_cmd mreg cat "$v1" model/ranker.onnx "|" sha256sum
mreg cat "$v1" model/ranker.onnx | sha256sum
echo
cd "$demo"

heading "done"
