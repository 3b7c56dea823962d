# test-lib.sh: a small TAP test library for mreg's shell tests.
#
# A test script sets test_description, sources this file from t/, runs
# test_expect_success (and friends) and ends with test_done:
#
#	#!/bin/sh
#	test_description='mreg init makes a registry'
#	. ./test-lib.sh
#
#	test_expect_success 'init' '
#		mreg init &&
#		test_path_is_dir .mreg
#	'
#	test_done
#
# Each script runs in its own trash directory, "t/trash directory.<script>",
# which is also $HOME; it is removed when every test passed, kept otherwise.
# Options (also read from $MREG_TEST_OPTS):
#	-v, --verbose     show the output of the commands a test runs (on stderr)
#	-d, --debug       keep the trash directory even when all tests pass
#	-i, --immediate   stop at the first failing test
#	-x                trace the commands of each test body (implies -v)
#
# The output is TAP: "ok N - title" / "not ok N - title" and a plan at the
# end, so prove(1) can run the scripts. Test bodies are eval'd in this shell,
# so a variable a test sets is seen by the tests after it.

# --- options -------------------------------------------------------------

verbose=
debug=
immediate=
trace=
for opt in $MREG_TEST_OPTS "$@"
do
	case "$opt" in
	-v|--verbose) verbose=t ;;
	-d|--debug) debug=t ;;
	-i|--immediate) immediate=t ;;
	-x|--trace) trace=t verbose=t ;;
	-h|--help)
		echo "usage: $0 [-v] [-d] [-i] [-x]"
		exit 0 ;;
	*)
		echo "Bail out! unknown test option '$opt'"
		exit 1 ;;
	esac
done

# --- environment ---------------------------------------------------------

# Tests are run from t/, like git's.
if test -z "$TEST_DIRECTORY"
then
	TEST_DIRECTORY=$(pwd)
fi
MREG_BUILD_DIR=$(cd "$TEST_DIRECTORY/.." && pwd)
TEST_NAME=$(basename "$0" .sh)
TRASH_DIRECTORY="$TEST_DIRECTORY/trash directory.$TEST_NAME"
export TEST_DIRECTORY MREG_BUILD_DIR TRASH_DIRECTORY

# Nothing from the caller's environment may leak into a test.
unset MREG_DIR SSH_AUTH_SOCK SSH_AGENT_PID CDPATH
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY \
	GIT_ALTERNATE_OBJECT_DIRECTORIES GIT_CONFIG GIT_CONFIG_GLOBAL \
	GIT_CONFIG_PARAMETERS GIT_CONFIG_COUNT GIT_AUTHOR_NAME \
	GIT_AUTHOR_EMAIL GIT_AUTHOR_DATE GIT_COMMITTER_NAME \
	GIT_COMMITTER_EMAIL GIT_COMMITTER_DATE GIT_SSH GIT_SSH_COMMAND \
	XDG_CONFIG_HOME EMAIL
LC_ALL=C
LANG=C
TZ=UTC
GIT_CONFIG_NOSYSTEM=1
HOME="$TRASH_DIRECTORY"
PATH="$MREG_BUILD_DIR:$PATH"
# The trash directory sits inside mreg's own work tree: git must not find
# that repository (and its config) from a test, nor mreg a stray .mreg
# above t/ in a test that expects "not in an mreg registry".
GIT_CEILING_DIRECTORIES="$TEST_DIRECTORY"
MREG_CEILING_DIRECTORIES="$TEST_DIRECTORY"
export LC_ALL LANG TZ GIT_CONFIG_NOSYSTEM HOME PATH GIT_CEILING_DIRECTORIES \
	MREG_CEILING_DIRECTORIES

# A sanitizer report must never look like an ordinary failure (exit 1)
# to test_must_fail: abort instead, which test_must_fail rejects.
# Slow but whole stacks: libgit2 has no frame pointers, and the leak
# suppressions in lsan.supp name functions deep in its stacks.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}abort_on_error=1:fast_unwind_on_malloc=0"
UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}abort_on_error=1"
LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$TEST_DIRECTORY/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
ulimit -c 0 2>/dev/null

# fd 5: TAP on stdout. fd 3/4: what test bodies print; shown on stderr
# with -v (so it can never be mistaken for TAP), discarded otherwise.
exec 5>&1
if test -n "$verbose"
then
	exec 3>&2 4>&2
else
	exec 3>/dev/null 4>/dev/null
fi

# Fixed values tests may use.
LF='
'
ZERO_OID=0000000000000000000000000000000000000000
export LF ZERO_OID

# --- bookkeeping ---------------------------------------------------------

test_count=0
test_success=0
test_failure=0
test_fixed=0
test_broken=0
test_skipped=0
test_exit_ok=
test_prereqs_satisfied=' '

say_tap () {
	printf '%s\n' "$*" >&5
}

say_diag () {
	printf '%s\n' "$*" | sed -e 's/^/# /' >&5
}

bail_out () {
	say_tap "Bail out! $*"
	test_exit_ok=t
	exit 1
}

# A script that exits without test_done (an 'exit' in a test body, an
# error in the script itself) must not look like a pass.
test_lib_atexit () {
	code=$?
	test -n "$test_exit_ok" && exit $code
	say_tap "Bail out! $0 exited unexpectedly with status $code" \
		"after test $test_count"
	exit 1
}
trap 'test_lib_atexit' EXIT

# --- prerequisites -------------------------------------------------------

test_set_prereq () {
	test_prereqs_satisfied="$test_prereqs_satisfied$1 "
}

# test_have_prereq A,B,!C: true when A and B are set and C is not.
test_have_prereq () {
	save_IFS=$IFS
	IFS=,
	set -- $*
	IFS=$save_IFS
	test_missing_prereq=
	for p
	do
		case "$p" in
		!*)
			case "$test_prereqs_satisfied" in
			*" ${p#!} "*) test_missing_prereq=$p ;;
			esac ;;
		*)
			case "$test_prereqs_satisfied" in
			*" $p "*) ;;
			*) test_missing_prereq=$p ;;
			esac ;;
		esac
		test -z "$test_missing_prereq" || return 1
	done
	return 0
}

# --- running a test ------------------------------------------------------

# Runs the body in this shell with its output on fd 3/4. With -x, the
# trace goes to fd 4 as well.
test_eval_ () {
	if test -n "$trace"
	then
		set -x
		eval "$1" >&3 2>&4
		test_eval_ret_=$?
		{ set +x; } 2>/dev/null
		return $test_eval_ret_
	fi
	eval "$1" >&3 2>&4
}

# A body whose commands are not all joined by && would hide failures:
# "(exit 117) && BODY" returns 117 only when every command is chained.
# It does run the unchained tail, so it runs in a subshell, in a scratch
# directory, with its output thrown away, and with MREG_DIR naming no
# registry so that a stray mreg command cannot touch the test's own.
test_check_chain_ () {
	test "$MREG_TEST_CHAIN_LINT" = 0 && return 0
	mkdir -p "$TRASH_DIRECTORY/.chain-lint" || return 0
	(cd "$TRASH_DIRECTORY/.chain-lint" &&
	 MREG_DIR="$TRASH_DIRECTORY/.chain-lint/no-registry" &&
	 export MREG_DIR &&
	 eval "(exit 117) && $1") </dev/null >/dev/null 2>&1 \
		3>/dev/null 4>/dev/null 5>/dev/null
	test_chain_ret_=$?
	rm -rf "$TRASH_DIRECTORY/.chain-lint"
	test $test_chain_ret_ = 117 && return 0
	say_tap "Bail out! bug in the test script: broken &&-chain" \
		"or syntax error in test $test_count '$2'"
	say_diag "$1"
	test_exit_ok=t
	exit 1
}

test_run_ () {
	test_check_chain_ "$1" "$2"
	test_cleanup=:
	test_in_body_=t
	test_eval_ "$1"
	eval_ret=$?
	test_in_body_=
	# Cleanups run even when the body failed; a failing cleanup
	# fails the test.
	test "$test_cleanup" = : || test_eval_ "$test_cleanup"
	test_cleanup=:
	cd "$TRASH_DIRECTORY" || bail_out "cannot cd back to the trash directory"
	return $eval_ret
}

# test_skip_ TITLE PREREQ: true (and reported) when the test is skipped.
test_skip_ () {
	test -z "$2" && return 1
	test_have_prereq "$2" && return 1
	test_skipped=$((test_skipped + 1))
	say_tap "ok $test_count # skip $1 (missing $test_missing_prereq)"
	return 0
}

test_failed_ () {
	test_failure=$((test_failure + 1))
	say_tap "not ok $test_count - $1"
	say_diag "$2"
	if test -n "$immediate"
	then
		say_tap "Bail out! stopping at the first failure (-i);" \
			"trash directory kept: $TRASH_DIRECTORY"
		test_exit_ok=t
		exit 1
	fi
}

# test_expect_success [PREREQ] 'title' 'body'
test_expect_success () {
	test $# = 3 && { test_prereq_=$1; shift; } || test_prereq_=
	test $# = 2 || bail_out "bug in the test script: test_expect_success" \
		"needs 2 or 3 arguments"
	test_count=$((test_count + 1))
	test_skip_ "$1" "$test_prereq_" && return 0
	test -n "$verbose" && echo "expecting success of $test_count '$1'" >&4
	if test_run_ "$2" "$1"
	then
		test_success=$((test_success + 1))
		say_tap "ok $test_count - $1"
	else
		test_failed_ "$1" "$2"
	fi
	test -n "$verbose" && echo >&4
	return 0
}

# test_expect_failure [PREREQ] 'title' 'body': a known breakage.
test_expect_failure () {
	test $# = 3 && { test_prereq_=$1; shift; } || test_prereq_=
	test $# = 2 || bail_out "bug in the test script: test_expect_failure" \
		"needs 2 or 3 arguments"
	test_count=$((test_count + 1))
	test_skip_ "$1" "$test_prereq_" && return 0
	test -n "$verbose" && echo "checking known breakage $test_count '$1'" >&4
	if test_run_ "$2" "$1"
	then
		test_fixed=$((test_fixed + 1))
		say_tap "ok $test_count - $1 # TODO known breakage vanished"
	else
		test_broken=$((test_broken + 1))
		say_tap "not ok $test_count - $1 # TODO known breakage"
	fi
	test -n "$verbose" && echo >&4
	return 0
}

# test_when_finished 'cmd': run cmd after the current test, pass or fail.
test_when_finished () {
	test -n "$test_in_body_" ||
		bail_out "bug in the test script: test_when_finished outside a test"
	test_cleanup="{ $*
		} && (exit \"\$eval_ret\"); eval_ret=\$?; $test_cleanup"
}

# --- assertions ----------------------------------------------------------

# test_must_fail CMD...: CMD must fail the ordinary way. Exit codes 1..125
# and mreg's 128 (fatal) and 129 (usage) pass; success, 126/127 (not
# executable, not found) and death by a signal (>129) do not.
test_must_fail () {
	"$@"
	test_exit_code_=$?
	if test $test_exit_code_ = 0
	then
		echo >&4 "test_must_fail: command succeeded: $*"
		return 1
	elif test $test_exit_code_ = 126 || test $test_exit_code_ = 127
	then
		echo >&4 "test_must_fail: command not found or not executable" \
			"(exit $test_exit_code_): $*"
		return 1
	elif test $test_exit_code_ -gt 129
	then
		echo >&4 "test_must_fail: died by signal" \
			"$((test_exit_code_ - 128)): $*"
		return 1
	fi
	return 0
}

# test_might_fail CMD...: like test_must_fail, but success is fine too.
test_might_fail () {
	"$@"
	test_exit_code_=$?
	test $test_exit_code_ = 0 && return 0
	test $test_exit_code_ -le 129 && test $test_exit_code_ != 126 &&
		test $test_exit_code_ != 127 && return 0
	echo >&4 "test_might_fail: exit $test_exit_code_ is not a clean" \
		"failure: $*"
	return 1
}

# test_expect_code N CMD...: CMD must exit with status N.
test_expect_code () {
	test_want_=$1
	shift
	"$@"
	test_exit_code_=$?
	test $test_exit_code_ = "$test_want_" && return 0
	echo >&4 "test_expect_code: command exited with $test_exit_code_," \
		"we wanted $test_want_: $*"
	return 1
}

# test_cmp EXPECT ACTUAL: the files must be identical; shows a diff if not.
test_cmp () {
	test $# = 2 || bail_out "bug in the test script: test_cmp needs 2 files"
	diff -u "$1" "$2" >&4
}

# test_line_count OP N FILE, e.g. test_line_count = 3 out
test_line_count () {
	test $# = 3 || bail_out "bug in the test script: test_line_count" \
		"needs 3 arguments"
	if ! test -f "$3"
	then
		echo >&4 "test_line_count: no such file '$3'"
		return 1
	fi
	test_lines_=$(wc -l <"$3")
	test "$test_lines_" "$1" "$2" && return 0
	echo >&4 "test_line_count: line count of '$3' is $test_lines_," \
		"wanted $1 $2:"
	cat "$3" >&4
	return 1
}

test_path_is_file () {
	test -f "$1" && return 0
	echo >&4 "file '$1' does not exist"
	return 1
}

test_path_is_dir () {
	test -d "$1" && return 0
	echo >&4 "directory '$1' does not exist"
	return 1
}

test_path_is_missing () {
	test -e "$1" || test -L "$1" || return 0
	echo >&4 "path '$1' exists but should not:"
	ls -ld "$1" >&4
	return 1
}

# test_must_be_empty FILE
test_must_be_empty () {
	test_path_is_file "$1" || return 1
	test -s "$1" || return 0
	echo >&4 "'$1' is not empty:"
	cat "$1" >&4
	return 1
}

# test_grep [-v] [GREP-OPTIONS] PATTERN FILE: grep that shows the file
# when it does not match.
test_grep () {
	test_grep_neg_=
	if test "$1" = "-v"
	then
		test_grep_neg_=t
		shift
	fi
	eval "test_grep_file_=\${$#}"
	if test -n "$test_grep_neg_"
	then
		! grep "$@" >/dev/null && return 0
		echo >&4 "test_grep: found unwanted '$*' in:"
	else
		grep "$@" >/dev/null && return 0
		echo >&4 "test_grep: did not find '$*' in:"
	fi
	cat "$test_grep_file_" >&4
	return 1
}

# test_tick: advance a fake clock, for commands that honour git's dates.
test_tick () {
	if test -z "${test_tick+set}"
	then
		test_tick=1782961200	# 2026-07-02T03:00:00Z
	else
		test_tick=$((test_tick + 60))
	fi
	GIT_COMMITTER_DATE="$test_tick +0000"
	GIT_AUTHOR_DATE="$test_tick +0000"
	export GIT_COMMITTER_DATE GIT_AUTHOR_DATE
}

# test_free_port: print a TCP port on 127.0.0.1 that nothing listens on.
test_free_port () {
	if command -v python3 >/dev/null 2>&1
	then
		python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()' && return 0
	fi
	test_port_=$((20000 + $$ % 20000))
	while test $test_port_ -lt 65000
	do
		if ! ss -Hltn "sport = :$test_port_" 2>/dev/null | grep -q .
		then
			echo $test_port_
			return 0
		fi
		test_port_=$((test_port_ + 1))
	done
	echo >&4 "test_free_port: no free port found"
	return 1
}

# --- the end -------------------------------------------------------------

test_remove_trash_ () {
	cd "$TEST_DIRECTORY" || return 1
	rm -rf "$TRASH_DIRECTORY" 2>/dev/null && return 0
	# Read-only directories (a store's fan-out, say) need write
	# permission back before they can be emptied.
	chmod -R u+w "$TRASH_DIRECTORY" && rm -rf "$TRASH_DIRECTORY"
}

test_done () {
	test_exit_ok=t
	if test $test_count = 0 && test -n "$skip_all"
	then
		say_tap "1..0 # SKIP $skip_all"
		test_remove_trash_
		exit 0
	fi
	test -n "$skip_all" && say_diag "skipped the rest: $skip_all"
	say_tap "1..$test_count"
	test $test_fixed = 0 ||
		say_diag "$test_fixed known breakage(s) vanished; please update test(s)"
	test $test_broken = 0 ||
		say_diag "still have $test_broken known breakage(s)"
	if test $test_failure != 0
	then
		say_diag "failed $test_failure among $test_count test(s)"
		say_diag "trash directory kept: $TRASH_DIRECTORY"
		exit 1
	fi
	test $test_skipped = 0 ||
		say_diag "skipped $test_skipped test(s)"
	say_diag "passed all $test_count test(s)"
	test -n "$debug" || test_remove_trash_ ||
		say_diag "could not remove $TRASH_DIRECTORY"
	exit 0
}

# --- set up --------------------------------------------------------------

test_remove_trash_ ||
	bail_out "cannot remove the old trash directory: $TRASH_DIRECTORY"
mkdir -p "$TRASH_DIRECTORY" ||
	bail_out "cannot make the trash directory: $TRASH_DIRECTORY"
cat >"$TRASH_DIRECTORY/.gitconfig" <<\EOF ||
[user]
	name = A U Thor
	email = author@example.com
[init]
	defaultBranch = main
EOF
	bail_out "cannot write $TRASH_DIRECTORY/.gitconfig"
cd "$TRASH_DIRECTORY" || bail_out "cannot cd to $TRASH_DIRECTORY"

# Set before sourcing, skip_all skips the whole script.
if test -n "$skip_all"
then
	test_done
fi

test -n "$verbose" && test -n "$test_description" &&
	printf '%s\n' "$test_description" >&4

# Prerequisites every script can use.
command -v python3 >/dev/null 2>&1 && test_set_prereq PYTHON3
command -v ssh-keygen >/dev/null 2>&1 && test_set_prereq SSH_KEYGEN
command -v xmllint >/dev/null 2>&1 && test_set_prereq XMLLINT
test -n "$MREG_TEST_LONG" && test_set_prereq EXPENSIVE
test -x "$MREG_BUILD_DIR/mreg" && test_set_prereq MREG
# SANITY: permissions are enforced (not root), so "unreadable file"
# tests can work.
if test "$(id -u)" = 0
then
	test_set_prereq ROOT
else
	test_set_prereq SANITY
fi
case "$(cat "$MREG_BUILD_DIR/.build-flags" 2>/dev/null)" in
*-fsanitize=*) test_set_prereq SANITIZE ;;
esac
