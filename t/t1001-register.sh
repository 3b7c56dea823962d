#!/bin/sh
test_description='mreg register stores a bundle as an immutable, content-addressed version'
. ./test-lib.sh
. "$TEST_DIRECTORY"/lib-bundle.sh

V1=home_ranker@home_ranker_20260702_001

test_expect_success 'setup' '
	setup_registry &&
	make_bundle b1 home_ranker_20260702_001 2048
'

test_expect_success 'register prints NAME@VERSION and the bundle digest' '
	mreg register b1/mreg.yaml >out &&
	grep -E "^home_ranker@home_ranker_20260702_001 sha256:[0-9a-f]{64}$" out &&
	cut -d" " -f2 out >digest
'

test_expect_success 'the digest is the SHA-256 of bundle.yaml' '
	mreg cat $V1 bundle.yaml >bundle.yaml &&
	echo "sha256:$(sha256sum bundle.yaml | cut -d" " -f1)" >expect &&
	test_cmp expect digest
'

test_expect_success 'refs: the version and its status chain' '
	git --git-dir=.mreg rev-parse --verify refs/mreg/models/home_ranker/home_ranker_20260702_001 &&
	git --git-dir=.mreg rev-parse --verify refs/mreg/status/home_ranker/home_ranker_20260702_001 &&
	git --git-dir=.mreg show refs/mreg/status/home_ranker/home_ranker_20260702_001:status >status &&
	grep "^state candidate$" status &&
	grep "^seq 1$" status &&
	grep "^digest $(cat digest)$" status
'

test_expect_success 'small files are git blobs, the large artifact is in the store' '
	git --git-dir=.mreg ls-tree -r --name-only refs/mreg/models/home_ranker/home_ranker_20260702_001 >tree &&
	cat >expect <<-\EOF &&
	bundle.yaml
	calibration/cal.json
	card.md
	features/feature_set.yaml
	features/schema.yaml
	metrics.yaml
	model.yaml
	norm/dense.json
	policy/utility.yaml
	vocab/category_id.txt
	EOF
	test_cmp expect tree &&
	sha=$(sha256sum b1/model/ranker.onnx | cut -d" " -f1) &&
	obj=.mreg/artifacts/$(echo $sha | cut -c1-2)/$(echo $sha | cut -c3-4)/$sha &&
	test_path_is_file $obj &&
	cmp b1/model/ranker.onnx $obj &&
	test "$(stat -c %a $obj)" = 444 &&
	test -z "$(ls .mreg/tmp)"
'

test_expect_success 'bundle.yaml records every file with sha256 and size' '
	sed -n "/^artifact:/,/^components:/p" bundle.yaml >art &&
	grep "path: model/ranker.onnx" art &&
	grep "sha256: $(sha256sum b1/model/ranker.onnx | cut -d" " -f1)" art &&
	grep "size: 2097152" art &&
	grep -c "^- kind:" bundle.yaml >n &&
	echo 6 >expect &&
	test_cmp expect n &&
	grep -A5 "kind: categorical_vocab" bundle.yaml | grep "name: category_id"
'

test_expect_success 'the manifest registers exactly as written' '
	mreg show --json $V1 >show.json &&
	test "$(json_get show.json "[\"name\"]")" = home_ranker &&
	test "$(json_get show.json "[\"version\"]")" = home_ranker_20260702_001 &&
	test "$(json_get show.json "[\"ref\"]")" = $V1 &&
	test "$(json_get show.json "[\"digest\"]")" = "$(cat digest)" &&
	test "$(json_get show.json "[\"status\"]")" = candidate &&
	test "$(json_get show.json "[\"owner\"]")" = recsys-ranking &&
	test "$(json_get show.json "[\"runtime\"]")" = gbdt_runtime_v3 &&
	test "$(json_get show.json "[\"artifact\"][\"path\"]")" = model/ranker.onnx &&
	test "$(json_get show.json "[\"artifact\"][\"size\"]")" = 2097152 &&
	test "$(json_get show.json "[\"training\"][\"code_version\"]")" = 3f2c9e1 &&
	test "$(json_get show.json "[\"training\"][\"random_seed\"]")" = 42 &&
	test "$(json_get show.json "[\"training\"][\"created_at\"]")" = 2026-07-02T03:00:00Z &&
	test "$(json_get show.json "[\"lineage\"][\"label_versions\"][\"purchase_7d\"]")" = v2 &&
	test "$(json_get show.json "[\"lineage\"][\"source_data\"][\"clean_events\"]")" = 20260701 &&
	python3 -c "import json; d=json.load(open(\"show.json\")); assert d[\"lineage\"][\"source_data\"][\"clean_events\"] == \"20260701\"" &&
	test "$(json_get show.json "[\"hyperparameters\"][\"learning_rate\"]")" = 0.05 &&
	test "$(json_get show.json "[\"metrics\"][\"offline\"][\"ndcg_at_20\"]")" = 0.412 &&
	test "$(json_get show.json "[\"metrics\"][\"latency_ms\"][\"p95\"]")" = 14 &&
	test "$(json_get show.json "[\"metrics\"][\"segments\"][\"new_item\"][\"coverage\"]")" = 0.72 &&
	test "$(json_get show.json "[\"privacy\"][\"sensitive_features\"]")" = "[]" &&
	test "$(json_get show.json "[\"card\"][\"intended_surfaces\"]")" = "[\"home_feed\"]" &&
	test "$(json_get show.json "[\"routes\"]")" = "[]"
'

test_expect_success 'show --json lists every component with kind, version, path, sha256, size' '
	python3 - show.json >comps <<-\EOF &&
	import json, sys
	d = json.load(open(sys.argv[1]))
	for c in d["components"]:
	    print(c["kind"], c.get("name", "-"), c["version"], c["path"], len(c["sha256"]), c["size"] > 0)
	EOF
	cat >expect <<-\EOF &&
	calibration - home_click_purchase_hide_cal_v5 calibration/cal.json 64 True
	categorical_vocab category_id category_vocab_v6 vocab/category_id.txt 64 True
	feature_schema - home_feature_schema_v18 features/schema.yaml 64 True
	feature_set - home_features_v18 features/feature_set.yaml 64 True
	normalization_stats - dense_norm_v4 norm/dense.json 64 True
	utility_policy - home_utility_v7 policy/utility.yaml 64 True
	EOF
	test_cmp expect comps
'

test_expect_success 'show prints every part as text' '
	mreg show $V1 >show &&
	grep "^model *$V1$" show &&
	grep "^digest *$(cat digest)$" show &&
	grep "^status *candidate$" show &&
	grep "categorical_vocab.category_id" show &&
	grep "offline.ndcg_at_20 *0.412$" show &&
	grep "segments.warm_user.ndcg_at_20 *0.44$" show &&
	grep "label_versions.click_30m *v3$" show
'

test_expect_success 'a version is found by bare version and by digest prefix' '
	mreg show --json home_ranker_20260702_001 >a.json &&
	mreg show --json "$(cut -c1-15 digest)" >b.json &&
	test_cmp show.json a.json &&
	test_cmp show.json b.json
'

test_expect_success 'unknown versions: exit 1, bad specs: exit 128' '
	test_expect_code 1 mreg show home_ranker@nope 2>err &&
	grep "no such version" err &&
	test_expect_code 1 mreg show sha256:0000000 &&
	test_expect_code 128 mreg show sha256:12 2>err &&
	grep "invalid digest" err &&
	test_expect_code 128 mreg show "../x" 2>err &&
	grep "invalid" err
'

test_expect_success 'the same bytes under a new version are stored once' '
	cp -R b1 b2 &&
	sed -i "s/^model_version: .*/model_version: home_ranker_20260702_002/" b2/mreg.yaml &&
	mreg register -m "same weights, new labels" b2/mreg.yaml &&
	find .mreg/artifacts -type f >objs &&
	test_line_count = 1 objs &&
	git --git-dir=.mreg log -1 --format=%B refs/mreg/models/home_ranker/home_ranker_20260702_002 >msg &&
	grep "same weights, new labels" msg
'

test_expect_success 'a bare version shared by two models is ambiguous' '
	make_bundle other v_shared 4 &&
	sed -i "s/^model_name: .*/model_name: other_ranker/" other/mreg.yaml &&
	mreg register other/mreg.yaml &&
	make_bundle other2 v_shared 4 &&
	sed -i "s/^model_name: .*/model_name: third_ranker/" other2/mreg.yaml &&
	mreg register other2/mreg.yaml &&
	test_expect_code 128 mreg show v_shared 2>err &&
	grep "ambiguous" err
'

test_expect_success '--version overrides the manifest; without either a dated one is made' '
	mreg register --version home_ranker_manual b1/mreg.yaml >out &&
	grep "^home_ranker@home_ranker_manual " out &&
	sed "/^model_version:/d" b1/mreg.yaml >b1/auto.yaml &&
	mreg register b1/auto.yaml >out1 &&
	mreg register b1/auto.yaml >out2 &&
	today=$(date -u +%Y%m%d) &&
	grep "^home_ranker@home_ranker_${today}_001 " out1 &&
	grep "^home_ranker@home_ranker_${today}_002 " out2
'

test_expect_success 'list: newest first, filters, json' '
	mreg list >list &&
	test_line_count = 7 list &&
	mreg list home_ranker >hr &&
	test_line_count = 5 hr &&
	mreg list --owner nobody >none &&
	test_line_count = 0 none &&
	mreg list --status candidate >cand &&
	test_line_count = 7 cand &&
	mreg list --json home_ranker >list.json &&
	python3 - list.json <<-\EOF
	import json, sys
	rows = json.load(open(sys.argv[1]))
	assert len(rows) == 5, rows
	for r in rows:
	    assert set(r) == {"name", "version", "ref", "digest", "status", "owner", "time"}, r
	    assert r["ref"] == r["name"] + "@" + r["version"]
	    assert r["digest"].startswith("sha256:") and len(r["digest"]) == 71
	times = [r["time"] for r in rows]
	assert times == sorted(times, reverse=True), times
	EOF
'

test_expect_success 'an external artifact: artifact_uri with sha256 and size' '
	mkdir ext &&
	sed -e "s|^artifact: .*|artifact_uri: s3://models/home_ranker/20260702_009/model.onnx\nsha256: $(printf %064d 7)\nsize: 123456|" \
	    -e "s/^model_version: .*/model_version: ext_009/" \
	    -e "/^components:/,/^training:/{/^training:/!d}" b1/mreg.yaml >ext/mreg.yaml &&
	mreg register ext/mreg.yaml &&
	mreg show --json home_ranker@ext_009 >ext.json &&
	test "$(json_get ext.json "[\"artifact\"][\"uri\"]")" = s3://models/home_ranker/20260702_009/model.onnx &&
	test "$(json_get ext.json "[\"artifact\"][\"size\"]")" = 123456 &&
	test_expect_code 1 mreg cat home_ranker@ext_009 s3://models/home_ranker/20260702_009/model.onnx
'

test_expect_success 'x- keys are kept in the bundle' '
	make_bundle xk xkeys 4 &&
	printf "x-team-notes: {ticket: REC-42}\n" >>xk/mreg.yaml &&
	mreg register xk/mreg.yaml &&
	mreg cat home_ranker@xkeys bundle.yaml >xb &&
	tail -2 xb >actual &&
	printf "x-team-notes:\n  ticket: REC-42\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'the same manifest with keys reordered gives the same digest' '
	make_bundle r1 reorder 4 &&
	mkdir r2 && cp -R r1/* r2/ &&
	python3 - r1/mreg.yaml >r2/mreg.yaml <<-\EOF &&
	import sys
	lines = open(sys.argv[1]).read().split("\n")
	# move the top-level card block to the front
	i = lines.index("card:")
	print("\n".join(lines[i:i+4] + lines[:i] + lines[i+4:]))
	EOF
	mreg register r1/mreg.yaml >d1 &&
	mreg register --version reorder2 r2/mreg.yaml >/dev/null &&
	mreg cat home_ranker@reorder bundle.yaml | sed "s/^version: .*//" >y1 &&
	mreg cat home_ranker@reorder2 bundle.yaml | sed "s/^version: .*//" >y2 &&
	test_cmp y1 y2
'

test_expect_success 'a message cannot forge the trailers list and show read' '
	make_bundle f forge 4 &&
	mreg register -m "$(printf "x\nMreg-State: production\nMreg-Owner: mallory\nMreg-Digest: sha256:00")" f/mreg.yaml &&
	mreg show --json home_ranker@forge >f.json &&
	test "$(json_get f.json "[\"status\"]")" = candidate &&
	test "$(json_get f.json "[\"owner\"]")" = recsys-ranking &&
	mreg list --json home_ranker >fl.json &&
	python3 -c "import json; r=[x for x in json.load(open(\"fl.json\")) if x[\"version\"]==\"forge\"][0]; assert r[\"status\"]==\"candidate\" and r[\"owner\"]==\"recsys-ranking\", r"
'

test_expect_success 'metrics must be finite' '
	make_bundle nf nonfinite 4 &&
	sed -i "s/ndcg_at_20: 0.412/ndcg_at_20: .nan/" nf/mreg.yaml &&
	test_expect_code 128 mreg register nf/mreg.yaml 2>err &&
	grep "must be a finite number" err
'

test_expect_success 'fsck is clean' '
	mreg fsck >out 2>err &&
	test_must_be_empty out
'

test_done
