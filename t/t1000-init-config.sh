#!/bin/sh
test_description='mreg init creates a registry; commands find it like git finds .git'
. ./test-lib.sh

test_expect_success 'init creates .mreg as a bare git repository with the store' '
	mreg init >out &&
	echo "Initialized empty mreg registry in $(pwd)/.mreg/" >expect &&
	test_cmp expect out &&
	test_path_is_dir .mreg/objects &&
	test_path_is_dir .mreg/refs &&
	test_path_is_dir .mreg/artifacts &&
	test_path_is_dir .mreg/tmp &&
	test "$(git --git-dir=.mreg rev-parse --is-bare-repository)" = true
'

test_expect_success 'init sets the config DESIGN §2 asks for' '
	for kv in core.logAllRefUpdates=always pack.deltaCacheSize=1 \
		  core.bigFileThreshold=1m pack.window=0
	do
		key=${kv%%=*} &&
		echo "${kv#*=}" >expect &&
		git --git-dir=.mreg config "$key" >actual &&
		test_cmp expect actual || return 1
	done
'

test_expect_success 'init again keeps what is there' '
	mreg init >out &&
	grep "^Reinitialized existing mreg registry in" out
'

test_expect_success 'init DIR creates DIR/.mreg' '
	mreg init -q sub/dir &&
	test_path_is_dir sub/dir/.mreg/artifacts
'

test_expect_success 'commands find .mreg in a parent directory' '
	mkdir -p sub/dir/deep/er &&
	(cd sub/dir/deep/er && mreg list) &&
	(cd sub/dir/deep/er && mreg config set x.where deep) &&
	test "$(git --git-dir=sub/dir/.mreg config x.where)" = deep
'

test_expect_success '-R and MREG_DIR name the registry directory itself' '
	mreg -R elsewhere init -q &&
	test_path_is_dir elsewhere/artifacts &&
	mreg -R elsewhere config set x.y 1 &&
	test "$(MREG_DIR=elsewhere mreg config get x.y)" = 1 &&
	test "$(mreg --registry=elsewhere config get x.y)" = 1
'

test_expect_success 'outside a registry: a clear error and exit 128' '
	mkdir -p /tmp/mreg-no-registry-$$ &&
	test_when_finished "rm -rf /tmp/mreg-no-registry-$$" &&
	(cd /tmp/mreg-no-registry-$$ && test_expect_code 128 mreg list 2>err) &&
	grep "not in an mreg registry" /tmp/mreg-no-registry-$$/err
'

test_expect_success 'config get, set, unset and list' '
	mreg config set team.name "Ada Lovelace" &&
	echo "Ada Lovelace" >expect &&
	mreg config get team.name >actual &&
	test_cmp expect actual &&
	mreg config list >list &&
	grep "^team.name=Ada Lovelace$" list &&
	mreg config unset team.name &&
	test_expect_code 1 mreg config get team.name
'

test_expect_success 'identity falls back to git config' '
	mreg config get user.name >actual &&
	echo "A U Thor" >expect &&
	test_cmp expect actual
'

test_expect_success 'config refuses a key without a section' '
	test_expect_code 128 mreg config set nosection v 2>err &&
	grep "invalid config key" err
'

test_expect_success 'usage errors exit 129, -h prints usage' '
	test_expect_code 129 mreg init --bogus 2>err &&
	grep "unknown option" err &&
	test_expect_code 129 mreg config frob &&
	test_expect_code 129 mreg register -h >out &&
	grep "^usage: mreg register" out &&
	test_expect_code 129 mreg nosuchcommand &&
	test_expect_code 129 mreg
'

test_expect_success 'help, --version' '
	mreg help >out &&
	grep "^   register" out &&
	mreg help register >out &&
	grep "^usage: mreg register" out &&
	mreg --version >out &&
	grep "^mreg version [0-9]" out
'

test_done
