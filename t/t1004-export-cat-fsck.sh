#!/bin/sh
test_description='export, cat and fsck verify every byte and refuse damaged ones'
. ./test-lib.sh
. "$TEST_DIRECTORY"/lib-bundle.sh

V=home_ranker@v1

test_expect_success 'setup' '
	setup_registry &&
	make_bundle b v1 3072 &&
	mreg register b/mreg.yaml &&
	sha=$(sha256sum b/model/ranker.onnx | cut -d" " -f1) &&
	obj=.mreg/artifacts/$(echo $sha | cut -c1-2)/$(echo $sha | cut -c3-4)/$sha &&
	echo "$obj" >objpath
'

test_expect_success 'export writes every file of the bundle, verified' '
	mreg export $V exp >stdout &&
	grep "^$V sha256:[0-9a-f]* exp$" stdout &&
	(cd b && find . -type f ! -name mreg.yaml | sort | xargs sha256sum) >expect &&
	(cd exp && find . -type f ! -name bundle.yaml ! -name model.yaml ! -name metrics.yaml ! -name card.md | sort | xargs sha256sum) >actual &&
	test_cmp expect actual &&
	test_path_is_file exp/bundle.yaml &&
	test_path_is_file exp/model.yaml &&
	test_path_is_file exp/metrics.yaml &&
	test_path_is_file exp/card.md &&
	mreg cat $V bundle.yaml | cmp - exp/bundle.yaml
'

test_expect_success 'export refuses an existing directory unless --force' '
	echo stale >exp/stale &&
	test_expect_code 128 mreg export $V exp 2>err &&
	grep "already exists; use --force" err &&
	test_path_is_file exp/stale &&
	mreg export --force $V exp/ &&
	test_path_is_missing exp/stale &&
	test_path_is_file exp/model/ranker.onnx &&
	test -z "$(ls -a | grep mreg-export)" &&
	test -z "$(ls -a | grep mreg-old)"
'

test_expect_success 'cat writes one file and the generated views' '
	mreg cat $V features/schema.yaml >schema &&
	test_cmp b/features/schema.yaml schema &&
	mreg cat $V model/ranker.onnx | cmp - b/model/ranker.onnx &&
	mreg cat $V card.md >card &&
	grep "^## Purpose$" card &&
	mreg cat $V metrics.yaml >metrics &&
	grep "ndcg_at_20: 0.412" metrics &&
	test_expect_code 1 mreg cat $V no/such/file 2>err &&
	grep "has no file .no/such/file." err
'

test_expect_success 'fsck --full is clean on a healthy registry' '
	mreg fsck --full >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err
'

test_expect_success 'a modified artifact (same size) is found and refused' '
	obj=$(cat objpath) &&
	cp "$obj" good-object &&
	chmod u+w "$obj" &&
	printf "X" | dd of="$obj" bs=1 seek=1000 conv=notrunc 2>/dev/null &&
	test_expect_code 1 mreg fsck >out &&
	grep "$obj: artifact $sha is corrupt: its bytes hash to" out &&
	test_expect_code 128 mreg cat $V model/ranker.onnx >cat-out 2>err &&
	test_must_be_empty cat-out &&
	grep "corrupt" err &&
	test_expect_code 128 mreg export $V out2 2>err &&
	grep "corrupt" err &&
	test_path_is_missing out2 &&
	test -z "$(ls -a | grep mreg-export)"
'

test_expect_success 'a truncated artifact is found and refused' '
	obj=$(cat objpath) &&
	head -c 1000 good-object >"$obj" &&
	test_expect_code 1 mreg fsck >out &&
	grep "$obj: artifact $sha is corrupt: 1000 bytes, expected 3145728" out &&
	test_expect_code 128 mreg export --force $V exp 2>err &&
	test_path_is_file exp/model/ranker.onnx &&
	test_expect_code 128 mreg cat $V model/ranker.onnx >cat-out &&
	test_must_be_empty cat-out
'

test_expect_success 'a missing artifact is found' '
	obj=$(cat objpath) &&
	rm -f "$obj" &&
	test_expect_code 1 mreg fsck >out &&
	grep "artifact $sha is missing from the store (needed by $V)" out
'

test_expect_success 'registering the same bytes again repairs the store' '
	cp -R b b2 &&
	sed -i "s/^model_version: .*/model_version: v2/" b2/mreg.yaml &&
	mreg register b2/mreg.yaml &&
	mreg fsck >out &&
	test_must_be_empty out &&
	chmod u+w "$(cat objpath)" &&
	head -c 10 good-object >"$(cat objpath)" &&
	sed -i "s/^model_version: .*/model_version: v3/" b2/mreg.yaml &&
	mreg register b2/mreg.yaml &&
	mreg fsck >out &&
	test_must_be_empty out &&
	chmod u+w "$(cat objpath)" &&
	printf "X" | dd of="$(cat objpath)" bs=1 seek=1000 conv=notrunc 2>/dev/null &&
	test_expect_code 1 mreg fsck >out &&
	grep "is corrupt: its bytes hash to" out &&
	sed -i "s/^model_version: .*/model_version: v4/" b2/mreg.yaml &&
	mreg register b2/mreg.yaml &&
	mreg fsck >out &&
	test_must_be_empty out
'

test_expect_success 'fsck --full also checks objects no version names' '
	printf "junk" >.mreg/artifacts/stray &&
	test_expect_code 1 mreg fsck --full >out &&
	grep "stray: a file in the artifact store that is not named by a sha256" out &&
	rm .mreg/artifacts/stray
'

# rewrite_tree REF PATH CONTENT [MSG-SED]: a new commit for REF with PATH replaced.
rewrite_tree () {
	GIT_DIR=.mreg &&
	export GIT_DIR &&
	git read-tree "$1" &&
	blob=$(printf "%s" "$3" | git hash-object -w --stdin) &&
	git update-index --add --cacheinfo 100644,$blob,"$2" &&
	tree=$(git write-tree) &&
	git cat-file commit "$1" | sed -n "/^$/,\$p" | sed 1d | sed "${4:-s/x/x/}" >msg &&
	commit=$(git commit-tree $tree -m "$(cat msg)") &&
	git update-ref "$1" $commit &&
	rm -f .mreg/index &&
	unset GIT_DIR
}

test_expect_success 'a bundle.yaml edited with plain git is caught by its digest' '
	mreg cat $V bundle.yaml | sed "s/ndcg_at_20: 0.412/ndcg_at_20: 0.999/" >forged &&
	rewrite_tree refs/mreg/models/home_ranker/v1 bundle.yaml "$(cat forged)" &&
	test_expect_code 128 mreg show $V 2>err &&
	grep "bundle.yaml of $V hashes to sha256:[0-9a-f]*, but it was registered as" err &&
	test_expect_code 1 mreg fsck >fsck.out &&
	grep "^$V: bundle.yaml of $V hashes to" fsck.out
'

test_expect_success 'a forged digest trailer still disagrees with the status chain' '
	forged=$(mreg cat home_ranker@v2 bundle.yaml | sed "s/ndcg_at_20: 0.412/ndcg_at_20: 0.999/") &&
	new=$(printf "%s" "$forged" | sha256sum | cut -d" " -f1) &&
	rewrite_tree refs/mreg/models/home_ranker/v2 bundle.yaml "$forged" "s/^Mreg-Digest: .*/Mreg-Digest: sha256:$new/" &&
	mreg show home_ranker@v2 >/dev/null &&
	test_expect_code 1 mreg fsck >fsck.out &&
	grep "refs/mreg/status/home_ranker/v2: commit [0-9a-f]* names digest sha256:[0-9a-f]*, not sha256:$new" fsck.out
'

test_expect_success 'a component file replaced with plain git is refused' '
	rewrite_tree refs/mreg/models/home_ranker/v3 features/schema.yaml "user_age_bucket: string" &&
	test_expect_code 128 mreg cat home_ranker@v3 features/schema.yaml >out 2>err &&
	test_must_be_empty out &&
	grep "features/schema.yaml. is corrupt" err &&
	test_expect_code 128 mreg export home_ranker@v3 out3 &&
	test_path_is_missing out3 &&
	test_expect_code 1 mreg fsck >fsck.out &&
	grep "home_ranker@v3: home_ranker@v3: .features/schema.yaml. is corrupt" fsck.out
'

test_done
