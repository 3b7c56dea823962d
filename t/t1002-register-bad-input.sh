#!/bin/sh
test_description='mreg register refuses bad manifests with a clear error and writes nothing'
. ./test-lib.sh
. "$TEST_DIRECTORY"/lib-bundle.sh

# refuse FILE PATTERN: register fails with exit 128, stderr matches
# PATTERN, and the registry is exactly as it was.
refuse () {
	registry_state >before &&
	test_expect_code 128 mreg register "$1" 2>err &&
	grep -E "$2" err &&
	registry_state >after &&
	test_cmp before after
}

test_expect_success 'setup' '
	setup_registry &&
	make_bundle b 1 2048 &&
	mreg register b/mreg.yaml &&
	sed -i "s/^model_version: 1$/model_version: 2/" b/mreg.yaml
'

test_expect_success 'malformed YAML names file:line:column' '
	cp b/mreg.yaml b/bad.yaml &&
	sed -i "s/^  latency_ms: {p95: 14}/  latency_ms: {p95: 14/" b/bad.yaml &&
	refuse b/bad.yaml "^error: b/bad.yaml:[0-9]+:[0-9]+: "
'

test_expect_success 'a tab-indented manifest names file:line:column' '
	printf "model_name: x\n\towner: y\n" >b/tab.yaml &&
	refuse b/tab.yaml "^error: b/tab.yaml:2:1: "
'

test_expect_success 'an unknown top-level key is a typo, with a suggestion' '
	sed "s/^model_type:/modle_type:/" b/mreg.yaml >b/typo.yaml &&
	refuse b/typo.yaml "^error: b/typo.yaml:3:13: unknown key .modle_type. \(did you mean .model_type.\?\)"
'

test_expect_success 'unknown keys inside a component entry are refused' '
	sed "s/version: home_utility_v7, path/version: home_utility_v7, pth/" b/mreg.yaml >b/ctypo.yaml &&
	refuse b/ctypo.yaml "unknown key .components.utility_policy.pth."
'

test_expect_success 'duplicate keys are refused' '
	sed "s/^owner: recsys-ranking/owner: recsys-ranking\nowner: someone-else/" b/mreg.yaml >b/dup.yaml &&
	refuse b/dup.yaml "b/dup.yaml:6:1: duplicate key .owner."
'

test_expect_success 'a metric that is not a number' '
	sed "s/ndcg_at_20: 0.412/ndcg_at_20: high/" b/mreg.yaml >b/metric.yaml &&
	refuse b/metric.yaml "b/metric.yaml:[0-9]+:[0-9]+: metric .metrics.offline.ndcg_at_20. must be a number"
'

test_expect_success 'a quoted number is a string, not a metric' '
	sed "s/ndcg_at_20: 0.412/ndcg_at_20: \"0.412\"/" b/mreg.yaml >b/qmetric.yaml &&
	refuse b/qmetric.yaml "must be a number"
'

test_expect_success 'a segment metric that is not a number' '
	sed "s/new_user: {ndcg_at_20: 0.29}/new_user: {ndcg_at_20: [0.29]}/" b/mreg.yaml >b/seg.yaml &&
	refuse b/seg.yaml "metric .metrics.segments.new_user.ndcg_at_20. must be a number"
'

test_expect_success 'a section of the wrong type' '
	sed "s/^hyperparameters: .*/hyperparameters: many/" b/mreg.yaml >b/hp.yaml &&
	refuse b/hp.yaml "b/hp.yaml:[0-9]+:[0-9]+: .hyperparameters. must be a mapping, not a string"
'

test_expect_success 'a path that is a directory' '
	sed "s|path: norm/dense.json|path: norm|" b/mreg.yaml >b/dir.yaml &&
	refuse b/dir.yaml "b/dir.yaml:[0-9]+:[0-9]+: .norm. is a directory, not a file"
'

test_expect_success 'a missing file' '
	sed "s|path: norm/dense.json|path: norm/missing.json|" b/mreg.yaml >b/missing.yaml &&
	refuse b/missing.yaml "cannot read .norm/missing.json.: No such file or directory"
'

test_expect_success 'a missing file after a large one stores nothing' '
	make_bundle big2 2 3072 &&
	sed -i "s|path: vocab/category_id.txt|path: vocab/gone.txt|" big2/mreg.yaml &&
	refuse big2/mreg.yaml "gone.txt"
'

test_expect_success 'an unreadable file' '
	cp b/mreg.yaml b/unread.yaml &&
	chmod 000 b/calibration/cal.json &&
	test_when_finished "chmod 644 b/calibration/cal.json" &&
	if test "$(id -u)" = 0
	then
		echo "root reads everything; checked as non-root only"
	else
		refuse b/unread.yaml "cannot read .calibration/cal.json.: Permission denied"
	fi
'

test_expect_success 'a missing manifest' '
	refuse nope.yaml "cannot read .nope.yaml.: No such file or directory"
'

test_expect_success 'a manifest that is a directory' '
	refuse b "cannot read .b.: Is a directory"
'

test_expect_success 'a sha256 that does not match the file' '
	sed "s|path: norm/dense.json}|path: norm/dense.json, sha256: $(printf %064d 0)}|" b/mreg.yaml >b/sha.yaml &&
	refuse b/sha.yaml "norm/dense.json. has sha256 [0-9a-f]{64}, but the manifest says 0{64}"
'

test_expect_success 'a declared artifact sha256 that does not match stores nothing' '
	make_bundle big3 3 3072 &&
	sed -i "s|^artifact: model/ranker.onnx|artifact: {path: model/ranker.onnx, sha256: $(printf %064d 0)}|" big3/mreg.yaml &&
	refuse big3/mreg.yaml "ranker.onnx. has sha256"
'

for key in model_name owner training.code_version lineage.training_dataset_version \
	lineage.feature_set_version lineage.label_versions metrics
do
	test_expect_success "a manifest without $key is refused naming it" "
		python3 - b/mreg.yaml $key >b/req.yaml <<-\EOF &&
		import sys
		path = sys.argv[2].split('.')
		out, skip, inside = [], None, None
		for line in open(sys.argv[1]).read().split('\n'):
		    ind = len(line) - len(line.lstrip())
		    if skip is not None:
		        if line.strip() and ind <= skip:
		            skip = None
		        else:
		            continue
		    if len(path) == 1 and ind == 0 and line.startswith(path[0] + ':'):
		        skip = 0; continue
		    if len(path) == 2:
		        if ind == 0: inside = line.split(':')[0]
		        if inside == path[0] and ind == 2 and line.strip().startswith(path[1] + ':'):
		            skip = 2; continue
		    out.append(line)
		print('\n'.join(out))
		EOF
		! grep -q '^ *${key#*.}:' b/req.yaml &&
		refuse b/req.yaml \"missing required key .$key.\"
	"
done

test_expect_success 'a manifest without an artifact is refused' '
	sed "/^artifact:/d" b/mreg.yaml >b/noart.yaml &&
	refuse b/noart.yaml "missing required key .artifact."
'

test_expect_success 'artifact_uri without sha256 is refused' '
	sed "s|^artifact: .*|artifact_uri: s3://bucket/model.onnx|" b/mreg.yaml >b/uri.yaml &&
	refuse b/uri.yaml "needs .sha256."
'

test_expect_success 'invalid model names, versions and component kinds are refused' '
	for n in ../x a/b "" $(printf "a%.0s" $(seq 200)) "a\\tb" "a\\\\x01b" .hidden x.lock -dash "a..b" "a b" x.
	do
		sed "s|^model_name: .*|model_name: \"$n\"|" b/mreg.yaml >b/name.yaml &&
		refuse b/name.yaml "invalid model name" &&
		sed "s|^model_version: .*|model_version: \"$n\"|" b/mreg.yaml >b/ver.yaml &&
		refuse b/ver.yaml "invalid model version" &&
		sed "s|^  calibration: |  \"$n\": |" b/mreg.yaml >b/kind.yaml &&
		refuse b/kind.yaml "invalid component kind" &&
		sed "s|^    category_id: |    \"$n\": |" b/mreg.yaml >b/cname.yaml &&
		refuse b/cname.yaml "invalid component name" || return 1
	done
'

test_expect_success 'invalid --version is refused before anything is read' '
	registry_state >before &&
	test_expect_code 128 mreg register --version "../evil" b/mreg.yaml 2>err &&
	grep "invalid model version" err &&
	registry_state >after &&
	test_cmp before after
'

test_expect_success 'paths that escape the bundle are refused' '
	for p in ../etc/passwd /etc/passwd "a//b" "./x" "a/../b" ".git/config" "bundle.yaml"
	do
		sed "s|path: norm/dense.json|path: \"$p\"|" b/mreg.yaml >b/path.yaml &&
		refuse b/path.yaml "b/path.yaml:[0-9]+:[0-9]+: (invalid path|path .bundle.yaml. is reserved)" || return 1
	done
'

test_expect_success 'a path used as both a file and a directory' '
	mkdir -p b/x && echo a >b/x/y && echo b >b/xf &&
	sed "s|path: norm/dense.json|path: vocab/category_id.txt/inner|" b/mreg.yaml >b/df.yaml &&
	refuse b/df.yaml "(is a file, but|cannot read|Not a directory)"
'

test_expect_success 'registering an existing version is refused; the original is untouched' '
	mreg show --json home_ranker@1 >before.json &&
	cp -R b b_changed &&
	echo changed >>b_changed/norm/dense.json &&
	sed -i "s/^model_version: 2$/model_version: 1/" b_changed/mreg.yaml &&
	refuse b_changed/mreg.yaml "home_ranker@1 is already registered" &&
	mreg show --json home_ranker@1 >after.json &&
	test_cmp before.json after.json &&
	mreg fsck
'

test_expect_success 'a manifest that is not a mapping' '
	echo "- a" >b/list.yaml &&
	refuse b/list.yaml "b/list.yaml:1:1: a manifest must be a mapping"
'

test_done
