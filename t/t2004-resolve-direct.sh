#!/bin/sh
test_description='mreg resolve reads loose objects directly, checked, and falls back to libgit2'
. ./test-lib.sh
. "$TEST_DIRECTORY"/lib-bundle.sh

test_expect_success 'setup: a route with production and canary' '
	setup_registry &&
	mreg keygen -f key >/dev/null 2>&1 &&
	make_bundle b1 v1 4 && make_bundle b2 v2 4 &&
	mreg register b1/mreg.yaml >/dev/null && mreg register b2/mreg.yaml >/dev/null &&
	mreg status v1 validated -m ok && mreg status v2 validated -m ok &&
	mreg promote feed v1 >/dev/null &&
	mreg promote --stage canary --traffic 5 feed v2 >/dev/null &&
	mreg route show --json feed >route.json &&
	echo "$(json_get route.json "[\"production\"][\"ref\"]") $(json_get route.json "[\"production\"][\"digest\"]")" >expect.prod &&
	echo "$(json_get route.json "[\"canary\"][\"ref\"]") $(json_get route.json "[\"canary\"][\"digest\"]")" >expect.canary
'

test_expect_success 'loose objects: production and canary' '
	mreg resolve feed >actual &&
	test_cmp expect.prod actual &&
	mreg resolve --stage canary feed >actual &&
	test_cmp expect.canary actual &&
	mreg resolve --json feed >r.json &&
	test "$(json_get r.json "[\"route\"]")" = feed
'

test_expect_success 'an empty slot and a missing route are answered as before' '
	test_expect_code 1 mreg resolve --stage shadow feed 2>err &&
	grep "has no shadow version" err &&
	test_expect_code 1 mreg resolve nope 2>err &&
	grep "no such route .nope." err &&
	test_expect_code 128 mreg resolve --stage frontline feed 2>err &&
	grep "unknown stage" err
'

test_expect_success 'a usage error reads as it does from mreg resolve -h' '
	test_expect_code 129 mreg resolve --bogus feed 2>err &&
	grep "unknown option .--bogus." err &&
	grep "^    --stage S  *production (default), canary" err
'

test_expect_success 'a damaged loose object is refused, not believed' '
	cp -R .mreg damaged &&
	head=$(git --git-dir=damaged rev-parse refs/mreg/routes/feed) &&
	tree=$(git --git-dir=damaged rev-parse $head^{tree}) &&
	obj=damaged/objects/$(echo $tree | cut -c1-2)/$(echo $tree | cut -c3-) &&
	other=$(git --git-dir=damaged rev-parse refs/mreg/routes/feed~1^{tree}) &&
	chmod u+w $obj &&
	cp damaged/objects/$(echo $other | cut -c1-2)/$(echo $other | cut -c3-) $obj &&
	test_expect_code 128 mreg -R damaged resolve feed 2>err &&
	grep "corrupt" err
'

test_expect_success 'resolve needs only the mreg executable, which loads no libgit2' '
	mkdir lone &&
	cp "$MREG_BUILD_DIR/mreg" lone/ &&
	lone/mreg resolve feed >actual &&
	test_cmp expect.prod actual &&
	ldd lone/mreg >libs &&
	grep libz libs &&
	! grep -e libgit2 -e libcrypto -e libssl -e libyaml libs
'

# The core an installed mreg would fall back to, named when it was built.
core=$(cat "$MREG_BUILD_DIR/.build-core-path" 2>/dev/null)
test -n "$core" && test ! -e "$core" && test_set_prereq NO_INSTALLED_CORE

test_expect_success NO_INSTALLED_CORE 'other commands need the core, and say so' '
	test_expect_code 128 lone/mreg list 2>err &&
	grep "fatal: cannot load the mreg commands: .*mreg-core.so" err &&
	echo "not a library" >lone/mreg-core.so &&
	test_expect_code 128 lone/mreg list 2>err &&
	grep "cannot load the mreg commands: .*lone/mreg-core.so" err
'

command -v cc >/dev/null 2>&1 && test_set_prereq CC

test_expect_success NO_INSTALLED_CORE,CC 'a core of another version is refused' '
	cat >other.c <<-\EOF &&
	const char mreg_core_version[] = "0.0.1-other";
	int mreg_main(int argc, const char **argv) { return 0; }
	EOF
	cc -shared -fPIC -o lone/mreg-core.so other.c &&
	test_expect_code 128 lone/mreg list 2>err &&
	grep "lone/mreg-core.so is not mreg .*(it is 0.0.1-other)" err
'

test_expect_success 'a symbolic link to mreg finds the core beside the real file' '
	ln -s "$MREG_BUILD_DIR/mreg" linked &&
	./linked list >out &&
	grep v1 out
'

test_expect_success 'packed refs and objects: the same answers through libgit2' '
	git --git-dir=.mreg pack-refs --all &&
	git --git-dir=.mreg repack -a -d -q &&
	git --git-dir=.mreg prune-packed &&
	test_path_is_missing .mreg/refs/mreg/routes/feed &&
	mreg resolve feed >actual &&
	test_cmp expect.prod actual &&
	mreg resolve --stage canary feed >actual &&
	test_cmp expect.canary actual
'

test_done
