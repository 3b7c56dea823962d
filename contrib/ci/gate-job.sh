#!/bin/sh
# gate-job.sh: the CI job that stands between a training run and
# production.  It registers the bundle the run produced, gates it against
# the champion (the route's production version), keeps the JUnit report
# for the CI dashboard, and fails the build when a gate fails.
#
# usage: gate-job.sh MANIFEST ROUTE GATES [ENV]
#
#   MANIFEST  the manifest the training job wrote (see mreg-manifest(5))
#   ROUTE     the route whose production version is the champion
#   GATES     the gate file (see mreg-gate(1))
#   ENV       optional: the serving environment, for compatibility gates
#
# Environment:
#   MREG_DIR     the registry (default: .mreg found from the cwd)
#   REPORT_DIR   where the reports go (default: reports)
#   MREG_RECORD  1: sign the result onto the version's status chain
#                (validated or rejected) with `mreg gate --record`
#
# Exit status: 0 the candidate passed every gate; 1 a gate failed (the
# build fails); anything else: the job could not run (registration or
# evaluation failed) and the build fails too.
#
# See contrib/ci/README for wiring it into GitLab CI and GitHub Actions.

set -u

if test $# -lt 3 || test $# -gt 4
then
	echo "usage: $0 MANIFEST ROUTE GATES [ENV]" >&2
	exit 2
fi
manifest=$1
route=$2
gates=$3
env=${4:-}
reports=${REPORT_DIR:-reports}

mkdir -p "$reports" || exit 2

# 1. Register.  mreg prints "NAME@VERSION sha256:<digest>".  Versions are
# immutable: a manifest whose model_version is taken is refused.
if ! registered=$(mreg register "$manifest")
then
	echo "gate-job: cannot register '$manifest'" >&2
	exit 2
fi
ref=${registered%% *}
digest=${registered#* }
echo "registered $ref ($digest)"
printf '%s\n' "$ref" >"$reports/candidate"

# 2. Gate it against production.  The table goes to the job log, the JUnit
# report to the dashboard, the JSON document to the job's artifacts.
set -- --route "$route" --gates "$gates" --junit "$reports/mreg-gate.xml"
if test -n "$env"
then
	set -- "$@" --env "$env"
fi
if test "${MREG_RECORD:-0}" = 1
then
	set -- "$@" --record
fi
mreg gate "$@" "$ref"
status=$?
# The same result for scripts; evaluation is cheap and reads only.
mreg gate --json --route "$route" --gates "$gates" ${env:+--env "$env"} "$ref" \
	>"$reports/mreg-gate.json" 2>/dev/null

# 3. Decide.
case $status in
0)
	echo "gate-job: $ref passed every gate; it may be promoted:"
	echo "  mreg promote $route $ref --stage canary --traffic 5"
	exit 0
	;;
1)
	echo "gate-job: $ref failed its gates; it stays a candidate" >&2
	exit 1
	;;
*)
	echo "gate-job: the gates for $ref could not be evaluated (exit $status)" >&2
	exit "$status"
	;;
esac
