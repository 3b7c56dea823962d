#!/bin/sh

test_description='mreg serve speaks the artifact protocol

Drives "mreg serve DIR" through pipes with a small python3 client, the way
ssh would: the greeting, have/put/get/quit, partial uploads kept and
resumed, and every malformed request refused without touching a path
built from it (Documentation/technical/serve-protocol.adoc).'

. ./test-lib.sh

if ! test_have_prereq PYTHON3
then
	skip_all='python3 is needed to drive the protocol'
	test_done
fi

# proto.py DIR ACTION...: runs "mreg serve DIR" and does each ACTION in
# turn, printing a transcript:
#   s:TEXT            send TEXT (\n is a newline)
#   f:FILE[:A[:B]]    send bytes A..B of FILE
#   l[:N]             read N lines (default 1) and print them
#   b:N:FILE          read N raw bytes into FILE
#   c                 close the server's stdin
#   e                 read to the end, printing the lines
#   w                 wait for the server; print "exit N"
#   x:CMD             run CMD in sh, print its output
#   W:FILE:N          wait until FILE holds N bytes
cat >proto.py <<\EOF
import os, signal, subprocess, sys, time
signal.alarm(120)   # a test that waits for an answer never hangs
cmd = sys.argv[1]
srv = subprocess.Popen(["mreg", "serve", cmd], stdin=subprocess.PIPE,
                       stdout=subprocess.PIPE)
out = sys.stdout
def say(line):
    out.write(line.decode("latin-1") + "\n")
    out.flush()
for act in sys.argv[2:]:
    op, _, arg = act.partition(":")
    if op == "s":
        srv.stdin.write(arg.replace("\\n", "\n").encode("latin-1"))
        srv.stdin.flush()
    elif op == "f":
        parts = arg.split(":")
        data = open(parts[0], "rb").read()
        a = int(parts[1]) if len(parts) > 1 else 0
        b = int(parts[2]) if len(parts) > 2 else len(data)
        srv.stdin.write(data[a:b])
        srv.stdin.flush()
    elif op == "l":
        for i in range(int(arg or 1)):
            line = srv.stdout.readline()
            if not line:
                say(b"EOF")
                break
            say(line.rstrip(b"\n"))
    elif op == "b":
        n, path = arg.split(":", 1)
        data = srv.stdout.read(int(n))
        open(path, "wb").write(data)
    elif op == "c":
        srv.stdin.close()
    elif op == "e":
        for line in srv.stdout.read().split(b"\n"):
            if line:
                say(line)
    elif op == "w":
        say(b"exit %d" % srv.wait())
    elif op == "W":
        path, n = arg.rsplit(":", 1)
        for i in range(300):
            if os.path.exists(path) and os.path.getsize(path) >= int(n):
                break
            time.sleep(0.05)
    elif op == "x":
        r = subprocess.run(arg, shell=True, stdout=subprocess.PIPE)
        out.write(r.stdout.decode("latin-1"))
        out.flush()
    else:
        sys.exit("proto.py: bad action " + act)
EOF

proto () {
	python3 "$TRASH_DIRECTORY/proto.py" "$@"
}

test_expect_success 'setup' '
	git init -q --bare remote.git &&
	python3 -c "
import hashlib, sys
out = open(\"obj\", \"wb\")
for i in range(3 * 1024):
    out.write(hashlib.sha512(str(i).encode()).digest() * 16)
" &&
	SHA=$(sha256sum obj | cut -d" " -f1) &&
	SIZE=$(wc -c <obj) &&
	test $SIZE = 3145728 &&
	OBJ=remote.git/artifacts/$(echo $SHA | cut -c1-2)/$(echo $SHA | cut -c3-4)/$SHA &&
	PARTIAL=remote.git/tmp/partial-$SHA &&
	head -c $SIZE /dev/zero >zeros
'

test_expect_success 'greets, has nothing yet, says bye' '
	proto remote.git l s:"have $SHA $SIZE\n" l s:"quit\n" l e w >out &&
	cat >expect <<-EOF &&
	mreg-serve 1
	have $SHA no
	bye
	exit 0
	EOF
	test_cmp expect out &&
	test_path_is_missing remote.git/artifacts &&
	test_path_is_missing remote.git/tmp
'

test_expect_success 'a client that hangs up between requests is not an error' '
	proto remote.git l c e w >out &&
	printf "mreg-serve 1\nexit 0\n" >expect &&
	test_cmp expect out
'

test_expect_success 'put stores the object, mode 0444, and then has it' '
	proto remote.git l s:"put $SHA $SIZE 0\n" f:obj l \
		s:"have $SHA $SIZE\n" l s:"quit\n" l w >out &&
	cat >expect <<-EOF &&
	mreg-serve 1
	ok $SHA
	have $SHA yes
	bye
	exit 0
	EOF
	test_cmp expect out &&
	cmp obj $OBJ &&
	ls -l $OBJ >mode &&
	test_grep "^-r--r--r--" mode &&
	test_path_is_missing $PARTIAL
'

test_expect_success 'a second put of an object it has is success' '
	proto remote.git l s:"put $SHA $SIZE 0\n" f:obj l s:"quit\n" l w >out &&
	printf "mreg-serve 1\nok $SHA\nbye\nexit 0\n" >expect &&
	test_cmp expect out &&
	cmp obj $OBJ
'

test_expect_success 'get sends the object, or the rest of it from an offset' '
	proto remote.git l s:"get $SHA $SIZE 0\n" l b:$SIZE:got \
		s:"get $SHA $SIZE 1000\n" l b:$((SIZE - 1000)):tail \
		s:"get $SHA $SIZE $SIZE\n" l s:"quit\n" l w >out &&
	cat >expect <<-EOF &&
	mreg-serve 1
	data $SHA $SIZE
	data $SHA $((SIZE - 1000))
	data $SHA 0
	bye
	exit 0
	EOF
	test_cmp expect out &&
	cmp obj got &&
	tail -c $((SIZE - 1000)) obj >expect.tail &&
	cmp expect.tail tail
'

test_expect_success 'get of an object it lacks says missing; of a wrong size, error' '
	other=$(echo other | sha256sum | cut -d" " -f1) &&
	proto remote.git l s:"get $other 6 0\n" l s:"get $SHA 5 0\n" l \
		s:"have $other 6\n" l s:"quit\n" l w >out &&
	cat >expect <<-EOF &&
	mreg-serve 1
	missing $other
	error artifact $SHA has $SIZE bytes, not 5
	have $other no
	bye
	exit 0
	EOF
	test_cmp expect out
'

test_expect_success 'many questions sent at once are answered in order' '
	: >questions &&
	: >expect &&
	for i in $(seq 1 300)
	do
		sha=$(echo $i | sha256sum | cut -d" " -f1) &&
		printf "have %s 5\\\\n" $sha >>questions &&
		echo "have $sha no" >>expect || return 1
	done &&
	printf "have %s %s\\\\n" $SHA $SIZE >>questions &&
	echo "have $SHA yes" >>expect &&
	echo "exit 0" >>expect &&
	proto remote.git l s:"$(cat questions)" l:301 c w >out &&
	sed 1d out >actual &&
	test_cmp expect actual
'

# refused REQUEST MESSAGE: the request is answered "error MESSAGE", the
# server exits 128 and says why on stderr, and nothing else comes out.
refused () {
	proto remote.git l s:"$1" e w >out 2>err &&
	printf "mreg-serve 1\nerror %s\nexit 128\n" "$2" >expect &&
	test_cmp expect out &&
	test_grep "fatal: $2" err
}

test_expect_success 'names that are not 64 lower-case hex digits are refused' '
	upper=$(echo $SHA | tr a-f A-F) &&
	refused "have $upper 5\n" "bad artifact name '\''$upper'\''" &&
	refused "get $(echo $SHA | cut -c2-) 5 0\n" \
		"bad artifact name '\''$(echo $SHA | cut -c2-)'\''" &&
	refused "put ../../../../etc/passwd 5 0\nhello" \
		"bad artifact name '\''../../../../etc/passwd'\''" &&
	refused "have ${SHA}0 5\n" "bad artifact name '\''${SHA}0'\''" &&
	test_path_is_missing remote.git/tmp/partial-..
'

test_expect_success 'sizes and offsets that do not parse or overrun are refused' '
	refused "have $SHA -1\n" "bad size '\''-1'\''" &&
	refused "have $SHA +1\n" "bad size '\''+1'\''" &&
	refused "have $SHA 01\n" "bad size '\''01'\''" &&
	refused "have $SHA 1e3\n" "bad size '\''1e3'\''" &&
	refused "have $SHA 9223372036854775808\n" \
		"bad size '\''9223372036854775808'\''" &&
	refused "get $SHA 10 11\n" "offset 11 is past the end (10 bytes)" &&
	refused "put $SHA 10 11\n" "offset 11 is past the end (10 bytes)"
'

test_expect_success 'lines too long, malformed or unknown end the session' '
	long=$(printf "%02000d" 0) &&
	refused "have $long\n" "a line is longer than 1023 bytes" &&
	refused "$long" "a line is longer than 1023 bytes" &&
	refused "have  $SHA 5\n" "bad request '\''have  $SHA 5'\''" &&
	refused "have $SHA\n" "bad request '\''have $SHA'\''" &&
	refused "delete $SHA\n" "bad request '\''delete $SHA'\''" &&
	refused "\n" "bad request '\'''\''"
'

test_expect_success 'a put whose bytes hash otherwise is discarded' '
	other=$(sha256sum zeros | cut -d" " -f1) &&
	proto remote.git l s:"put $other $SIZE 0\n" f:obj l \
		s:"have $other $SIZE\n" l s:"quit\n" l w >out &&
	grep "^error artifact $other was received corrupt: its bytes hash to $SHA; discarded\$" out &&
	grep "^have $other no\$" out &&
	grep "^exit 0\$" out &&
	test_path_is_missing remote.git/tmp/partial-$other &&
	test_path_is_missing remote.git/artifacts/$(echo $other | cut -c1-2)/$(echo $other | cut -c3-4)/$other
'

test_expect_success 'an interrupted put keeps what arrived in tmp/partial-SHA' '
	rm -rf remote.git/artifacts &&
	proto remote.git l s:"put $SHA $SIZE 0\n" f:obj:0:1000000 c e w >out 2>err &&
	printf "mreg-serve 1\nexit 128\n" >expect &&
	test_cmp expect out &&
	test_grep "the client hung up in the middle of artifact $SHA (1000000 of $SIZE bytes kept" err &&
	test $(wc -c <$PARTIAL) = 1000000 &&
	ls remote.git/tmp >tmpfiles &&
	echo partial-$SHA >expect &&
	test_cmp expect tmpfiles &&
	test_path_is_missing $OBJ
'

test_expect_success 'have reports the kept bytes, and a put from there completes it' '
	proto remote.git l s:"have $SHA $SIZE\n" l \
		s:"put $SHA $SIZE 1000000\n" f:obj:1000000 l \
		s:"have $SHA $SIZE\n" l s:"quit\n" l w >out &&
	cat >expect <<-EOF &&
	mreg-serve 1
	have $SHA partial 1000000
	ok $SHA
	have $SHA yes
	bye
	exit 0
	EOF
	test_cmp expect out &&
	cmp obj $OBJ &&
	test_path_is_missing $PARTIAL
'

test_expect_success 'a put past the kept bytes is refused and the session goes on' '
	rm -rf remote.git/artifacts &&
	head -c 1000 obj >$PARTIAL &&
	proto remote.git l s:"put $SHA $SIZE 5000\n" f:obj:5000 l \
		s:"have $SHA $SIZE\n" l s:"quit\n" l w >out &&
	cat >expect <<-EOF &&
	mreg-serve 1
	error cannot resume artifact $SHA at byte 5000: only 1000 are kept
	have $SHA partial 1000
	bye
	exit 0
	EOF
	test_cmp expect out
'

test_expect_success 'a put before the end of the kept bytes starts over there' '
	head -c 5000 zeros >$PARTIAL &&
	proto remote.git l s:"put $SHA $SIZE 0\n" f:obj l s:"quit\n" l w >out &&
	printf "mreg-serve 1\nok $SHA\nbye\nexit 0\n" >expect &&
	test_cmp expect out &&
	cmp obj $OBJ
'

test_expect_success 'a resumed put over kept bytes that were not the object is discarded' '
	rm -rf remote.git/artifacts &&
	head -c 1000 zeros >$PARTIAL &&
	proto remote.git l s:"put $SHA $SIZE 1000\n" f:obj:1000 l \
		s:"have $SHA $SIZE\n" l s:"quit\n" l w >out &&
	grep "^error artifact $SHA was received corrupt: its bytes hash to [0-9a-f]*; discarded\$" out &&
	grep "^have $SHA no\$" out &&
	test_path_is_missing $PARTIAL &&
	test_path_is_missing $OBJ
'

test_expect_success 'kept bytes longer than the object are dropped' '
	cat obj obj >$PARTIAL &&
	proto remote.git l s:"have $SHA $SIZE\n" l s:"put $SHA $SIZE 0\n" f:obj l \
		s:"quit\n" l w >out &&
	printf "mreg-serve 1\nhave $SHA no\nok $SHA\nbye\nexit 0\n" >expect &&
	test_cmp expect out &&
	cmp obj $OBJ
'

test_expect_success 'two uploads of one object at once: the second is refused' '
	rm -rf remote.git/artifacts &&
	cat >second <<-EOF &&
	put $SHA 10 0
	0123456789quit
	EOF
	proto remote.git l s:"put $SHA $SIZE 0\n" f:obj:0:4096 W:$PARTIAL:4096 \
		x:"mreg serve remote.git <second" \
		f:obj:4096 l s:"quit\n" l w >out &&
	cat >expect <<-EOF &&
	mreg-serve 1
	mreg-serve 1
	error artifact $SHA is being received by another process
	bye
	ok $SHA
	bye
	exit 0
	EOF
	test_cmp expect out &&
	cmp obj $OBJ
'

test_expect_success 'a registry made by mreg init, named with ~/' '
	mreg init -q reg &&
	proto "~/reg/.mreg" l s:"put $SHA $SIZE 0\n" f:obj l s:"quit\n" l w >out &&
	printf "mreg-serve 1\nok $SHA\nbye\nexit 0\n" >expect &&
	test_cmp expect out &&
	cmp obj reg/.mreg/artifacts/$(echo $SHA | cut -c1-2)/$(echo $SHA | cut -c3-4)/$SHA
'

test_expect_success 'a directory that is no repository is refused on stdout and stderr' '
	mkdir plain &&
	test_expect_code 128 mreg serve plain </dev/null >out 2>err &&
	echo "error '\''plain'\'' is not an mreg registry or a git repository" >expect &&
	test_cmp expect out &&
	echo "fatal: '\''plain'\'' is not an mreg registry or a git repository" >expect &&
	test_cmp expect err &&
	test_expect_code 128 mreg serve no-such-dir </dev/null >out &&
	test_grep "^error '\''no-such-dir'\'' is not" out &&
	test_path_is_missing plain/artifacts
'

test_expect_success 'usage errors print nothing on stdout' '
	test_expect_code 129 mreg serve </dev/null >out 2>err &&
	test_must_be_empty out &&
	test_grep "usage: mreg serve DIR" err &&
	test_expect_code 129 mreg serve a b </dev/null >out &&
	test_must_be_empty out
'

test_done
