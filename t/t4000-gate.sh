#!/bin/sh
test_description='mreg gate judges a candidate by the rules of a gate file

Every rule kind on both sides of its threshold, higher_is_better, metric
lookup, segment wildcards, missing metrics, a zero champion, no champion,
every exit status, the exact JSON of one run, and JUnit that xmllint
validates against a schema.'
. ./test-lib.sh
. "$TEST_DIRECTORY"/lib-bundle.sh

OLD=home_ranker@v1
NEW=home_ranker@v2

# set_metrics DIR: the manifest's metrics section becomes stdin (indented
# by two spaces under "metrics:").
set_metrics () {
	cat >"$1/metrics.in" &&
	awk -v f="$1/metrics.in" '
		/^metrics:/ { print; while ((getline l < f) > 0) print "  " l; skip = 1; next }
		/^[a-z]/ { skip = 0 }
		!skip
	' "$1/mreg.yaml" >"$1/mreg.yaml+" &&
	mv "$1/mreg.yaml+" "$1/mreg.yaml"
}

# gate_case 'GATE: {RULES}' STATUS 'MESSAGE' [REF]: the one result of a
# one-gate file, candidate v2 against v1 (or REF).
gate_case () {
	printf "gates:\n  %s\n" "$1" >case.yaml &&
	test_expect_code $2 mreg gate --json --gates case.yaml \
		--against ${4:-$OLD} $NEW >out.json &&
	json_get out.json "[\"gates\"][0][\"message\"]" >actual &&
	echo "$3" >expect &&
	test_cmp expect actual &&
	test "$(json_get out.json "[\"passed\"]")" = "$(test $2 = 0 && echo true || echo false)"
}

test_expect_success 'setup: a champion, a candidate and one with odd metrics' '
	setup_registry &&
	make_bundle b1 v1 4 &&
	set_metrics b1 <<-\EOF &&
	offline: {ndcg_at_20: 0.412, auc_click: 0.781, calibration_ece_click: 0.012, hide_rate: 0}
	guardrail: {predicted_hide_rate: 0.019}
	latency_ms: {p95: 14, p99: 30}
	segments:
	  new_user: {ndcg_at_20: 0.29}
	  warm_user: {ndcg_at_20: 0.44}
	  old_user: {ndcg_at_20: 0.5}
	  new_item: {coverage: 0.72}
	EOF
	make_bundle b2 v2 4 &&
	set_metrics b2 <<-\EOF &&
	offline: {ndcg_at_20: 0.416, auc_click: 0.781, calibration_ece_click: 0.013, hide_rate: 0.001}
	guardrail: {predicted_hide_rate: 0.0192}
	latency_ms: {p95: 15, p99: 30}
	segments:
	  new_user: {ndcg_at_20: 0.287}
	  warm_user: {ndcg_at_20: 0.442}
	  fresh_user: {ndcg_at_20: 0.1}
	  new_item: {coverage: 0.75}
	EOF
	mreg register b1/mreg.yaml &&
	mreg register b2/mreg.yaml
'

test_expect_success 'min and max' '
	gate_case "ndcg_at_20: {min: 0.416}" 0 "0.416 is at least 0.416" &&
	gate_case "ndcg_at_20: {min: 0.42}" 1 "0.416 is below the minimum 0.42" &&
	gate_case "calibration_ece_click: {max: 0.013}" 0 "0.013 is at most 0.013" &&
	gate_case "calibration_ece_click: {max: 0.012}" 1 "0.013 is above the maximum 0.012"
'

test_expect_success 'min_relative_improvement and min_absolute_improvement' '
	gate_case "ndcg_at_20: {min_relative_improvement: 0.005}" 0 \
		"relative improvement 0.9709% is at least 0.5% (0.416 vs 0.412)" &&
	gate_case "ndcg_at_20: {min_relative_improvement: 0.01}" 1 \
		"relative improvement 0.9709% is below the required 1% (0.416 vs 0.412)" &&
	gate_case "ndcg_at_20: {min_absolute_improvement: 0.004}" 0 \
		"improvement 0.004 is at least 0.004 (0.416 vs 0.412)" &&
	gate_case "ndcg_at_20: {min_absolute_improvement: 0.005}" 1 \
		"improvement 0.004 is below the required 0.005 (0.416 vs 0.412)"
'

test_expect_success 'max_relative_regression and max_absolute_regression' '
	gate_case "nu: {metric: segments.new_user.ndcg_at_20, max_relative_regression: 0.011}" 0 \
		"relative regression 1.034% is within 1.1% (0.287 vs 0.29)" &&
	gate_case "nu: {metric: segments.new_user.ndcg_at_20, max_relative_regression: 0.01}" 1 \
		"relative regression 1.034% exceeds the allowed 1% (0.287 vs 0.29)" &&
	gate_case "nu: {metric: segments.new_user.ndcg_at_20, max_absolute_regression: 0.003}" 0 \
		"regression 0.003 is within 0.003 (0.287 vs 0.29)" &&
	gate_case "nu: {metric: segments.new_user.ndcg_at_20, max_absolute_regression: 0.002}" 1 \
		"regression 0.003 exceeds the allowed 0.002 (0.287 vs 0.29)"
'

test_expect_success 'max_relative_increase and max_absolute_increase' '
	gate_case "hide: {metric: guardrail.predicted_hide_rate, max_relative_increase: 0.02}" 0 \
		"relative increase 1.053% is within 2% (0.0192 vs 0.019)" &&
	gate_case "hide: {metric: guardrail.predicted_hide_rate, max_relative_increase: 0.01}" 1 \
		"relative increase 1.053% exceeds the allowed 1% (0.0192 vs 0.019)" &&
	gate_case "predicted_hide_rate: {max_absolute_increase: 0.0002}" 0 \
		"increase 0.0002 is within 0.0002 (0.0192 vs 0.019)" &&
	gate_case "predicted_hide_rate: {max_absolute_increase: 0.0001}" 1 \
		"increase 0.0002 exceeds the allowed 0.0001 (0.0192 vs 0.019)"
'

test_expect_success 'higher_is_better: false turns regression and improvement round' '
	gate_case "calibration_ece_click: {max_relative_regression: 0.05}" 0 \
		"relative regression -8.333% is within 5% (0.013 vs 0.012)" &&
	gate_case "calibration_ece_click: {max_relative_regression: 0.05, higher_is_better: false}" 1 \
		"relative regression 8.333% exceeds the allowed 5% (0.013 vs 0.012)" &&
	gate_case "latency_p95_ms: {min_absolute_improvement: 0, higher_is_better: false}" 1 \
		"improvement -1 is below the required 0 (15 vs 14)"
'

test_expect_success 'names: bare names, latency_P_ms, metric:, dotted paths' '
	cat >g.yaml <<-\EOF &&
	gates:
	  auc_click: {min: 0.7}
	  predicted_hide_rate: {max: 0.02}
	  p95: {max: 20}
	  latency_p99_ms: {max: 30}
	  tail: {metric: latency_ms.p99, max: 30}
	  segments.new_item.coverage: {min: 0.7}
	EOF
	mreg gate --json --gates g.yaml $NEW >out.json &&
	for i in 0 1 2 3 4 5
	do
		json_get out.json "[\"gates\"][$i][\"metric\"]" || return 1
	done >actual &&
	cat >expect <<-\EOF &&
	offline.auc_click
	guardrail.predicted_hide_rate
	latency_ms.p95
	latency_ms.p99
	latency_ms.p99
	segments.new_item.coverage
	EOF
	test_cmp expect actual
'

test_expect_success 'segments.*.M: one line per segment both versions have' '
	printf "gates:\n  segments.*.ndcg_at_20: {max_relative_regression: 0.01}\n" >seg.yaml &&
	test_expect_code 1 mreg gate --json --gates seg.yaml --against $OLD $NEW >out.json &&
	python3 -c "import json; d = json.load(open(\"out.json\"))
for g in d[\"gates\"]: print(g[\"name\"], g[\"passed\"], g[\"message\"])" >actual &&
	cat >expect <<-\EOF &&
	segments.new_user.ndcg_at_20 False relative regression 1.034% exceeds the allowed 1% (0.287 vs 0.29)
	segments.old_user.ndcg_at_20 False candidate home_ranker@v2 has no metric '"'"'segments.old_user.ndcg_at_20'"'"'
	segments.warm_user.ndcg_at_20 True relative regression -0.4545% is within 1% (0.442 vs 0.44)
	EOF
	test_cmp expect actual
'

test_expect_success 'segments.*.M with an absolute rule checks new segments too' '
	printf "gates:\n  seg: {metric: segments.*.ndcg_at_20, min: 0.2}\n" >seg.yaml &&
	test_expect_code 1 mreg gate --json --gates seg.yaml --against $OLD $NEW >out.json &&
	python3 -c "import json; d = json.load(open(\"out.json\"))
for g in d[\"gates\"]: print(g[\"name\"], g[\"passed\"])" >actual &&
	cat >expect <<-\EOF &&
	seg[fresh_user] False
	seg[new_user] True
	seg[old_user] False
	seg[warm_user] True
	EOF
	test_cmp expect actual
'

test_expect_success 'a missing metric fails and names it and the side' '
	gate_case "new_user_ndcg: {max_relative_regression: 0.01}" 1 \
		"neither candidate home_ranker@v2 nor champion home_ranker@v1 has metric '"'"'new_user_ndcg'"'"' (looked in offline, guardrail, latency_ms)" &&
	gate_case "x: {metric: segments.fresh_user.ndcg_at_20, max_relative_regression: 0.01}" 1 \
		"champion home_ranker@v1 has no metric '"'"'segments.fresh_user.ndcg_at_20'"'"'" &&
	gate_case "x: {metric: segments.old_user.ndcg_at_20, min: 0}" 1 \
		"candidate home_ranker@v2 has no metric '"'"'segments.old_user.ndcg_at_20'"'"'"
'

test_expect_success 'a zero champion value: relative rules explain, absolute ones work' '
	gate_case "hide_rate: {max_relative_increase: 0.5}" 1 \
		"the champion'"'"'s value is 0, so a relative change is undefined; use an absolute rule" &&
	gate_case "hide_rate: {max_absolute_increase: 0.001}" 0 \
		"increase 0.001 is within 0.001 (0.001 vs 0)" &&
	mreg gate --json --gates case.yaml --against $OLD $OLD >out.json &&
	test "$(json_get out.json "[\"gates\"][0][\"message\"]")" = \
		"increase 0 is within 0.001 (0 vs 0)" &&
	printf "gates:\n  hide_rate: {max_relative_increase: 0}\n" >case.yaml &&
	mreg gate --json --gates case.yaml --against $OLD $OLD >out.json &&
	test "$(json_get out.json "[\"gates\"][0][\"message\"]")" = \
		"relative increase 0% is within 0% (0 vs 0)"
'

test_expect_success 'no champion: relative rules fail saying so, absolute ones run' '
	cat >g.yaml <<-\EOF &&
	gates:
	  ndcg_at_20: {min_relative_improvement: 0.005, min: 0.4}
	EOF
	test_expect_code 1 mreg gate --json --gates g.yaml $NEW >out.json &&
	test "$(json_get out.json "[\"champion\"]")" = null &&
	test "$(json_get out.json "[\"gates\"][0][\"message\"]")" = "no champion to compare with" &&
	test "$(json_get out.json "[\"gates\"][0][\"champion\"]")" = null &&
	test "$(json_get out.json "[\"gates\"][1][\"passed\"]")" = true
'

test_expect_success 'exit 0 when every gate passes; the table' '
	cat >g.yaml <<-\EOF &&
	gates:
	  ndcg_at_20: {min_relative_improvement: 0.005}
	  latency_p95_ms: {max: 20}
	EOF
	mreg gate --gates g.yaml --against $OLD $NEW >out &&
	sed -e "s/sha256:[0-9a-f]*/DIGEST/" out >actual &&
	cat >expect <<-\EOF &&
	candidate  home_ranker@v2  DIGEST
	champion   home_ranker@v1  DIGEST

	gate            metric              candidate  champion  rule                            result
	ndcg_at_20      offline.ndcg_at_20  0.416      0.412     min_relative_improvement 0.005  pass
	latency_p95_ms  latency_ms.p95      15         14        max 20                          pass

	2 of 2 gates passed
	EOF
	test_cmp expect actual
'

test_expect_success 'exit 1 when one fails; the table says why' '
	printf "gates:\n  ndcg_at_20: {min: 0.5}\n  p95: {max: 20}\n" >g.yaml &&
	test_expect_code 1 mreg gate --gates g.yaml --against $OLD $NEW >out &&
	sed -n "/^failed:/,\$p" out >actual &&
	cat >expect <<-\EOF &&
	failed:
	  ndcg_at_20: 0.416 is below the minimum 0.5

	1 of 2 gates failed
	EOF
	test_cmp expect actual
'

test_expect_success '--json: the exact document' '
	cat >g.yaml <<-\EOF &&
	gates:
	  ndcg_at_20: {min_relative_improvement: 0.005}
	  latency_p95_ms: {max: 14}
	  feature_compatibility_x: {metric: no_such_metric, min: 1}
	EOF
	test_expect_code 1 mreg gate --json --gates g.yaml --against $OLD $NEW >actual &&
	cat >expect <<-\EOF &&
	{
	  "passed": false,
	  "candidate": "home_ranker@v2",
	  "champion": "home_ranker@v1",
	  "gates": [
	    {
	      "name": "ndcg_at_20",
	      "metric": "offline.ndcg_at_20",
	      "candidate": 0.416,
	      "champion": 0.412,
	      "rule": "min_relative_improvement",
	      "threshold": 0.005,
	      "passed": true,
	      "message": "relative improvement 0.9709% is at least 0.5% (0.416 vs 0.412)"
	    },
	    {
	      "name": "latency_p95_ms",
	      "metric": "latency_ms.p95",
	      "candidate": 15,
	      "champion": 14,
	      "rule": "max",
	      "threshold": 14,
	      "passed": false,
	      "message": "15 is above the maximum 14"
	    },
	    {
	      "name": "feature_compatibility_x",
	      "metric": "no_such_metric",
	      "candidate": null,
	      "champion": null,
	      "rule": "min",
	      "threshold": 1,
	      "passed": false,
	      "message": "neither candidate home_ranker@v2 nor champion home_ranker@v1 has metric '"'"'no_such_metric'"'"' (looked in offline, guardrail, latency_ms)"
	    }
	  ]
	}
	EOF
	test_cmp expect actual
'

test_expect_success 'exit 128: a malformed gate file, named with line and column' '
	printf "gates:\n  ndcg_at_20: {min: [1}\n" >bad.yaml &&
	test_expect_code 128 mreg gate --gates bad.yaml $NEW >out 2>err &&
	test_must_be_empty out &&
	grep "^error: bad.yaml:2:" err
'

test_expect_success 'exit 128: an unknown rule, named with line and column' '
	printf "gates:\n  ndcg_at_20:\n    min_relative_improvment: 0.005\n" >bad.yaml &&
	test_expect_code 128 mreg gate --gates bad.yaml --against $OLD $NEW 2>err &&
	grep "^error: bad.yaml:3:30: unknown rule '"'"'min_relative_improvment'"'"' in gate '"'"'ndcg_at_20'"'"'" err
'

test_expect_success 'exit 128: a threshold that is not a number; no gates' '
	printf "gates:\n  x: {max: twenty}\n" >bad.yaml &&
	test_expect_code 128 mreg gate --gates bad.yaml $NEW 2>err &&
	grep "^error: bad.yaml:2:12: gate '"'"'x'"'"': '"'"'max'"'"' must be a number, not a string" err &&
	printf "gates: {}\n" >bad.yaml &&
	test_expect_code 128 mreg gate --gates bad.yaml $NEW 2>err &&
	grep "^error: bad.yaml:1:8: no gates" err
'

test_expect_success 'exit 128: an unreadable gate file' '
	test_expect_code 128 mreg gate --gates no-such.yaml $NEW 2>err &&
	grep "^error: cannot read '"'"'no-such.yaml'"'"': No such file or directory" err
'

test_expect_success 'exit 128: an unknown candidate or champion' '
	printf "gates:\n  p95: {max: 20}\n" >g.yaml &&
	test_expect_code 128 mreg gate --gates g.yaml home_ranker@v9 2>err &&
	grep "^error: .*home_ranker@v9" err &&
	test_expect_code 128 mreg gate --gates g.yaml --against home_ranker@v9 $NEW 2>err &&
	grep "^error: .*home_ranker@v9" err
'

test_expect_success 'exit 128: a compatibility gate without --env' '
	printf "gates:\n  feature_compatibility: {required: pass}\n" >g.yaml &&
	test_expect_code 128 mreg gate --gates g.yaml $NEW 2>err &&
	grep "^error: the gates in '"'"'g.yaml'"'"' check compatibility: give the serving environment with --env FILE" err
'

test_expect_success 'exit 129: usage errors' '
	test_expect_code 129 mreg gate $NEW 2>err &&
	grep "^error: no gates to evaluate: give --gates FILE or --env FILE" err &&
	test_expect_code 129 mreg gate --gates g.yaml --route r --against $OLD $NEW 2>err &&
	grep "^error: --route and --against cannot be used together" err &&
	test_expect_code 129 mreg gate --gates g.yaml 2>err &&
	test_expect_code 129 mreg gate --bogus 2>err
'

cat >junit.xsd <<\EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- The JUnit XML that Jenkins, GitLab and the Ant formatter read. -->
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:complexType name="result" mixed="true">
    <xs:attribute name="message" type="xs:string"/>
    <xs:attribute name="type" type="xs:string"/>
  </xs:complexType>
  <xs:element name="testsuites">
    <xs:complexType>
      <xs:sequence>
        <xs:element ref="testsuite" maxOccurs="unbounded"/>
      </xs:sequence>
      <xs:attribute name="name" type="xs:string"/>
      <xs:attribute name="tests" type="xs:nonNegativeInteger"/>
      <xs:attribute name="failures" type="xs:nonNegativeInteger"/>
      <xs:attribute name="errors" type="xs:nonNegativeInteger"/>
      <xs:attribute name="time" type="xs:decimal"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="testsuite">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="properties" minOccurs="0">
          <xs:complexType>
            <xs:sequence>
              <xs:element name="property" minOccurs="0" maxOccurs="unbounded">
                <xs:complexType>
                  <xs:attribute name="name" type="xs:string" use="required"/>
                  <xs:attribute name="value" type="xs:string" use="required"/>
                </xs:complexType>
              </xs:element>
            </xs:sequence>
          </xs:complexType>
        </xs:element>
        <xs:element name="testcase" minOccurs="0" maxOccurs="unbounded">
          <xs:complexType>
            <xs:choice minOccurs="0">
              <xs:element name="failure" type="result"/>
              <xs:element name="error" type="result"/>
              <xs:element name="skipped" type="result"/>
            </xs:choice>
            <xs:attribute name="name" type="xs:string" use="required"/>
            <xs:attribute name="classname" type="xs:string" use="required"/>
            <xs:attribute name="time" type="xs:decimal"/>
          </xs:complexType>
        </xs:element>
      </xs:sequence>
      <xs:attribute name="name" type="xs:string" use="required"/>
      <xs:attribute name="tests" type="xs:nonNegativeInteger" use="required"/>
      <xs:attribute name="failures" type="xs:nonNegativeInteger" use="required"/>
      <xs:attribute name="errors" type="xs:nonNegativeInteger" use="required"/>
      <xs:attribute name="skipped" type="xs:nonNegativeInteger"/>
      <xs:attribute name="time" type="xs:decimal"/>
    </xs:complexType>
  </xs:element>
</xs:schema>
EOF

test_expect_success XMLLINT '--junit: one testcase per gate, failures with the message' '
	cat >g.yaml <<-\EOF &&
	gates:
	  ndcg_at_20: {min_relative_improvement: 0.005}
	  "a<b&\"c\"": {metric: latency_ms.p95, max: 14}
	  segments.*.ndcg_at_20: {max_relative_regression: 0.02}
	EOF
	test_expect_code 1 mreg gate --gates g.yaml --against $OLD --junit report.xml $NEW >out &&
	xmllint --noout --schema junit.xsd report.xml &&
	xmllint --xpath "count(//testcase)" report.xml >n &&
	echo 5 >expect && test_cmp expect n &&
	xmllint --xpath "string(/testsuites/@failures)" report.xml >n &&
	echo 2 >expect && test_cmp expect n &&
	xmllint --xpath "string(//testcase[failure][1]/@name)" report.xml >name &&
	echo "a<b&\"c\" max 14" >expect && test_cmp expect name &&
	xmllint --xpath "string(//testcase[failure][1]/failure/@message)" report.xml >msg &&
	echo "15 is above the maximum 14" >expect && test_cmp expect msg &&
	xmllint --xpath "string(//property[@name=\"champion\"]/@value)" report.xml >champ &&
	echo $OLD >expect && test_cmp expect champ
'

test_expect_success XMLLINT '--junit when every gate passes, and with --json' '
	printf "gates:\n  p95: {max: 20}\n" >g.yaml &&
	mreg gate --json --gates g.yaml --junit ok.xml $NEW >out.json &&
	xmllint --noout --schema junit.xsd ok.xml &&
	test "$(xmllint --xpath "count(//failure)" ok.xml)" = 0 &&
	test "$(json_get out.json "[\"passed\"]")" = true
'

test_expect_success '--junit to a file that cannot be written is fatal' '
	printf "gates:\n  p95: {max: 20}\n" >g.yaml &&
	test_expect_code 128 mreg gate --gates g.yaml --junit no/such/dir/r.xml $NEW >out 2>err &&
	test_must_be_empty out &&
	grep "^error: cannot write '"'"'no/such/dir/r.xml'"'"'" err
'

test_expect_success 'gate reads and changes nothing in the registry' '
	registry_state >before &&
	printf "gates:\n  p95: {max: 20}\n" >g.yaml &&
	mreg gate --gates g.yaml --against $OLD $NEW >/dev/null &&
	registry_state >after &&
	test_cmp before after
'

test_done
