#!/bin/sh

test_description='SSH signatures (SSHSIG) are byte-compatible with OpenSSH

mreg signs the same bytes as `ssh-keygen -Y sign`, and its signatures pass
`ssh-keygen -Y verify` and stock `git verify-commit`, whether the key is an
OpenSSH file, a PKCS#8 PEM file or held by ssh-agent.  Namespaces never
cross: an approval ("mreg-approval") is never a valid commit signature.
Drives libmreg through t/helper/test-sign.'

for tool in ssh-keygen ssh-agent ssh-add git openssl
do
	command -v $tool >/dev/null 2>&1 || skip_all="$tool not found"
done

. ./test-lib.sh

test -x "$MREG_BUILD_DIR/t/helper/test-sign" ||
	bail_out "t/helper/test-sign is not built"
PATH="$MREG_BUILD_DIR/t/helper:$PATH"

# The agent started below; stopped by the last test, or on any exit.
agent_pid=
agent_dir=
stop_agent () {
	test -n "$agent_pid" && kill "$agent_pid" 2>/dev/null
	test -n "$agent_dir" && rm -rf "$agent_dir"
	agent_pid= agent_dir=
}
trap 'code_=$?; stop_agent; (exit $code_); test_lib_atexit' EXIT

# Replaces the first base64 character on line $1 of file $2 with another.
flip_char () {
	awk -v l="$1" 'NR == l { c = substr($0, 1, 1); \
		$0 = (c == "A" ? "B" : "A") substr($0, 2) } { print }' "$2"
}

test_expect_success 'setup: an ssh-keygen key and its allowed signers' '
	ssh-keygen -q -t ed25519 -N "" -C test@mreg -f key &&
	printf "model: fraud\nversion: 3\n" >msg &&
	printf "\000\001binary\377" >msg.bin &&
	: >msg.empty &&
	echo "test@mreg $(cat key.pub)" >allowed_signers
'

# 40 bytes of namespace makes the armored base64 exactly 4 lines of 70.
LONG_NS=mreg-namespace-of-forty-characters-xxxx

test_expect_success 'mreg signature is byte-identical to ssh-keygen -Y sign' '
	for ns in git mreg-approval $LONG_NS; do
		for m in msg msg.bin msg.empty; do
			rm -f $m.sig &&
			test-sign sign key $ns <$m >mreg.sig &&
			ssh-keygen -q -Y sign -f key -n $ns $m &&
			test_cmp $m.sig mreg.sig || return 1
		done
	done
'

test_expect_success 'ssh-keygen -Y verify accepts mreg signature' '
	test-sign sign key git <msg >mreg-git.sig &&
	ssh-keygen -Y verify -f allowed_signers -I test@mreg -n git \
		-s mreg-git.sig <msg
'

test_expect_success 'mreg verifies ssh-keygen signature and names the signer' '
	rm -f msg.sig &&
	ssh-keygen -q -Y sign -f key -n git msg &&
	test-sign verify git msg.sig <msg >signer &&
	cut -d" " -f1,2 key.pub >expect &&
	test_cmp expect signer
'

test_expect_success 'namespace mismatch is refused' '
	test_must_fail test-sign verify mreg-approval msg.sig <msg 2>err &&
	test_grep "namespace .git., not .mreg-approval." err &&
	test-sign sign key mreg-approval <msg >approval.sig &&
	test_must_fail test-sign verify git approval.sig <msg &&
	! ssh-keygen -Y verify -f allowed_signers -I test@mreg -n git \
		-s approval.sig <msg
'

test_expect_success 'a changed message or signature is refused' '
	printf "model: fraud\nversion: 4\n" >msg.changed &&
	test_must_fail test-sign verify git mreg-git.sig <msg.changed 2>err &&
	test_grep "does not match" err &&
	flip_char 5 mreg-git.sig >bad.sig &&
	! cmp mreg-git.sig bad.sig &&
	test_must_fail test-sign verify git bad.sig <msg &&
	head -n 3 mreg-git.sig >truncated.sig &&
	test_must_fail test-sign verify git truncated.sig <msg &&
	sed "1s/SSH SIGNATURE/PGP SIGNATURE/" mreg-git.sig >pgp.sig &&
	test_must_fail test-sign verify git pgp.sig <msg
'

test_expect_success 'a key file readable by others is refused' '
	cp key open-key &&
	chmod 644 open-key &&
	test_must_fail test-sign sign open-key git <msg 2>err &&
	test_grep "permissions 0644 for .open-key. are too open" err &&
	chmod 640 open-key &&
	test_must_fail test-sign sign open-key git <msg
'

test_expect_success 'encrypted and non-Ed25519 key files are refused' '
	ssh-keygen -q -t ed25519 -N secret -f enc &&
	test_must_fail test-sign sign enc git <msg 2>err &&
	test_grep "is encrypted; load it into ssh-agent" err &&
	ssh-keygen -q -t ecdsa -N "" -f ecdsa &&
	test_must_fail test-sign sign ecdsa git <msg 2>err &&
	test_grep "only ssh-ed25519" err
'

test_expect_success 'mreg keygen makes a key ssh-keygen reads' '
	test-sign keygen gen gen@mreg &&
	test "$(stat -c %a gen)" = 600 &&
	ssh-keygen -y -f gen >derived.pub &&
	test_cmp gen.pub derived.pub &&
	ssh-keygen -lf gen | cut -d" " -f2 >expect &&
	test-sign fingerprint gen >actual &&
	test_cmp expect actual &&
	rm -f msg.sig &&
	ssh-keygen -q -Y sign -f gen -n git msg &&
	test-sign sign gen git <msg >gen.sig &&
	test_cmp msg.sig gen.sig
'

test_expect_success 'mreg keygen never overwrites a key' '
	cp gen gen.before &&
	test_must_fail test-sign keygen gen 2>err &&
	test_grep "already exists" err &&
	test_cmp gen gen.before &&
	rm gen.pub &&
	: >lone.pub &&
	test_must_fail test-sign keygen lone &&
	! test -e lone
'

test_expect_success 'PKCS#8 PEM key signs and ssh-keygen verifies' '
	openssl genpkey -algorithm ed25519 -out k.pem 2>/dev/null &&
	chmod 600 k.pem &&
	test-sign pubkey k.pem >pem.pub &&
	echo "pem@mreg $(cat pem.pub)" >allowed_pem &&
	test-sign sign k.pem git <msg >pem.sig &&
	ssh-keygen -Y verify -f allowed_pem -I pem@mreg -n git -s pem.sig <msg &&
	test-sign verify git pem.sig <msg >signer &&
	test_cmp pem.pub signer
'

# sun_path is short: the socket goes in a short directory of its own.
test_expect_success 'setup: ssh-agent holding an encrypted key' '
	agent_dir=$(mktemp -d "${TMPDIR:-/tmp}/mreg-agent.XXXXXX") &&
	ssh-agent -a "$agent_dir/sock" -s >agent.env &&
	. ./agent.env >/dev/null &&
	agent_pid=$SSH_AGENT_PID &&
	printf "#!/bin/sh\necho secret\n" >askpass &&
	chmod +x askpass &&
	SSH_ASKPASS="$TRASH_DIRECTORY/askpass" SSH_ASKPASS_REQUIRE=force \
		DISPLAY=:0 ssh-add enc </dev/null &&
	ssh-add -L >agent-keys &&
	test_grep "$(cut -d" " -f2 enc.pub)" agent-keys
'

test_expect_success 'signing through ssh-agent gives ssh-keygen bytes' '
	cp enc dec &&
	ssh-keygen -q -p -P secret -N "" -f dec &&
	rm -f msg.sig &&
	SSH_AUTH_SOCK= ssh-keygen -q -Y sign -f dec -n git msg &&
	test-sign sign-agent enc.pub git <msg >agent.sig &&
	test_cmp msg.sig agent.sig &&
	test-sign sign-agent "$(cat enc.pub)" git <msg >agent2.sig &&
	test_cmp msg.sig agent2.sig &&
	test-sign sign-agent "key::$(cat enc.pub)" git <msg >agent3.sig &&
	test_cmp msg.sig agent3.sig
'

test_expect_success 'a key the agent does not hold is refused' '
	test_must_fail test-sign sign-agent key.pub git <msg 2>err &&
	test_grep "ssh-agent does not hold key SHA256:" err &&
	test_must_fail env SSH_AUTH_SOCK= test-sign sign-agent enc.pub git \
		<msg 2>err &&
	test_grep "SSH_AUTH_SOCK is not set" err
'

# Prints the commit object for `payload` carrying signature $1.
signed_commit () {
	sed -n "1,3p" payload &&
	sed -e "1s/^/gpgsig /" -e "2,\$s/^/ /" "$1" &&
	sed -n "4,\$p" payload
}

# The payload git signs is the commit object without its gpgsig header.
test_expect_success 'setup: a repository and a commit payload' '
	git init -q repo &&
	cat >payload <<-\EOF &&
	tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904
	author A U Thor <author@example.com> 1700000000 +0000
	committer C O Mitter <committer@example.com> 1700000000 +0000

	route: fraud -> v3
	EOF
	echo "author@example.com $(cat key.pub)" >git_signers
'

test_expect_success 'stock git verify-commit accepts an mreg-signed commit' '
	echo "author@example.com $(cat key.pub)" >git_signers &&
	test-sign sign key git <payload >commit.sig &&
	signed_commit commit.sig >commit.txt &&
	id=$(git -C repo hash-object -t commit -w --stdin <commit.txt) &&
	git -C repo -c gpg.format=ssh \
		-c gpg.ssh.allowedSignersFile="$TRASH_DIRECTORY/git_signers" \
		verify-commit "$id" 2>out &&
	test_grep "Good \"git\" signature for author@example.com" out &&
	git -C repo cat-file commit "$id" >roundtrip &&
	test_cmp commit.txt roundtrip
'

test_expect_success 'git refuses an approval signature on a commit' '
	test-sign sign key mreg-approval <payload >approval-commit.sig &&
	signed_commit approval-commit.sig >commit2.txt &&
	id=$(git -C repo hash-object -t commit -w --stdin <commit2.txt) &&
	! git -C repo -c gpg.format=ssh \
		-c gpg.ssh.allowedSignersFile="$TRASH_DIRECTORY/git_signers" \
		verify-commit "$id"
'

test_expect_success 'mreg verifies the signature git-signed commits carry' '
	git -C repo config user.name "A U Thor" &&
	git -C repo config user.email author@example.com &&
	git -C repo -c gpg.format=ssh -c user.signingkey="$TRASH_DIRECTORY/key" \
		commit -q -S --allow-empty -m "signed by git" &&
	git -C repo cat-file commit HEAD >c &&
	sed -n "/^gpgsig /,/^ -----END/p" c |
		sed -e "s/^gpgsig //" -e "s/^ //" >git.sig &&
	sed "/^gpgsig /,/^ -----END/d" c >git.payload &&
	test-sign verify git git.sig <git.payload >signer &&
	cut -d" " -f1,2 key.pub >expect &&
	test_cmp expect signer
'

test_expect_success 'cleanup: stop ssh-agent' '
	stop_agent &&
	test_must_fail ssh-add -L
'

test_done
