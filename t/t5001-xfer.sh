#!/bin/sh

test_description='artifact transport to path and ssh remotes

Drives src/xfer.c and src/xfer-ssh.c through t/helper/test-xfer: has,
put, get and push to a path or file:// remote (a bare git repository with
no artifacts/ yet) and over ssh, where a fake ssh ($MREG_SSH_COMMAND) runs
"mreg serve" here, ignoring the host, and logs its arguments and the
bytes each way.  An interrupted transfer (the fake ssh cuts the stream
after N bytes) resumes with only the rest sent.'

. ./test-lib.sh

test -x "$MREG_BUILD_DIR/t/helper/test-xfer" ||
	bail_out "t/helper/test-xfer is not built"
PATH="$MREG_BUILD_DIR/t/helper:$PATH"

if ! test_have_prereq PYTHON3
then
	skip_all='python3 is needed to make the test objects'
	test_done
fi

# The fake ssh: the last argument is the command for the far side's shell,
# run here.  It writes its arguments, one per line, to ssh-args, what it
# passes in to ssh-in and what comes out to ssh-out, and exits with the far
# side's status, as ssh does.  CUT_IN=N passes only the first N bytes in
# and then drops the connection (in the middle of an upload, say);
# CUT_OUT=N does the same with the first N bytes out.
cat >fake-ssh <<\EOF
#!/usr/bin/env python3
import os, subprocess, sys, threading
log = os.environ["TRASH_DIRECTORY"] + "/ssh"
with open(log + "-args", "w") as f:
    f.write("".join(a + "\n" for a in sys.argv[1:]))
far = subprocess.Popen(["sh", "-c", sys.argv[-1]], stdin=subprocess.PIPE,
                       stdout=subprocess.PIPE, bufsize=0)

def pump(src, dst, path, cut, close_src, close_dst):
    left = int(cut) if cut else -1
    with open(path, "wb") as f:
        while left:
            data = os.read(src, 65536 if left < 0 else min(65536, left))
            if not data:
                break
            f.write(data)
            f.flush()
            if left > 0:
                left -= len(data)
            try:
                while data:
                    data = data[os.write(dst, data):]
            except BrokenPipeError:
                break
    close_dst()
    if not left:
        close_src()

pin = threading.Thread(target=pump, daemon=True, args=(
    0, far.stdin.fileno(), log + "-in", os.environ.get("CUT_IN"),
    lambda: os.close(0), far.stdin.close))
pout = threading.Thread(target=pump, args=(
    far.stdout.fileno(), 1, log + "-out", os.environ.get("CUT_OUT"),
    far.stdout.close, lambda: os.close(1)))
pin.start()
pout.start()
status = far.wait()
pout.join()
os._exit(status if status >= 0 else 128 - status)
EOF
chmod +x fake-ssh
MREG_SSH_COMMAND="$TRASH_DIRECTORY/fake-ssh"
export MREG_SSH_COMMAND
unset MREG_SSH_OPTIONS MREG_SSH_KEY MREG_SSH_KNOWN_HOSTS MREG_SERVE_COMMAND \
	CUT_IN CUT_OUT
SQ="'"

# object_path STORE SHA
object_path () {
	echo "$1/artifacts/$(echo $2 | cut -c1-2)/$(echo $2 | cut -c3-4)/$2"
}

test_expect_success 'setup' '
	mreg init -q local &&
	python3 -c "
import hashlib
for name, mib in ((\"one\", 3), (\"two\", 2)):
    with open(name, \"wb\") as out:
        for i in range(mib * 1024):
            out.write(hashlib.sha512((name + str(i)).encode()).digest() * 16)
" &&
	test-xfer store local/.mreg one >one.id &&
	test-xfer store local/.mreg two >two.id &&
	read SHA SIZE <one.id &&
	read SHA2 SIZE2 <two.id &&
	test $SIZE = 3145728 &&
	test $SHA = $(sha256sum one | cut -d" " -f1)
'

test_expect_success 'a path remote: has, put, has, the bytes and mode' '
	git init -q --bare path.git &&
	test-xfer has path.git $SHA $SIZE >out &&
	echo no >expect &&
	test_cmp expect out &&
	test-xfer put path.git local/.mreg $SHA $SIZE &&
	test-xfer has path.git $SHA $SIZE >out &&
	echo yes >expect &&
	test_cmp expect out &&
	cmp one $(object_path path.git $SHA) &&
	ls -l $(object_path path.git $SHA) >mode &&
	test_grep "^-r--r--r--" mode &&
	ls path.git/tmp >tmpfiles &&
	test_must_be_empty tmpfiles
'

test_expect_success 'a file:// remote is a path remote' '
	test-xfer has "file://$TRASH_DIRECTORY/path.git" $SHA $SIZE >out &&
	echo yes >expect &&
	test_cmp expect out &&
	test-xfer put "file://$TRASH_DIRECTORY/path.git" local/.mreg $SHA $SIZE
'

test_expect_success 'push sends only what the remote lacks' '
	test-xfer push path.git local/.mreg >out &&
	echo "sent $SHA2" >expect &&
	test_cmp expect out &&
	test-xfer push path.git local/.mreg >out &&
	test_must_be_empty out &&
	cmp two $(object_path path.git $SHA2)
'

test_expect_success 'get from a path remote into another registry' '
	mreg init -q other &&
	test-xfer get path.git other/.mreg $SHA $SIZE &&
	cmp one $(object_path other/.mreg $SHA) &&
	test-xfer get path.git other/.mreg $SHA $SIZE &&
	ls other/.mreg/tmp >tmpfiles &&
	test_must_be_empty tmpfiles
'

test_expect_success 'get of an object the remote lacks is "not found"' '
	missing=$(echo missing | sha256sum | cut -d" " -f1) &&
	test_must_fail test-xfer get path.git other/.mreg $missing 8 2>err &&
	echo "error: remote '\''path.git'\'' has no artifact $missing" >expect &&
	test_cmp expect err
'

test_expect_success 'a path put resumes from the bytes the remote kept' '
	git init -q --bare resume.git &&
	mkdir resume.git/tmp &&
	head -c 1000000 one >resume.git/tmp/partial-$SHA &&
	test-xfer has-many resume.git <one.id >out &&
	echo "$SHA partial 1000000" >expect &&
	test_cmp expect out &&
	test-xfer put resume.git local/.mreg $SHA $SIZE &&
	cmp one $(object_path resume.git $SHA) &&
	test_path_is_missing resume.git/tmp/partial-$SHA
'

test_expect_success 'kept bytes that were not the object are discarded and it is sent whole' '
	git init -q --bare bad.git &&
	mkdir bad.git/tmp &&
	head -c 1000000 two >bad.git/tmp/partial-$SHA &&
	test-xfer put bad.git local/.mreg $SHA $SIZE &&
	cmp one $(object_path bad.git $SHA) &&
	test_path_is_missing bad.git/tmp/partial-$SHA
'

test_expect_success 'a get resumes from a local partial, or starts over if it is wrong' '
	mreg init -q third &&
	head -c 2000000 one >third/.mreg/tmp/partial-$SHA &&
	test-xfer get path.git third/.mreg $SHA $SIZE &&
	cmp one $(object_path third/.mreg $SHA) &&
	test_path_is_missing third/.mreg/tmp/partial-$SHA &&
	head -c 2000000 two >third/.mreg/tmp/partial-$SHA2 &&
	test-xfer get path.git third/.mreg $SHA2 $SIZE2 &&
	cmp two $(object_path third/.mreg $SHA2) &&
	test_path_is_missing third/.mreg/tmp/partial-$SHA2
'

test_expect_success 'a corrupt remote object is not linked into the local store' '
	git init -q --bare corrupt.git &&
	test-xfer put corrupt.git local/.mreg $SHA $SIZE &&
	obj=$(object_path corrupt.git $SHA) &&
	chmod u+w $obj &&
	printf X | dd of=$obj bs=1 seek=5000 conv=notrunc 2>/dev/null &&
	mreg init -q fourth &&
	test_must_fail test-xfer get corrupt.git fourth/.mreg $SHA $SIZE 2>err &&
	test_grep "error: remote '\''corrupt.git'\'' sent a corrupt copy: artifact $SHA was received corrupt: its bytes hash to" err &&
	test_path_is_missing $(object_path fourth/.mreg $SHA) &&
	test_path_is_missing fourth/.mreg/tmp/partial-$SHA
'

test_expect_success 'a path that is no repository is refused' '
	mkdir plain &&
	test_must_fail test-xfer has plain $SHA $SIZE 2>err &&
	echo "error: remote '\''plain'\'' is not an mreg registry or a git repository" >expect &&
	test_cmp expect err
'

test_expect_success 'git, http and https remotes carry no artifacts' '
	for url in git://example.org/r.git http://example.org/r.git https://example.org/r
	do
		test_expect_code 1 test-xfer has $url $SHA $SIZE 2>err &&
		echo "error: this remote carries no artifacts (use --no-artifacts, or an ssh or path remote)" >expect &&
		test_cmp expect err || return 1
	done &&
	test_must_fail test-xfer has ftp://example.org/r $SHA $SIZE 2>err &&
	test_grep "unsupported remote URL" err
'

test_expect_success 'ssh: the command line for ssh:// and scp-like URLs' '
	test_must_fail test-xfer has ssh://alice@example.org:2222/srv/r.git $SHA $SIZE \
		</dev/null 2>err &&
	cat >expect <<-EOF &&
	-p
	2222
	-o
	BatchMode=yes
	alice@example.org
	mreg serve '\''/srv/r.git'\''
	EOF
	test_cmp expect ssh-args &&
	test_grep "error: remote '\''ssh://alice@example.org:2222/srv/r.git'\'': '\''/srv/r.git'\'' is not an mreg registry" err &&
	test_must_fail test-xfer has "bob@[::1]:it${SQ}s here!.git" $SHA $SIZE </dev/null &&
	cat >expect <<-EOF &&
	-o
	BatchMode=yes
	bob@::1
	mreg serve ${SQ}it${SQ}\\${SQ}${SQ}s here${SQ}\\!${SQ}.git${SQ}
	EOF
	test_cmp expect ssh-args
'

test_expect_success 'ssh: $MREG_SSH_OPTIONS, with quoting, and $MREG_SERVE_COMMAND' '
	git init -q --bare "it${SQ}s here!.git" &&
	MREG_SSH_OPTIONS="-i ${SQ}my key${SQ} -o \"User=a \\\"b\\\"\" -F\\ x" \
	MREG_SERVE_COMMAND="\"$MREG_BUILD_DIR/mreg\" serve" \
		test-xfer has "example.org:it${SQ}s here!.git" $SHA $SIZE </dev/null >out &&
	echo no >expect &&
	test_cmp expect out &&
	cat >expect <<-EOF &&
	-i
	my key
	-o
	User=a "b"
	-F x
	-o
	BatchMode=yes
	example.org
	"$MREG_BUILD_DIR/mreg" serve ${SQ}it${SQ}\\${SQ}${SQ}s here${SQ}\\!${SQ}.git${SQ}
	EOF
	test_cmp expect ssh-args
'

test_expect_success 'ssh: $MREG_SSH_KEY and $MREG_SSH_KNOWN_HOSTS, quoted, after $MREG_SSH_OPTIONS' '
	git init -q --bare keys.git &&
	MREG_SSH_OPTIONS="-o StrictHostKeyChecking=no" \
	MREG_SSH_KEY="my keys/100%" \
	MREG_SSH_KNOWN_HOSTS="/etc/\"known\" \\hosts" \
		test-xfer has example.org:keys.git $SHA $SIZE </dev/null >out &&
	echo no >expect &&
	test_cmp expect out &&
	cat >expect <<-EOF &&
	-o
	StrictHostKeyChecking=no
	-o
	IdentityFile="my keys/100%%"
	-o
	IdentitiesOnly=yes
	-o
	UserKnownHostsFile="/etc/\"known\" \\\\hosts"
	-o
	GlobalKnownHostsFile=/dev/null
	-o
	StrictHostKeyChecking=yes
	-o
	BatchMode=yes
	example.org
	mreg serve ${SQ}keys.git${SQ}
	EOF
	test_cmp expect ssh-args &&
	MREG_SSH_KEY= MREG_SSH_KNOWN_HOSTS= \
		test-xfer has example.org:keys.git $SHA $SIZE </dev/null >out &&
	printf "%s\n" -o BatchMode=yes example.org "mreg serve ${SQ}keys.git${SQ}" >expect &&
	test_cmp expect ssh-args
'

test_expect_success 'ssh: bad URLs are refused before anything runs' '
	rm -f ssh-args &&
	test_must_fail test-xfer has "ssh://-oProxyCommand=touch%20pwned/r" $SHA $SIZE 2>err &&
	test_grep "strange host name" err &&
	test_must_fail test-xfer has "-oProxyCommand=x:r" $SHA $SIZE 2>err &&
	test_grep "strange host name" err &&
	test_must_fail test-xfer has ssh://example.org $SHA $SIZE 2>err &&
	test_grep "no path in remote URL" err &&
	test_must_fail test-xfer has ssh://example.org:22x/r $SHA $SIZE 2>err &&
	test_grep "bad port" err &&
	test_must_fail env MREG_SSH_OPTIONS="-o '\''x" test-xfer has h:r $SHA $SIZE 2>err &&
	test_grep "unterminated quote" err &&
	test_path_is_missing ssh-args
'

test_expect_success 'ssh: has, put, has, get' '
	git init -q --bare ssh.git &&
	test-xfer has ssh://example.org/~/ssh.git $SHA $SIZE </dev/null >out &&
	echo no >expect &&
	test_cmp expect out &&
	tail -n 1 ssh-args >cmd &&
	echo "mreg serve '\''~/ssh.git'\''" >expect &&
	test_cmp expect cmd &&
	test-xfer put example.org:ssh.git local/.mreg $SHA $SIZE </dev/null &&
	test-xfer has example.org:ssh.git $SHA $SIZE </dev/null >out &&
	echo yes >expect &&
	test_cmp expect out &&
	cmp one $(object_path ssh.git $SHA) &&
	mreg init -q fetched &&
	test-xfer get example.org:ssh.git fetched/.mreg $SHA $SIZE </dev/null &&
	cmp one $(object_path fetched/.mreg $SHA)
'

test_expect_success 'ssh: push asks about many objects and sends only what is missing' '
	python3 -c "
import hashlib
for i in range(1000):
    print(hashlib.sha256(str(i).encode()).hexdigest(), i + 1)
" >many &&
	cat one.id two.id >>many &&
	test-xfer has-many example.org:ssh.git <many >out &&
	test_line_count = 1002 out &&
	grep -c " no\$" out >count &&
	echo 1001 >expect &&
	test_cmp expect count &&
	grep "^$SHA yes\$" out &&
	grep -c "^have " ssh-in >count &&
	echo 1002 >expect &&
	test_cmp expect count &&
	test-xfer push example.org:ssh.git local/.mreg </dev/null >out &&
	echo "sent $SHA2" >expect &&
	test_cmp expect out &&
	grep -a -c "^put " ssh-in >count &&
	echo 1 >expect &&
	test_cmp expect count
'

test_expect_success 'ssh: an interrupted put keeps what arrived; the retry sends the rest' '
	git init -q --bare cut.git &&
	have_line="have $SHA $SIZE" &&
	put_line="put $SHA $SIZE 0" &&
	kept=$((1000000 - ${#have_line} - 1 - ${#put_line} - 1)) &&
	test_must_fail env CUT_IN=1000000 \
		test-xfer put example.org:cut.git local/.mreg $SHA $SIZE </dev/null 2>err &&
	test_grep "error: remote '\''example.org:cut.git'\'' hung up during the upload of artifact $SHA" err &&
	test_grep "fatal: the client hung up in the middle of artifact $SHA ($kept of $SIZE bytes kept" err &&
	test $(wc -c <cut.git/tmp/partial-$SHA) = $kept &&
	test_path_is_missing $(object_path cut.git $SHA) &&

	test-xfer put example.org:cut.git local/.mreg $SHA $SIZE </dev/null &&
	cmp one $(object_path cut.git $SHA) &&
	test_path_is_missing cut.git/tmp/partial-$SHA &&
	{
		echo "$have_line" &&
		echo "put $SHA $SIZE $kept" &&
		tail -c $((SIZE - kept)) one &&
		echo quit
	} >expect.in &&
	cmp expect.in ssh-in
'

test_expect_success 'ssh: an interrupted get keeps what arrived; the retry fetches the rest' '
	mreg init -q cutget &&
	data_line="data $SHA $SIZE" &&
	kept=$((1000000 - 13 - ${#data_line} - 1)) &&
	test_must_fail env CUT_OUT=1000000 \
		test-xfer get example.org:cut.git cutget/.mreg $SHA $SIZE </dev/null 2>err &&
	test_grep "error: remote '\''example.org:cut.git'\'' hung up in the middle of artifact $SHA ($kept of $SIZE bytes kept" err &&
	test $(wc -c <cutget/.mreg/tmp/partial-$SHA) = $kept &&

	test-xfer get example.org:cut.git cutget/.mreg $SHA $SIZE </dev/null &&
	cmp one $(object_path cutget/.mreg $SHA) &&
	test_path_is_missing cutget/.mreg/tmp/partial-$SHA &&
	printf "get %s %s %s\nquit\n" $SHA $SIZE $kept >expect.in &&
	test_cmp expect.in ssh-in &&
	{
		echo "mreg-serve 1" &&
		echo "data $SHA $((SIZE - kept))" &&
		tail -c $((SIZE - kept)) one &&
		echo bye
	} >expect.out &&
	cmp expect.out ssh-out
'

test_expect_success 'ssh: a corrupt remote object is refused, the session goes on' '
	obj=$(object_path cut.git $SHA) &&
	chmod u+w $obj &&
	printf X | dd of=$obj bs=1 seek=5000 conv=notrunc 2>/dev/null &&
	mreg init -q fifth &&
	test_must_fail test-xfer get example.org:cut.git fifth/.mreg $SHA $SIZE </dev/null 2>err &&
	test_grep "sent a corrupt copy: artifact $SHA was received corrupt" err &&
	tail -n 1 ssh-in >last &&
	echo quit >expect &&
	test_cmp expect last &&
	test_path_is_missing $(object_path fifth/.mreg $SHA) &&
	test_path_is_missing fifth/.mreg/tmp/partial-$SHA
'

test_expect_success 'ssh: a far side that fails to start is reported' '
	test_must_fail env MREG_SSH_COMMAND=./no-such-ssh \
		test-xfer has h:ssh.git $SHA $SIZE </dev/null 2>err &&
	echo "error: cannot run '\''./no-such-ssh'\'': No such file or directory" >expect &&
	test_cmp expect err &&
	test_must_fail env MREG_SERVE_COMMAND=false \
		test-xfer has h:ssh.git $SHA $SIZE </dev/null 2>err &&
	test_grep "error: remote '\''h:ssh.git'\'' hung up before it greeted us (.*fake-ssh'\'' exited with status 1)" err &&
	test_must_fail env MREG_SERVE_COMMAND="echo hello; :" \
		test-xfer has h:ssh.git $SHA $SIZE </dev/null 2>err &&
	echo "error: remote '\''h:ssh.git'\'' is not mreg serve: it said '\''hello'\''" >expect &&
	test_cmp expect err &&
	test_must_fail env MREG_SERVE_COMMAND="echo mreg-serve 2; :" \
		test-xfer has h:ssh.git $SHA $SIZE </dev/null 2>err &&
	echo "error: remote '\''h:ssh.git'\'' speaks mreg-serve 2; we speak mreg-serve 1" >expect &&
	test_cmp expect err
'

test_expect_success 'ssh: a far side that exits non-zero after the work fails the session' '
	test_must_fail env MREG_SERVE_COMMAND="mreg serve ssh.git && exit 3; :" \
		test-xfer has h:ssh.git $SHA $SIZE </dev/null >out 2>err &&
	echo yes >expect &&
	test_cmp expect out &&
	test_grep "error: remote '\''h:ssh.git'\'' failed: '\''.*fake-ssh'\'' exited with status 3" err
'

test_done
