#!/bin/sh
test_description='mreg gate --env: compatibility with the serving environment

Each check (feature_set, feature_types, vocab, normalization, calibration,
runtime, input_dimension, privacy) passing and failing with a message that
names what is missing or mismatched; feature_compatibility runs them all;
the bundle'"'"'s feature schema is read through the verified path in both
of its forms; a bad env file cannot be evaluated.'
. ./test-lib.sh
. "$TEST_DIRECTORY"/lib-bundle.sh

V1=home_ranker@v1

# compat_case CHECK ENV STATUS MESSAGE [REF]: the one result of CHECK.
compat_case () {
	printf "gates:\n  %s: {required: pass}\n" "$1" >c.yaml &&
	test_expect_code $3 mreg gate --json --gates c.yaml --env "$2" ${5:-$V1} >out.json &&
	json_get out.json "[\"gates\"][0][\"message\"]" >actual &&
	echo "$4" >expect &&
	test_cmp expect actual
}

# env_with SED-SCRIPT: serving.yaml edited, into env.yaml.
env_with () {
	sed -e "$1" serving.yaml >env.yaml
}

test_expect_success 'setup' '
	setup_registry &&
	make_bundle b1 v1 4 &&
	mreg register b1/mreg.yaml &&
	cat >serving.yaml <<-\EOF
	name: home_feed_serving
	feature_sets:
	  home_features_v17: {user_age_bucket: int}
	  home_features_v18:
	    user_age_bucket: int
	    item_ctr_7d: float
	    category_id: categorical
	    extra_online_feature: float
	vocabs:
	  category_id: [category_vocab_v5, category_vocab_v6]
	normalization_stats: [dense_norm_v3, dense_norm_v4]
	calibrations: [home_click_purchase_hide_cal_v5]
	runtimes: [gbdt_runtime_v3, onnxruntime_1_17]
	input_dimension: 3
	privacy_classes: [public, internal]
	EOF
'

test_expect_success '--env alone runs every check: feature_compatibility' '
	mreg gate --env serving.yaml $V1 >out &&
	sed -n "/^gate /,\$p" out | cut -d" " -f1 >actual &&
	cat >expect <<-\EOF &&
	gate
	feature_compatibility[feature_set]
	feature_compatibility[feature_types]
	feature_compatibility[vocab]
	feature_compatibility[normalization]
	feature_compatibility[calibration]
	feature_compatibility[runtime]
	feature_compatibility[input_dimension]
	feature_compatibility[privacy]

	8
	EOF
	test_cmp expect actual &&
	tail -n 1 out >actual &&
	echo "8 of 8 gates passed" >expect &&
	test_cmp expect actual
'

test_expect_success 'a compatibility result in JSON' '
	compat_case runtime serving.yaml 0 "runtime supported: gbdt_runtime_v3" &&
	cat >expect <<-\EOF &&
	{"name": "runtime", "metric": null, "candidate": null, "champion": null, "rule": "required", "threshold": null, "passed": true, "message": "runtime supported: gbdt_runtime_v3"}
	EOF
	python3 -c "import json; print(json.dumps(json.load(open(\"out.json\"))[\"gates\"][0]))" >actual &&
	test_cmp expect actual
'

test_expect_success 'feature_set' '
	compat_case feature_set serving.yaml 0 \
		"feature set '"'"'home_features_v18'"'"' is served with all 3 features" &&
	env_with "/^  home_features_v18:/,/extra_online/d" &&
	compat_case feature_set env.yaml 1 \
		"feature set '"'"'home_features_v18'"'"' is not served (env.yaml feature_sets: home_features_v17)" &&
	env_with "/item_ctr_7d/d" &&
	compat_case feature_set env.yaml 1 \
		"features missing from '"'"'home_features_v18'"'"' online: item_ctr_7d"
'

test_expect_success 'feature_types' '
	compat_case feature_types serving.yaml 0 \
		"all 3 feature types match '"'"'home_features_v18'"'"' online" &&
	env_with "s/item_ctr_7d: float/item_ctr_7d: double/; /category_id: categorical/d" &&
	compat_case feature_types env.yaml 1 \
		"'"'"'item_ctr_7d'"'"' is float in the bundle but double online; '"'"'category_id'"'"' (categorical) is not served"
'

test_expect_success 'vocab' '
	compat_case vocab serving.yaml 0 \
		"vocab versions present online: category_id category_vocab_v6" &&
	env_with "s/category_id: \[category_vocab_v5, category_vocab_v6\]/category_id: category_vocab_v5/" &&
	compat_case vocab env.yaml 1 \
		"vocab category_id category_vocab_v6 is not present online (env.yaml vocabs.category_id: category_vocab_v5)"
'

test_expect_success 'normalization' '
	compat_case normalization serving.yaml 0 \
		"normalization stats present online: dense_norm_v4" &&
	env_with "s/dense_norm_v3, dense_norm_v4/dense_norm_v3/" &&
	compat_case normalization env.yaml 1 \
		"normalization stats dense_norm_v4 is not present online (env.yaml normalization_stats: dense_norm_v3)"
'

test_expect_success 'calibration' '
	compat_case calibration serving.yaml 0 \
		"calibration present online: home_click_purchase_hide_cal_v5" &&
	env_with "/^calibrations:/d" &&
	compat_case calibration env.yaml 1 \
		"calibration home_click_purchase_hide_cal_v5 is not present online (env.yaml lists no calibrations)"
'

test_expect_success 'runtime' '
	compat_case runtime serving.yaml 0 "runtime supported: gbdt_runtime_v3" &&
	env_with "s/runtimes: .*/runtimes: onnxruntime_1_17/" &&
	compat_case runtime env.yaml 1 \
		"runtime gbdt_runtime_v3 is not supported (env.yaml runtimes: onnxruntime_1_17)"
'

test_expect_success 'input_dimension: the features in the schema' '
	compat_case input_dimension serving.yaml 0 \
		"the model takes 3 inputs (features in features/schema.yaml), as serving provides" &&
	env_with "s/input_dimension: 3/input_dimension: 4/" &&
	compat_case input_dimension env.yaml 1 \
		"the model takes 3 inputs (features in features/schema.yaml) but serving provides 4" &&
	env_with "/input_dimension/d" &&
	compat_case input_dimension env.yaml 1 "env.yaml gives no input_dimension"
'

test_expect_success 'privacy' '
	compat_case privacy serving.yaml 0 "privacy class internal is allowed" &&
	env_with "s/privacy_classes: .*/privacy_classes: [public]/" &&
	compat_case privacy env.yaml 1 \
		"privacy class internal is not allowed (env.yaml privacy_classes: public)"
'

test_expect_success 'feature_compatibility fails when one check fails, naming it' '
	env_with "s/runtimes: .*/runtimes: onnxruntime_1_17/" &&
	test_expect_code 1 mreg gate --env env.yaml $V1 >out &&
	sed -n "/^failed:/,\$p" out >actual &&
	cat >expect <<-\EOF &&
	failed:
	  feature_compatibility[runtime]: runtime gbdt_runtime_v3 is not supported (env.yaml runtimes: onnxruntime_1_17)

	1 of 8 gates failed
	EOF
	test_cmp expect actual
'

test_expect_success 'a list-form schema and hyperparameters.input_dim' '
	make_bundle b2 v2 4 &&
	cat >b2/features/schema.yaml <<-\EOF &&
	features:
	- {name: user_age_bucket, type: int}
	- {name: item_ctr_7d, type: float}
	- {name: category_id, type: categorical}
	EOF
	sed -i "s/^hyperparameters: {/hyperparameters: {input_dim: 16, /" b2/mreg.yaml &&
	mreg register b2/mreg.yaml &&
	compat_case feature_types serving.yaml 0 \
		"all 3 feature types match '"'"'home_features_v18'"'"' online" home_ranker@v2 &&
	compat_case input_dimension serving.yaml 1 \
		"the model takes 16 inputs (hyperparameters.input_dim) but serving provides 3" home_ranker@v2
'

test_expect_success 'a schema with facts about it: features: beside input_dim' '
	make_bundle b6 v6 4 &&
	cat >b6/features/schema.yaml <<-\EOF &&
	schema_version: home_feature_schema_v18
	feature_set: home_features_v18
	input_dim: 3
	features:
	  - {name: user_age_bucket, type: int, kind: categorical, buckets: 8}
	  - {name: item_ctr_7d, type: float, kind: dense, normalization: zscore}
	  - {name: category_id, type: categorical, vocab: category_id}
	EOF
	mreg register b6/mreg.yaml &&
	compat_case feature_set serving.yaml 0 \
		"feature set '"'"'home_features_v18'"'"' is served with all 3 features" home_ranker@v6 &&
	compat_case input_dimension serving.yaml 0 \
		"the model takes 3 inputs (input_dim in features/schema.yaml), as serving provides" home_ranker@v6
'

test_expect_success 'a schema that is not a feature list fails the checks that need it' '
	make_bundle b3 v3 4 &&
	printf "user_age_bucket: int\nitem_ctr_7d:\n" >b3/features/schema.yaml &&
	mreg register b3/mreg.yaml &&
	compat_case feature_types serving.yaml 1 \
		"bad feature schema: home_ranker@v3:features/schema.yaml:2:13: feature '"'"'item_ctr_7d'"'"' needs a type" home_ranker@v3
'

test_expect_success 'a check whose input is absent from the bundle fails or says so' '
	make_bundle b4 v4 4 &&
	sed -i -e "/^runtime:/d" -e "/feature_schema:/d" b4/mreg.yaml &&
	mreg register b4/mreg.yaml &&
	compat_case runtime serving.yaml 1 "candidate home_ranker@v4 names no runtime" home_ranker@v4 &&
	compat_case feature_types serving.yaml 1 \
		"candidate home_ranker@v4 has no feature_schema component: feature types cannot be checked" home_ranker@v4 &&
	compat_case feature_set serving.yaml 0 \
		"feature set '"'"'home_features_v18'"'"' is served (candidate home_ranker@v4 has no feature_schema to check its features against)" home_ranker@v4
'

test_expect_success 'metric gates and compatibility gates together' '
	cat >g.yaml <<-\EOF &&
	gates:
	  ndcg_at_20: {min: 0.4}
	  serving: {check: feature_types, required: pass}
	EOF
	mreg gate --json --gates g.yaml --env serving.yaml $V1 >out.json &&
	test "$(json_get out.json "[\"gates\"][1][\"name\"]")" = serving &&
	test "$(json_get out.json "[\"passed\"]")" = true &&
	printf "gates:\n  ndcg_at_20: {min: 0.4}\n" >g.yaml &&
	mreg gate --json --gates g.yaml --env serving.yaml $V1 >out.json &&
	test "$(json_get out.json "[\"gates\"][8][\"name\"]")" = "feature_compatibility[privacy]"
'

test_expect_success 'exit 128: a malformed or unreadable env file' '
	printf "runtimes: [a\n" >bad.yaml &&
	test_expect_code 128 mreg gate --env bad.yaml $V1 2>err &&
	grep "^error: bad.yaml:2:1: " err &&
	printf "runtime: [a]\n" >bad.yaml &&
	test_expect_code 128 mreg gate --env bad.yaml $V1 2>err &&
	grep "^error: bad.yaml:1:10: unknown key '"'"'runtime'"'"'" err &&
	printf "input_dimension: many\n" >bad.yaml &&
	test_expect_code 128 mreg gate --env bad.yaml $V1 2>err &&
	grep "^error: bad.yaml:1:18: '"'"'input_dimension'"'"' must be a whole number above 0" err &&
	printf "feature_sets:\n  fs: [{name: a}]\n" >bad.yaml &&
	test_expect_code 128 mreg gate --env bad.yaml $V1 2>err &&
	grep "^error: bad.yaml:2:8: feature '"'"'a'"'"' needs a type" err &&
	test_expect_code 128 mreg gate --env no-such.yaml $V1 2>err &&
	grep "^error: cannot read '"'"'no-such.yaml'"'"'" err
'

test_expect_success 'exit 128: an unknown check' '
	printf "gates:\n  gpu_memory: {required: pass}\n" >g.yaml &&
	test_expect_code 128 mreg gate --gates g.yaml --env serving.yaml $V1 2>err &&
	grep "^error: g.yaml:2:15: gate '"'"'gpu_memory'"'"': unknown compatibility check" err
'

test_done
