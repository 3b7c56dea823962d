#!/bin/sh
# make-bundle.sh DIR [SEED] [SIZE_MB]: write a realistic model bundle for
# the demo and the benchmarks: a SIZE_MB MiB artifact (default 50) of
# pseudo-random bytes, every component a home-feed ranker ships with, and
# the manifest, DIR/mreg.yaml. The same SEED gives the same bytes; the
# version name and the metrics follow SEED, so two seeds give two versions
# of one model. Seed 1 gives exactly the manifest of Documentation's
# example.

set -e

usage () {
	echo "usage: make-bundle.sh DIR [SEED] [SIZE_MB]" >&2
	exit 129
}

test $# -ge 1 && test $# -le 3 || usage
dir=$1
seed=${2:-1}
size_mb=${3:-50}
case "$seed" in ''|*[!0-9]*) usage ;; esac
case "$size_mb" in ''|*[!0-9]*) usage ;; esac

mkdir -p "$dir/model" "$dir/features" "$dir/calibration" "$dir/policy" \
	"$dir/norm" "$dir/vocab"

# The artifact: AES-128-CTR over zeros is a fast, seeded, incompressible
# stream, which is what float weights look like to a compressor.
key=$(printf '%032x' "$seed")
iv=$(printf '%032x' $((seed * 7919)))
openssl enc -aes-128-ctr -K "$key" -iv "$iv" -nosalt </dev/zero 2>/dev/null |
	head -c $((size_mb * 1048576)) >"$dir/model/ranker.onnx"
test "$(wc -c <"$dir/model/ranker.onnx")" -eq $((size_mb * 1048576)) || {
	echo "make-bundle.sh: could not write $dir/model/ranker.onnx" >&2
	exit 1
}

cat >"$dir/features/feature_set.yaml" <<\EOF
# Online feature set for the home feed ranker.
feature_set: home_features_v18
entity_keys: [user_id, item_id]
online_store: home_features_online
groups:
  user_profile:
    source: warehouse.user_profile_daily
    ttl: 24h
    features: [user_age_bucket, user_country, user_tenure_days, device_type]
  user_activity:
    source: stream.user_activity_agg
    ttl: 15m
    features: [user_ctr_7d, user_purchase_count_30d, user_hide_count_7d,
               session_depth]
  item_profile:
    source: warehouse.item_catalog_hourly
    ttl: 1h
    features: [category_id, brand_id, item_price, item_age_hours]
  item_engagement:
    source: stream.item_engagement_agg
    ttl: 15m
    features: [item_ctr_7d, item_purchase_rate_30d, item_hide_rate_7d,
               item_impressions_1d]
  user_item:
    source: online.user_item_crosses
    ttl: 15m
    features: [user_category_affinity, user_item_embedding_dot]
  context:
    source: request
    features: [hour_of_day, day_of_week, position]
EOF

cat >"$dir/features/schema.yaml" <<\EOF
# Feature schema: the model's input, in input order.
schema_version: home_feature_schema_v18
feature_set: home_features_v18
input_dim: 21
features:
  - {name: user_age_bucket,          type: int32,       kind: categorical, buckets: 8}
  - {name: user_country,             type: string,      kind: categorical, hashed: 1024}
  - {name: user_tenure_days,         type: float32,     kind: dense, normalization: log1p_zscore}
  - {name: device_type,              type: string,      kind: categorical, values: [ios, android, web]}
  - {name: user_ctr_7d,              type: float32,     kind: dense, normalization: zscore}
  - {name: user_purchase_count_30d,  type: int32,       kind: dense, normalization: log1p_zscore}
  - {name: user_hide_count_7d,       type: int32,       kind: dense, normalization: log1p_zscore}
  - {name: session_depth,            type: int32,       kind: dense, normalization: clip_50}
  - {name: category_id,              type: string,      kind: categorical, vocab: category_id}
  - {name: brand_id,                 type: int64,       kind: categorical, hashed: 65536}
  - {name: item_price,               type: float32,     kind: dense, normalization: log1p_zscore}
  - {name: item_age_hours,           type: float32,     kind: dense, normalization: log1p_zscore}
  - {name: item_ctr_7d,              type: float32,     kind: dense, normalization: zscore}
  - {name: item_purchase_rate_30d,   type: float32,     kind: dense, normalization: zscore}
  - {name: item_hide_rate_7d,        type: float32,     kind: dense, normalization: zscore}
  - {name: item_impressions_1d,      type: int64,       kind: dense, normalization: log1p_zscore}
  - {name: user_category_affinity,   type: float32,     kind: dense, normalization: none}
  - {name: user_item_embedding_dot,  type: float32,     kind: dense, normalization: zscore}
  - {name: hour_of_day,              type: int32,       kind: categorical, buckets: 24}
  - {name: day_of_week,              type: int32,       kind: categorical, buckets: 7}
  - {name: position,                 type: int32,       kind: dense, normalization: none, train_only: true}
EOF

cat >"$dir/calibration/cal.json" <<\EOF
{
  "version": "home_click_purchase_hide_cal_v5",
  "method": "isotonic",
  "fitted_on": "home_ranker_ds_20260701_001:holdout",
  "heads": {
    "click_30m": {
      "x": [0.0, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 1.0],
      "y": [0.0, 0.011, 0.034, 0.081, 0.176, 0.322, 0.471, 0.664, 0.97]
    },
    "purchase_7d": {
      "x": [0.0, 0.005, 0.01, 0.03, 0.06, 0.1, 0.2, 1.0],
      "y": [0.0, 0.002, 0.006, 0.021, 0.047, 0.083, 0.171, 0.9]
    },
    "hide_7d": {
      "x": [0.0, 0.01, 0.03, 0.08, 0.15, 1.0],
      "y": [0.0, 0.004, 0.017, 0.061, 0.122, 0.85]
    }
  }
}
EOF

cat >"$dir/policy/utility.yaml" <<\EOF
# Utility = sum of calibrated head probabilities times their weights.
utility_policy: home_utility_v7
heads:
  click_30m:   {weight: 1.0}
  purchase_7d: {weight: 4.0}
  hide_7d:     {weight: -2.5}
clip: {min: -1.0, max: 5.0}
tie_break: item_ctr_7d
diversity:
  max_per_category_in_top_10: 3
  max_per_brand_in_top_10: 2
EOF

cat >"$dir/norm/dense.json" <<\EOF
{
  "version": "dense_norm_v4",
  "computed_on": "home_ranker_ds_20260701_001:train",
  "features": {
    "user_tenure_days":        {"transform": "log1p", "mean": 5.112, "std": 1.482},
    "user_ctr_7d":             {"mean": 0.0634, "std": 0.0411},
    "user_purchase_count_30d": {"transform": "log1p", "mean": 0.731, "std": 0.902},
    "user_hide_count_7d":      {"transform": "log1p", "mean": 0.118, "std": 0.337},
    "item_price":              {"transform": "log1p", "mean": 3.284, "std": 1.117},
    "item_age_hours":          {"transform": "log1p", "mean": 6.401, "std": 1.935},
    "item_ctr_7d":             {"mean": 0.0587, "std": 0.0362},
    "item_purchase_rate_30d":  {"mean": 0.0071, "std": 0.0094},
    "item_hide_rate_7d":       {"mean": 0.0183, "std": 0.0149},
    "item_impressions_1d":     {"transform": "log1p", "mean": 7.842, "std": 2.216},
    "user_item_embedding_dot": {"mean": 0.142, "std": 0.218}
  }
}
EOF

# A vocabulary of 301 category ids: <unk>, then department/subcategory.
awk 'BEGIN {
	nd = split("home_kitchen electronics fashion beauty sports toys " \
		"books grocery garden automotive pets baby office health " \
		"music", d, " ")
	ns = split("bestsellers new_arrivals deals essentials premium " \
		"accessories storage lighting decor tools outdoor kids " \
		"gifts seasonal refurbished bundles eco travel smart " \
		"clearance", s, " ")
	print "<unk>\t0"
	n = 1
	for (i = 1; i <= nd; i++)
		for (j = 1; j <= ns; j++)
			printf "%s/%s\t%d\n", d[i], s[j], n++
}' >"$dir/vocab/category_id.txt"

# The manifest. Seed 1 is the reference version; later seeds are retrains
# whose metrics move a little.
version=$(printf 'home_ranker_20260702_%03d' "$seed")
eval "$(awk -v s="$seed" 'BEGIN {
	k = (s - 1) % 10
	printf "ndcg=%.3f auc=%.3f logloss=%.3f ece=%.3f ",
		0.412 + 0.004 * k, 0.781 + 0.002 * k,
		0.221 - 0.001 * k, 0.012 - 0.0005 * k
	printf "hide=%.3f cold=%.3f newu=%.3f p95=%d ",
		0.019 - 0.0005 * k, 0.301 + 0.003 * k, 0.287 + 0.004 * k,
		14 + k % 3
	printf "seg_new=%.2f seg_warm=%.2f cov=%.2f\n",
		0.29 + 0.01 * k, 0.44 + 0.01 * k, 0.72 + 0.01 * k
}')"

cat >"$dir/mreg.yaml" <<EOF
model_name: home_ranker
model_version: $version
model_type: gbdt_pointwise
objective: multi_task_utility_components
owner: recsys-ranking
runtime: gbdt_runtime_v3
artifact: model/ranker.onnx
components:
  feature_set:         {version: home_features_v18, path: features/feature_set.yaml}
  feature_schema:      {version: home_feature_schema_v18, path: features/schema.yaml}
  calibration:         {version: home_click_purchase_hide_cal_v5, path: calibration/cal.json}
  utility_policy:      {version: home_utility_v7, path: policy/utility.yaml}
  normalization_stats: {version: dense_norm_v4, path: norm/dense.json}
  categorical_vocab:
    category_id:       {version: category_vocab_v6, path: vocab/category_id.txt}
training:
  job_id: train_abc123
  code_version: 3f2c9e1
  container_image: recsys-train:20260702
  random_seed: 42
  created_at: 2026-07-02T03:00:00Z
lineage:
  training_dataset_version: home_ranker_ds_20260701_001
  feature_set_version: home_features_v18
  label_versions: {click_30m: v3, purchase_7d: v2, hide_7d: v1}
  negative_sampling_policy: exposed_no_click_v4
  source_data: {clean_events: "20260701", decision_logs: "20260701"}
hyperparameters: {num_trees: 800, learning_rate: 0.05, max_depth: 8, min_data_in_leaf: 100, subsample: 0.8}
metrics:
  offline: {ndcg_at_20: $ndcg, auc_click: $auc, logloss_click: $logloss, calibration_ece_click: $ece}
  guardrail: {predicted_hide_rate: $hide, cold_item_ndcg_at_20: $cold, new_user_ndcg_at_20: $newu}
  latency_ms: {p95: $p95}
  segments:
    new_user: {ndcg_at_20: $seg_new}
    warm_user: {ndcg_at_20: $seg_warm}
    new_item: {coverage: $cov}
privacy: {training_data_privacy_class: internal, personal_data: pseudonymous, sensitive_features: [], tenant_scope: global, retention: 400d}
card:
  purpose: Rank home feed candidates by multi-task utility
  intended_surfaces: [home_feed]
  known_limitations: Cold-start users are under-represented
EOF
