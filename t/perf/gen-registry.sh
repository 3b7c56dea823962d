#!/bin/sh
# gen-registry.sh DIR [N]: make a registry in DIR (DIR/.mreg) holding N
# model versions (default 10000): ten model names, N/10 versions each,
# every one a small bundle (a tiny artifact of its own, shared components,
# a generated manifest) registered with the CLI. Prints how long it took.
#
# MREG_PERF_JOBS sets how many "mreg register" run at once (default: the
# number of CPUs); each one registers versions of one model at a time.

set -e

usage () {
	echo "usage: gen-registry.sh DIR [N]" >&2
	exit 129
}

test $# -ge 1 && test $# -le 2 || usage
dir=$1
n=${2:-10000}
case "$n" in ''|*[!0-9]*) usage ;; esac
top=$(cd "$(dirname "$0")/../.." && pwd)
mreg=$top/mreg
jobs=${MREG_PERF_JOBS:-$(nproc 2>/dev/null || echo 2)}
unset MREG_DIR GIT_DIR

test -x "$mreg" || {
	echo "gen-registry.sh: $mreg is not built; run make" >&2
	exit 1
}
if test -e "$dir/.mreg"
then
	echo "gen-registry.sh: $dir/.mreg already exists" >&2
	exit 1
fi

# Others may rebuild ./mreg while this runs: use a copy, and of its core.
bin=$(mktemp -d "${TMPDIR:-/tmp}/mreg-bin.XXXXXX")
trap 'rm -rf "$bin"' EXIT
cp "$mreg" "$mreg-core.so" "$bin/"
mreg=$bin/mreg

start=$(date +%s)
mkdir -p "$dir"
"$mreg" init -q "$dir"
reg=$(cd "$dir/.mreg" && pwd)
"$mreg" -R "$reg" config set user.name "Registry Generator"
"$mreg" -R "$reg" config set user.email generator@example.com

# The inputs live beside the registry, not in it.
src=$(cd "$dir" && pwd)/.gen-input
rm -rf "$src"
trap 'rm -rf "$bin" "$src"' EXIT
mkdir -p "$src/features" "$src/vocab" "$src/model"
printf 'feature_set: perf_features_v1\nfeatures: [user_ctr_7d, item_ctr_7d]\n' \
	>"$src/features/feature_set.yaml"
printf '<unk>\t0\ncat_a\t1\ncat_b\t2\n' >"$src/vocab/category_id.txt"

# One awk pass writes every manifest and every (tiny) artifact, and
# the list of manifests per model.
awk -v n="$n" -v src="$src" 'BEGIN {
	nm = split("home_ranker search_ranker related_items push_ranker " \
		"email_ranker ads_ctr ads_cvr query_suggest cart_reco " \
		"video_ranker", model, " ")
	no = split("recsys-ranking search-relevance recsys-ranking growth " \
		"growth ads-modeling ads-modeling search-relevance " \
		"recsys-ranking video-ranking", owner, " ")
	for (i = 0; i < n; i++) {
		m = i % nm + 1
		k = int(i / nm)		# the k-th version of this model
		d = int(k / 3)		# three versions a day
		version = sprintf("%s_%04d%02d%02d_%03d", model[m],
			2026 + int(d / 336), 1 + int(d % 336 / 28),
			1 + d % 28, k % 3 + 1)
		art = sprintf("model/%s.bin", version)
		printf "%s %08d %-51s\n", version, i, "weights" \
			> (src "/" art)
		close(src "/" art)
		mf = sprintf("%s/%s.yaml", src, version)
		print "model_name: " model[m] > mf
		print "model_version: " version > mf
		print "model_type: gbdt_pointwise" > mf
		print "owner: " owner[m] > mf
		print "runtime: gbdt_runtime_v3" > mf
		print "artifact: " art > mf
		print "components:" > mf
		print "  feature_set: {version: perf_features_v1, path: features/feature_set.yaml}" > mf
		print "  categorical_vocab:" > mf
		print "    category_id: {version: category_vocab_v1, path: vocab/category_id.txt}" > mf
		print "training:" > mf
		printf "  job_id: train_%06d\n", i > mf
		print "  code_version: 3f2c9e1" > mf
		printf "  random_seed: %d\n", i % 97 > mf
		print "lineage:" > mf
		printf "  training_dataset_version: %s_ds_%06d\n", model[m], k > mf
		print "  feature_set_version: perf_features_v1" > mf
		print "  label_versions: {click_30m: v3}" > mf
		print "metrics:" > mf
		printf "  offline: {ndcg_at_20: %.4f, auc_click: %.4f}\n",
			0.35 + (i * 7919 % 1000) / 10000,
			0.75 + (i * 104729 % 1000) / 20000 > mf
		printf "  latency_ms: {p95: %d}\n", 10 + i % 7 > mf
		close(mf)
		print mf > (src "/list." m)
	}
	for (m = 1; m <= nm; m++)
		close(src "/list." m)
}'

# One worker per model list, at most $jobs at a time; a failed register
# stops its worker, and the script.
printf '%s\n' "$src"/list.* | xargs -P "$jobs" -I{} sh -c '
	while read -r mf
	do
		"$0" -R "$1" --quiet register "$mf" >/dev/null || {
			echo "gen-registry.sh: mreg register $mf failed" >&2
			exit 255
		}
	done <"$2"' "$mreg" "$reg" {}

end=$(date +%s)
echo "gen-registry.sh: registered $n versions in $dir/.mreg in" \
	"$((end - start)) s ($jobs at a time)"
