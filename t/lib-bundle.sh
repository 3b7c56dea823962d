# lib-bundle.sh: small, real bundles for the tests.
#
# make_bundle DIR [VERSION [ARTIFACT_KB]] writes DIR/mreg.yaml (the
# manifest of issue #2, with VERSION as model_version) and every file it
# names; the artifact is ARTIFACT_KB kilobytes (default 64) of bytes that
# depend on VERSION, so two versions differ unless told otherwise.

make_bundle () {
	mb_dir=$1
	mb_version=${2:-home_ranker_20260702_001}
	mb_kb=${3:-64}
	mkdir -p "$mb_dir/model" "$mb_dir/features" "$mb_dir/calibration" \
		"$mb_dir/policy" "$mb_dir/norm" "$mb_dir/vocab" &&
	python3 -c '
import hashlib, sys
seed, kb = sys.argv[1].encode(), int(sys.argv[2])
out = sys.stdout.buffer
block = hashlib.sha512(seed).digest() * 16
for i in range(kb):
    out.write(hashlib.sha512(block + str(i).encode()).digest() * 16)
' "${MB_SEED:-$mb_version}" "$mb_kb" >"$mb_dir/model/ranker.onnx" &&
	printf 'features: [user_age_bucket, item_ctr_7d, category_id]\n' >"$mb_dir/features/feature_set.yaml" &&
	printf 'user_age_bucket: int\nitem_ctr_7d: float\ncategory_id: categorical\n' >"$mb_dir/features/schema.yaml" &&
	printf '{"click": {"a": 1.02, "b": -0.03}}\n' >"$mb_dir/calibration/cal.json" &&
	printf 'weights: {click: 1.0, purchase: 5.0, hide: -3.0}\n' >"$mb_dir/policy/utility.yaml" &&
	printf '{"item_ctr_7d": {"mean": 0.031, "std": 0.02}}\n' >"$mb_dir/norm/dense.json" &&
	printf 'books\nmusic\ngames\n' >"$mb_dir/vocab/category_id.txt" &&
	cat >"$mb_dir/mreg.yaml" <<-EOF_MANIFEST
	model_name: home_ranker
	model_version: $mb_version
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
	  offline: {ndcg_at_20: 0.412, auc_click: 0.781, logloss_click: 0.221, calibration_ece_click: 0.012}
	  guardrail: {predicted_hide_rate: 0.019, cold_item_ndcg_at_20: 0.301, new_user_ndcg_at_20: 0.287}
	  latency_ms: {p95: 14}
	  segments:
	    new_user: {ndcg_at_20: 0.29}
	    warm_user: {ndcg_at_20: 0.44}
	    new_item: {coverage: 0.72}
	privacy: {training_data_privacy_class: internal, personal_data: pseudonymous, sensitive_features: [], tenant_scope: global, retention: 400d}
	card:
	  purpose: Rank home feed candidates by multi-task utility
	  intended_surfaces: [home_feed]
	  known_limitations: Cold-start users are under-represented
	EOF_MANIFEST
}

# setup_registry: a registry in ./.mreg with an identity.
setup_registry () {
	mreg init -q &&
	mreg config set user.name "A U Thor" &&
	mreg config set user.email author@example.com
}

# json_get FILE EXPR: prints a field of a JSON document, e.g.
# json_get out.json '["artifact"]["size"]'.
json_get () {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=eval("d"+sys.argv[2]); print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$1" "$2"
}

# registry_state: every ref and every artifact, to show nothing changed.
registry_state () {
	git --git-dir=.mreg for-each-ref --format='%(objectname) %(refname)' &&
	(cd .mreg && find artifacts tmp -type f | sort)
}
