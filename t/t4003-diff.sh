#!/bin/sh
test_description='mreg diff shows two versions side by side

The metadata that differs, every component with what changed (version,
content, added, removed), and every metric with its absolute and relative
change, as text and as JSON.'
. ./test-lib.sh
. "$TEST_DIRECTORY"/lib-bundle.sh

OLD=home_ranker@v1
NEW=home_ranker@v2

test_expect_success 'setup: two versions that differ in every way' '
	setup_registry &&
	MB_SEED=same make_bundle b1 v1 4 &&
	MB_SEED=same make_bundle b2 v2 4 &&
	sed -i -e "s/code_version: 3f2c9e1/code_version: 4a5b6c7/" \
		-e "s/home_click_purchase_hide_cal_v5/home_click_purchase_hide_cal_v6/" \
		-e "s/ndcg_at_20: 0.412/ndcg_at_20: 0.416/" \
		-e "s/latency_ms: {p95: 14}/latency_ms: {p95: 15, p99: 31}/" \
		-e "s/new_user: {ndcg_at_20: 0.29}/new_user: {ndcg_at_20: 0.285}/" \
		-e "/normalization_stats:/d" \
		-e "s/intended_surfaces: \[home_feed\]/intended_surfaces: [home_feed, search]/" \
		b2/mreg.yaml &&
	echo "music" >>b2/vocab/category_id.txt &&
	sed -i -e "s/logloss_click: 0.221, //" b1/mreg.yaml &&
	mreg register b1/mreg.yaml &&
	mreg register b2/mreg.yaml
'

test_expect_success 'text: metadata, components and metrics' '
	mreg diff $OLD $NEW >out &&
	sed -e "s/sha256:[0-9a-f]\{64\}/DIGEST/" out >actual &&
	cat >expect <<-\EOF &&
	old  home_ranker@v1  DIGEST
	new  home_ranker@v2  DIGEST

	metadata                  home_ranker@v1  home_ranker@v2
	  version                 v1              v2
	  training.code_version   3f2c9e1         4a5b6c7
	  card.intended_surfaces  [home_feed]     [home_feed, search]

	components                       home_ranker@v1                   home_ranker@v2                   change
	  artifact                       sha256:377d53f2e47b              sha256:377d53f2e47b              unchanged
	  calibration                    home_click_purchase_hide_cal_v5  home_click_purchase_hide_cal_v6  version
	  categorical_vocab.category_id  category_vocab_v6                category_vocab_v6                content
	  feature_schema                 home_feature_schema_v18          home_feature_schema_v18          unchanged
	  feature_set                    home_features_v18                home_features_v18                unchanged
	  normalization_stats            dense_norm_v4                    -                                removed
	  utility_policy                 home_utility_v7                  home_utility_v7                  unchanged

	metrics                           home_ranker@v1  home_ranker@v2  delta   relative
	  guardrail.cold_item_ndcg_at_20  0.301           0.301           0       0.00%
	  guardrail.new_user_ndcg_at_20   0.287           0.287           0       0.00%
	  guardrail.predicted_hide_rate   0.019           0.019           0       0.00%
	  latency_ms.p95                  14              15              +1      +7.14%
	  latency_ms.p99                  -               31              -       -
	  offline.auc_click               0.781           0.781           0       0.00%
	  offline.calibration_ece_click   0.012           0.012           0       0.00%
	  offline.logloss_click           -               0.221           -       -
	  offline.ndcg_at_20              0.412           0.416           +0.004  +0.97%
	  segments.new_item.coverage      0.72            0.72            0       0.00%
	  segments.new_user.ndcg_at_20    0.29            0.285           -0.005  -1.72%
	  segments.warm_user.ndcg_at_20   0.44            0.44            0       0.00%
	EOF
	test_cmp expect actual
'

test_expect_success '--json: the documented fields' '
	mreg diff --json $OLD $NEW >out.json &&
	test "$(json_get out.json "[\"old\"][\"ref\"]")" = $OLD &&
	test "$(json_get out.json "[\"new\"][\"digest\"]")" = "$(mreg show --json $NEW | python3 -c "import json,sys; print(json.load(sys.stdin)[\"digest\"])")" &&
	python3 -c "import json; print(json.dumps(json.load(open(\"out.json\"))[\"metadata\"]))" >actual &&
	cat >expect <<-\EOF &&
	[{"field": "version", "old": "v1", "new": "v2"}, {"field": "training.code_version", "old": "3f2c9e1", "new": "4a5b6c7"}, {"field": "card.intended_surfaces", "old": ["home_feed"], "new": ["home_feed", "search"]}]
	EOF
	test_cmp expect actual &&
	python3 -c "import json
for c in json.load(open(\"out.json\"))[\"components\"]:
    print(c[\"component\"], c[\"kind\"], c[\"name\"], c[\"change\"],
          c[\"old\"] and c[\"old\"][\"version\"], c[\"new\"] and c[\"new\"][\"version\"])" >actual &&
	cat >expect <<-\EOF &&
	artifact artifact None unchanged None None
	calibration calibration None version home_click_purchase_hide_cal_v5 home_click_purchase_hide_cal_v6
	categorical_vocab.category_id categorical_vocab category_id content category_vocab_v6 category_vocab_v6
	feature_schema feature_schema None unchanged home_feature_schema_v18 home_feature_schema_v18
	feature_set feature_set None unchanged home_features_v18 home_features_v18
	normalization_stats normalization_stats None removed dense_norm_v4 None
	utility_policy utility_policy None unchanged home_utility_v7 home_utility_v7
	EOF
	test_cmp expect actual
'

test_expect_success '--json: metrics with delta and relative change as numbers' '
	mreg diff --json $OLD $NEW >out.json &&
	python3 -c "import json
for m in json.load(open(\"out.json\"))[\"metrics\"]:
    if m[\"metric\"] in (\"offline.ndcg_at_20\", \"latency_ms.p95\", \"latency_ms.p99\", \"offline.auc_click\"):
        print(json.dumps(m))" >actual &&
	cat >expect <<-\EOF &&
	{"metric": "latency_ms.p95", "old": 14, "new": 15, "delta": 1, "relative": 0.0714286}
	{"metric": "latency_ms.p99", "old": null, "new": 31, "delta": null, "relative": null}
	{"metric": "offline.auc_click", "old": 0.781, "new": 0.781, "delta": 0, "relative": 0.0}
	{"metric": "offline.ndcg_at_20", "old": 0.412, "new": 0.416, "delta": 0.004, "relative": 0.00970874}
	EOF
	test_cmp expect actual
'

test_expect_success 'added components, and a version against itself' '
	mreg diff --json $NEW $OLD >out.json &&
	python3 -c "import json
print(*[c[\"change\"] for c in json.load(open(\"out.json\"))[\"components\"] if c[\"kind\"] == \"normalization_stats\"])" >actual &&
	echo added >expect &&
	test_cmp expect actual &&
	mreg diff $OLD $OLD >out &&
	grep "^metadata  (no differences)$" out &&
	! grep -E "version$|content$|added$|removed$" out
'

test_expect_success 'errors: unknown version 1, usage 129' '
	test_expect_code 1 mreg diff $OLD home_ranker@v9 2>err &&
	grep "^error: .*home_ranker@v9" err &&
	test_expect_code 129 mreg diff $OLD 2>err &&
	test_expect_code 129 mreg diff --bogus $OLD $NEW 2>err
'

test_done
