#!/bin/sh
test_description='the policy says which manifests may be registered

required_fields, allowed_runtimes and allowed_privacy_classes are checked
before a byte is stored; a refused registration changes nothing.'
. ./test-lib.sh
. "$TEST_DIRECTORY"/lib-bundle.sh

# policy_with LINES...: a policy of this registry's key, plus LINES.
policy_with () {
	{
		echo "mreg_policy: 1" &&
		echo "principals:" &&
		echo "  author@example.com: {key: \"$(cat key.pub)\"}" &&
		echo "roots: [author@example.com]" &&
		printf "%s\n" "$@"
	} >policy.yaml &&
	mreg policy set policy.yaml >/dev/null
}

test_expect_success 'setup' '
	setup_registry &&
	mreg keygen -f key >/dev/null 2>&1 &&
	make_bundle b v1 4 &&
	mreg register b/mreg.yaml >/dev/null
'

test_expect_success 'a required field the manifest lacks is refused, naming it' '
	policy_with "required_fields: [card.purpose, card.rollback_plan]" &&
	sed -i "s/^model_version: .*/model_version: v2/" b/mreg.yaml &&
	registry_state >before &&
	test_expect_code 128 mreg register b/mreg.yaml 2>err &&
	grep "the policy requires .card.rollback_plan. in every manifest" err &&
	registry_state >after &&
	test_cmp before after
'

test_expect_success 'with the field, the same manifest registers' '
	sed -i "s/^  purpose: .*/&\n  rollback_plan: route back to the previous bundle/" b/mreg.yaml &&
	mreg register b/mreg.yaml
'

test_expect_success 'a runtime the policy does not allow is refused' '
	policy_with "allowed_runtimes: [onnx_runtime_v1]" &&
	sed -i "s/^model_version: .*/model_version: v3/" b/mreg.yaml &&
	test_expect_code 128 mreg register b/mreg.yaml 2>err &&
	grep "the policy does not allow the runtime .gbdt_runtime_v3." err &&
	policy_with "allowed_runtimes: [onnx_runtime_v1, gbdt_runtime_v3]" &&
	mreg register b/mreg.yaml
'

test_expect_success 'a privacy class the policy does not allow is refused' '
	policy_with "allowed_privacy_classes: [public]" &&
	sed -i "s/^model_version: .*/model_version: v4/" b/mreg.yaml &&
	test_expect_code 128 mreg register b/mreg.yaml 2>err &&
	grep "the policy does not allow the privacy class .internal." err &&
	policy_with "allowed_privacy_classes: [public, internal]" &&
	mreg register b/mreg.yaml &&
	mreg verify >/dev/null
'

test_done
