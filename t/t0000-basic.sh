#!/bin/sh

test_description='the test library itself

Checks the helpers every other test relies on: that a test body fails when
any command of its &&-chain fails, what test_must_fail accepts, and that a
failing test is reported as such in the TAP output.'

. ./test-lib.sh

test_expect_success 'a passing test' '
	true
'

test_expect_success 'we run in our own trash directory, which is HOME' '
	test "$(pwd)" = "$TRASH_DIRECTORY" &&
	test "$HOME" = "$TRASH_DIRECTORY" &&
	test_path_is_file .gitconfig &&
	test "$(git config user.name)" = "A U Thor" &&
	test "$(git config user.email)" = author@example.com
'

test_expect_success 'the environment is clean' '
	test -z "$MREG_DIR" &&
	test -z "$SSH_AUTH_SOCK" &&
	test -z "$GIT_DIR" &&
	test "$LC_ALL" = C &&
	test "$TZ" = UTC
'

test_expect_success MREG 'the built mreg comes first in PATH' '
	test "$(command -v mreg)" = "$MREG_BUILD_DIR/mreg"
'

test_expect_success 'test_must_fail accepts ordinary failures' '
	test_must_fail false &&
	test_must_fail sh -c "exit 1" &&
	test_must_fail sh -c "exit 128" &&
	test_must_fail sh -c "exit 129"
'

test_expect_success 'test_must_fail rejects success, signals, missing commands' '
	! test_must_fail true &&
	! test_must_fail sh -c "exit 130" &&
	! test_must_fail sh -c "kill -9 \$\$" &&
	! test_must_fail sh -c "exit 127" &&
	! test_must_fail no-such-command-anywhere
'

test_expect_success 'test_expect_code' '
	test_expect_code 0 true &&
	test_expect_code 1 false &&
	test_expect_code 129 sh -c "exit 129" &&
	! test_expect_code 128 sh -c "exit 129"
'

test_expect_success 'test_cmp, test_line_count and the path checks' '
	printf "a\nb\n" >one &&
	printf "a\nb\n" >two &&
	printf "a\nc\n" >three &&
	test_cmp one two &&
	! test_cmp one three &&
	test_line_count = 2 one &&
	! test_line_count = 3 one &&
	test_path_is_file one &&
	! test_path_is_dir one &&
	test_path_is_missing four &&
	! test_path_is_missing one
'

test_expect_success 'test_when_finished runs after the test' '
	test_when_finished "rm -f marker" &&
	>marker &&
	test_path_is_file marker
'

test_expect_success 'the cleanup ran' '
	test_path_is_missing marker
'

test_expect_success 'prerequisites' '
	test_set_prereq HAVEIT &&
	test_have_prereq HAVEIT &&
	! test_have_prereq DONTHAVEIT &&
	test_have_prereq !DONTHAVEIT,HAVEIT &&
	! test_have_prereq HAVEIT,DONTHAVEIT
'

test_expect_success DONTHAVEIT 'a test with a missing prerequisite is skipped' '
	false
'

test_expect_success PYTHON3 'test_free_port gives a port' '
	port=$(test_free_port) &&
	test "$port" -gt 0 &&
	test "$port" -lt 65536
'

# A script of our own: one test passes, one fails, one is a known breakage.
test_expect_success 'failures are reported, the trash directory kept' '
	mkdir sub &&
	cat >sub/t9999-sub.sh <<-EOF &&
	test_description="sub"
	TEST_DIRECTORY="$TRASH_DIRECTORY/sub"
	. "$TEST_DIRECTORY/test-lib.sh"
	test_expect_success "passes" "true"
	test_expect_success "fails" "true && false"
	test_expect_failure "broken" "false"
	test_done
	EOF
	(cd sub && test_expect_code 1 sh t9999-sub.sh >../out 2>../err) &&
	sed -e "/^# trash directory kept/d" out >actual &&
	cat >expect <<-\EOF &&
	ok 1 - passes
	not ok 2 - fails
	# true && false
	not ok 3 - broken # TODO known breakage
	1..3
	# still have 1 known breakage(s)
	# failed 1 among 3 test(s)
	EOF
	test_cmp expect actual &&
	test_path_is_dir "sub/trash directory.t9999-sub"
'

test_expect_success 'a broken &&-chain is a bug in the test script' '
	cat >sub/t9998-chain.sh <<-EOF &&
	TEST_DIRECTORY="$TRASH_DIRECTORY/sub"
	. "$TEST_DIRECTORY/test-lib.sh"
	test_expect_success "broken" "false; true"
	test_done
	EOF
	(cd sub && test_must_fail sh t9998-chain.sh >../out 2>../err) &&
	grep "^Bail out! bug in the test script: broken &&-chain" out
'

test_done
