#!/bin/sh
test_description='concurrent and interrupted registrations leave a consistent store'
. ./test-lib.sh
. "$TEST_DIRECTORY"/lib-bundle.sh

# race_register MANIFEST: two registers at once; out.a/b, err.a/b, rc.a/b.
race_register () {
	(mreg register "$1" >out.a 2>err.a; echo $? >rc.a) &
	(mreg register "$1" >out.b 2>err.b; echo $? >rc.b) &
	wait
}

# start_register MANIFEST: in the background; its pid in $bg_pid.
start_register () {
	mreg register "$1" >/dev/null 2>&1 &
	bg_pid=$!
}

test_expect_success 'setup' '
	setup_registry &&
	make_bundle b race 1 &&
	dd if=/dev/urandom of=b/model/ranker.onnx bs=1M count=24 2>/dev/null
'

test_expect_success 'two registers racing for one version: exactly one wins' '
	for i in 1 2 3
	do
		sed -i "s/^model_version: .*/model_version: race_$i/" b/mreg.yaml &&
		race_register b/mreg.yaml &&
		cat rc.a rc.b | sort >rcs &&
		printf "0\n128\n" >expect &&
		test_cmp expect rcs &&
		cat err.a err.b >errs &&
		grep -E "already registered|another mreg is writing it" errs &&
		cat out.a out.b >outs &&
		test_line_count = 1 outs || return 1
	done &&
	mreg list >list &&
	test_line_count = 3 list &&
	mreg fsck
'

test_expect_success 'racing registers without a version both land, numbered' '
	sed -i "/^model_version:/d" b/mreg.yaml &&
	race_register b/mreg.yaml &&
	test "$(cat rc.a)" = 0 && test "$(cat rc.b)" = 0 &&
	cat out.a out.b | cut -d" " -f1 | sort >got &&
	today=$(date -u +%Y%m%d) &&
	printf "home_ranker@home_ranker_%s_001\nhome_ranker@home_ranker_%s_002\n" $today $today >expect &&
	test_cmp expect got &&
	mreg fsck
'

test_expect_success 'kill -9 while storing a large artifact leaves no version' '
	make_bundle k killed 1 &&
	dd if=/dev/urandom of=k/model/ranker.onnx bs=1M count=400 2>/dev/null &&
	start_register k/mreg.yaml &&
	pid=$bg_pid &&
	n=0 &&
	while test -z "$(ls .mreg/tmp)" && test $n -lt 2000
	do
		n=$((n + 1)) && sleep 0.005 || return 1
	done &&
	kill -9 $pid &&
	{ wait $pid; true; } &&
	test -n "$(ls .mreg/tmp)" &&
	test_must_fail git --git-dir=.mreg rev-parse --verify -q refs/mreg/models/home_ranker/killed &&
	test_must_fail git --git-dir=.mreg rev-parse --verify -q refs/mreg/status/home_ranker/killed &&
	test_expect_code 1 mreg show home_ranker@killed
'

test_expect_success 'fsck is clean after the kill and names the leftover to remove' '
	mreg fsck >out 2>err &&
	test_must_be_empty out &&
	grep "warning: .*/tmp/artifact-.*interrupted command; if no mreg is running, remove it" err
'

test_expect_success 'the next register of that version works' '
	mreg register k/mreg.yaml >out &&
	grep "^home_ranker@killed sha256:" out &&
	mreg cat home_ranker@killed model/ranker.onnx | cmp - k/model/ranker.onnx &&
	mreg fsck >out &&
	test_must_be_empty out
'

test_expect_success 'a stale ref lock is reported with how to clear it' '
	make_bundle l locked 1 &&
	mkdir -p .mreg/refs/mreg/models/home_ranker &&
	: >.mreg/refs/mreg/models/home_ranker/locked.lock &&
	test_expect_code 128 mreg register l/mreg.yaml 2>err &&
	grep "cannot lock ref .refs/mreg/models/home_ranker/locked.: another mreg is writing it; if none is running, remove" err &&
	mreg fsck 2>err &&
	grep "locked.lock: a lock left by an interrupted command" err &&
	rm .mreg/refs/mreg/models/home_ranker/locked.lock &&
	mreg register l/mreg.yaml
'

test_done
