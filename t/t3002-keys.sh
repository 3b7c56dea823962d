#!/bin/sh
test_description='signing keys: mreg keygen, key files, ssh-agent, byte-equal signatures

mreg keygen makes an OpenSSH Ed25519 key (0600) and its .pub.  Signing
takes unencrypted OpenSSH and PKCS#8 PEM key files, refuses key files
others can read (as ssh does) and encrypted ones (with advice to use
ssh-agent), and signs through ssh-agent.  Commit signatures are the bytes
"ssh-keygen -Y sign -n git" makes over the commit without its gpgsig
header, and stock git verify-commit accepts them.'

for tool in ssh-keygen ssh-agent ssh-add openssl python3
do
	command -v $tool >/dev/null 2>&1 || skip_all="$tool not found"
done

. ./test-lib.sh
. "$TEST_DIRECTORY"/lib-bundle.sh

# The agent a test starts; stopped by test_when_finished, or on any exit.
agent_pid=
stop_agent () {
	test -n "$agent_pid" && kill "$agent_pid" 2>/dev/null
	agent_pid=
	rm -rf "$TRASH_DIRECTORY/agent"
	unset SSH_AUTH_SOCK
	return 0
}
trap 'code_=$?; stop_agent; (exit $code_); test_lib_atexit' EXIT

# start_agent: an ssh-agent on a socket in the trash directory.
start_agent () {
	mkdir -p "$TRASH_DIRECTORY/agent" &&
	ssh-agent -a "$TRASH_DIRECTORY/agent/sock" >"$TRASH_DIRECTORY/agent/env" &&
	agent_pid=$(sed -n "s/^SSH_AGENT_PID=\([0-9]*\);.*/\1/p" "$TRASH_DIRECTORY/agent/env") &&
	test -n "$agent_pid" &&
	SSH_AUTH_SOCK="$TRASH_DIRECTORY/agent/sock" &&
	export SSH_AUTH_SOCK
}

# agent_add KEY PASSPHRASE: ssh-add an encrypted key without a terminal.
agent_add () {
	printf "#!/bin/sh\necho '%s'\n" "$2" >"$TRASH_DIRECTORY/agent/askpass" &&
	chmod +x "$TRASH_DIRECTORY/agent/askpass" &&
	SSH_ASKPASS="$TRASH_DIRECTORY/agent/askpass" SSH_ASKPASS_REQUIRE=force \
		DISPLAY=:0 ssh-add "$1" </dev/null
}

# new_registry DIR KEY: DIR/.mreg with a version v1 registered (and
# validated) by KEY, which becomes its trust root.
new_registry () {
	mkdir "$1" &&
	(
		cd "$1" &&
		setup_registry &&
		mreg config set user.signingkey "$2" &&
		make_bundle b v1 4 &&
		mreg register -q b/mreg.yaml >/dev/null &&
		mreg status v1 validated -m ok >/dev/null
	)
}

# commit_payload COMMIT: the commit as git signs it (without gpgsig).
# commit_sig COMMIT: the armored signature in its gpgsig header.
commit_payload () {
	git --git-dir=.mreg cat-file commit "$1" | python3 -c '
import sys
lines = sys.stdin.buffer.read().split(b"\n")
out, i = [], 0
while i < len(lines):
    if lines[i].startswith(b"gpgsig "):
        i += 1
        while lines[i].startswith(b" "):
            i += 1
        continue
    out.append(lines[i]); i += 1
sys.stdout.buffer.write(b"\n".join(out))'
}

commit_sig () {
	git --git-dir=.mreg cat-file commit "$1" | python3 -c '
import sys
lines = sys.stdin.read().split("\n")
i = [n for n, l in enumerate(lines) if l.startswith("gpgsig ")]
assert len(i) == 1, i
i = i[0]
sig = [lines[i][len("gpgsig "):]]
i += 1
while lines[i].startswith(" "):
    sig.append(lines[i][1:]); i += 1
print("\n".join(sig))'
}

# ssh_pubkey_of_pem PEM: the "ssh-ed25519 AAAA..." line of a PKCS#8 key,
# computed with openssl alone.
ssh_pubkey_of_pem () {
	openssl pkey -in "$1" -pubout -outform DER | tail -c 32 | python3 -c '
import base64, struct, sys
raw = sys.stdin.buffer.read()
t = b"ssh-ed25519"
blob = struct.pack(">I", len(t)) + t + struct.pack(">I", len(raw)) + raw
print("ssh-ed25519 " + base64.b64encode(blob).decode())'
}

# openssh_of_pem PEM: the same Ed25519 key as an unencrypted OpenSSH key
# file (ssh-keygen 9.2 cannot read PKCS#8 Ed25519 keys), made with openssl
# and python alone.
openssh_of_pem () {
	openssl pkey -in "$1" -outform DER | tail -c 32 >seed.bin &&
	openssl pkey -in "$1" -pubout -outform DER | tail -c 32 >pub.bin &&
	python3 -c '
import base64, struct
seed, pub = open("seed.bin", "rb").read(), open("pub.bin", "rb").read()
def s(b):
    return struct.pack(">I", len(b)) + b
t = b"ssh-ed25519"
blob = s(t) + s(pub)
priv = struct.pack(">II", 7, 7) + s(t) + s(pub) + s(seed + pub) + s(b"pem")
n = 1
while len(priv) % 8:
    priv += bytes([n]); n += 1
data = b"openssh-key-v1\0" + s(b"none") + s(b"none") + s(b"") + \
    struct.pack(">I", 1) + s(blob) + s(priv)
b64 = base64.b64encode(data).decode()
print("-----BEGIN OPENSSH PRIVATE KEY-----")
for i in range(0, len(b64), 70):
    print(b64[i:i + 70])
print("-----END OPENSSH PRIVATE KEY-----")'
}

test_expect_success 'keygen writes a 0600 key and its .pub, and prints the public line' '
	mreg keygen -f k1 -C "test key" >out 2>err &&
	test_path_is_file k1 &&
	test_path_is_file k1.pub &&
	test "$(stat -c %a k1)" = 600 &&
	test_cmp k1.pub out &&
	grep "^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]* test key$" out &&
	head -n 1 k1 | grep "^-----BEGIN OPENSSH PRIVATE KEY-----$" &&
	grep "^Wrote k1 (fingerprint SHA256:[A-Za-z0-9+/]*) and k1.pub$" err
'

test_expect_success 'ssh-keygen reads the key: same fingerprint, same public key' '
	ssh-keygen -lf k1 >fp.priv &&
	ssh-keygen -lf k1.pub >fp.pub &&
	test_cmp fp.pub fp.priv &&
	grep "^256 SHA256:.* test key (ED25519)$" fp.pub &&
	cut -d" " -f2 fp.pub >fp &&
	sed -n "s/^Wrote k1 (fingerprint \(.*\)) and k1.pub$/\1/p" err >mreg-fp &&
	test_cmp fp mreg-fp &&
	ssh-keygen -y -f k1 | cut -d" " -f1,2 >pub.derived &&
	cut -d" " -f1,2 k1.pub >pub.written &&
	test_cmp pub.written pub.derived
'

test_expect_success 'two keys differ' '
	mreg keygen -f k2 >/dev/null 2>&1 &&
	! cmp -s k1.pub k2.pub
'

test_expect_success 'keygen refuses to overwrite a key or its .pub' '
	cp k1 k1.save &&
	cp k1.pub k1.pub.save &&
	test_expect_code 128 mreg keygen -f k1 >out 2>err &&
	test_must_be_empty out &&
	grep "^fatal: .k1. already exists$" err &&
	cmp k1 k1.save &&
	cmp k1.pub k1.pub.save &&
	echo "not a key" >orphan.pub &&
	test_expect_code 128 mreg keygen -f orphan 2>err &&
	grep "orphan.pub. already exists" err &&
	test_path_is_missing orphan
'

test_expect_success 'keygen without -f writes ~/.config/mreg/id_ed25519' '
	mreg keygen >out 2>err &&
	test_path_is_file "$HOME/.config/mreg/id_ed25519" &&
	test_path_is_file "$HOME/.config/mreg/id_ed25519.pub" &&
	test "$(stat -c %a "$HOME/.config/mreg/id_ed25519")" = 600 &&
	test "$(stat -c %a "$HOME/.config/mreg")" = 700 &&
	test_cmp "$HOME/.config/mreg/id_ed25519.pub" out &&
	test_expect_code 128 mreg keygen 2>err &&
	grep "already exists" err
'

test_expect_success 'keygen -h and bad options' '
	test_expect_code 129 mreg keygen --bogus 2>err &&
	test_expect_code 129 mreg keygen extra 2>err
'

test_expect_success 'inside a registry, keygen sets user.signingkey (once) and uses user.email' '
	mkdir reg &&
	(
		cd reg &&
		setup_registry &&
		mreg keygen -f key >out 2>err &&
		grep " author@example.com$" out &&
		grep "^Set user.signingkey in " err &&
		mreg config get user.signingkey >sk &&
		grep "key$" sk &&
		mreg keygen -f key2 >/dev/null 2>err &&
		! grep "Set user.signingkey" err &&
		mreg config get user.signingkey >sk2 &&
		test_cmp sk sk2
	)
'

test_expect_success 'the signing key keygen sets works from a subdirectory too' '
	(
		cd reg &&
		make_bundle b v1 4 &&
		mkdir -p sub/dir &&
		cd sub/dir &&
		mreg register -q ../../b/mreg.yaml &&
		mreg status v1 validated -m "from a subdirectory"
	)
'

test_expect_success 'a configured signing key that cannot be read fails register, not unsigned' '
	mkdir badkey &&
	(
		cd badkey &&
		setup_registry &&
		mreg config set user.signingkey "$HOME/no-such-key" &&
		make_bundle b v1 4 &&
		registry_state >before &&
		test_must_fail mreg register -q b/mreg.yaml 2>err &&
		grep "no-such-key" err &&
		registry_state >after &&
		test_cmp before after
	)
'

test_expect_success 'setup: a registry signed with an mreg keygen key' '
	new_registry main "$HOME/k1" &&
	echo "tester $(cat k1.pub)" >allowed.k1
'

test_expect_success 'a key file readable by others is refused, as ssh does' '
	cp k1 k1.open &&
	chmod 644 k1.open &&
	(
		cd main &&
		registry_state >before &&
		test_expect_code 128 env MREG_SIGNING_KEY="$HOME/k1.open" \
			mreg promote feed v1 >out 2>err &&
		test_must_be_empty out &&
		grep "^error: permissions 0644 for .*k1.open. are too open" err &&
		chmod 640 ../k1.open &&
		test_expect_code 128 env MREG_SIGNING_KEY="$HOME/k1.open" \
			mreg promote feed v1 2>err &&
		grep "permissions 0640 for .*k1.open. are too open" err &&
		chmod 604 ../k1.open &&
		test_must_fail env MREG_SIGNING_KEY="$HOME/k1.open" \
			mreg promote feed v1 2>err &&
		grep "are too open" err &&
		registry_state >after &&
		test_cmp before after
	)
'

test_expect_success 'a 0400 key is fine' '
	cp k1 k1.ro &&
	chmod 400 k1.ro &&
	(
		cd main &&
		MREG_SIGNING_KEY="$HOME/k1.ro" mreg promote --stage canary feed v1
	)
'

test_expect_success 'a missing key file is reported' '
	(
		cd main &&
		registry_state >before &&
		test_must_fail env MREG_SIGNING_KEY="$HOME/no-such-key" \
			mreg promote feed v1 2>err &&
		grep "no-such-key" err &&
		registry_state >after &&
		test_cmp before after
	)
'

test_expect_success 'an encrypted OpenSSH key is refused with advice to use ssh-agent' '
	ssh-keygen -q -t ed25519 -N "s3cret pass" -C enc@example.com -f enc &&
	(
		cd main &&
		registry_state >before &&
		test_expect_code 128 env MREG_SIGNING_KEY="$HOME/enc" \
			mreg promote feed v1 2>err &&
		grep "key .*enc. is encrypted; load it into ssh-agent" err &&
		registry_state >after &&
		test_cmp before after
	)
'

test_expect_success 'an encrypted PKCS#8 key is refused with the same advice' '
	openssl genpkey -algorithm ed25519 -aes-256-cbc -pass pass:s3cret \
		-out enc.pem 2>/dev/null &&
	chmod 600 enc.pem &&
	head -n 1 enc.pem | grep "^-----BEGIN ENCRYPTED PRIVATE KEY-----$" &&
	(
		cd main &&
		test_must_fail env MREG_SIGNING_KEY="$HOME/enc.pem" \
			mreg promote feed v1 2>err &&
		grep "encrypted; load it into ssh-agent" err
	)
'

test_expect_success 'a public key file without an agent is refused clearly' '
	(
		cd main &&
		test_must_fail env MREG_SIGNING_KEY="$HOME/k1.pub" \
			mreg promote feed v1 2>err &&
		grep -i "agent" err
	)
'

test_expect_success 'the gpgsig of a route commit is what ssh-keygen -Y sign makes' '
	(
		cd main &&
		mreg promote feed v1 &&
		git --git-dir=.mreg -c gpg.ssh.allowedSignersFile=../allowed.k1 \
			verify-commit refs/mreg/routes/feed &&
		commit_payload refs/mreg/routes/feed >payload &&
		! grep "^gpgsig" payload &&
		commit_sig refs/mreg/routes/feed >mreg.sig &&
		ssh-keygen -q -Y sign -n git -f "$HOME/k1" payload &&
		test_cmp payload.sig mreg.sig &&
		ssh-keygen -Y verify -f ../allowed.k1 -I tester -n git -s mreg.sig <payload
	)
'

test_expect_success 'the same holds for status commits and every commit of the route' '
	(
		cd main &&
		for c in $(git --git-dir=.mreg rev-list refs/mreg/routes/feed refs/mreg/status/home_ranker/v1)
		do
			commit_payload $c >payload &&
			commit_sig $c >mreg.sig &&
			rm -f payload.sig &&
			ssh-keygen -q -Y sign -n git -f "$HOME/k1" payload &&
			test_cmp payload.sig mreg.sig || return 1
		done
	)
'

test_expect_success 'a PKCS#8 PEM key (openssl genpkey) signs' '
	openssl genpkey -algorithm ed25519 -out pem.key &&
	chmod 600 pem.key &&
	head -n 1 pem.key | grep "^-----BEGIN PRIVATE KEY-----$" &&
	ssh_pubkey_of_pem pem.key >pem.pub &&
	echo "pem $(cat pem.pub)" >allowed.pem &&
	new_registry pemreg "$HOME/pem.key" &&
	(
		cd pemreg &&
		git --git-dir=.mreg config --get-all mreg.trustroot | cut -d" " -f1,2 >root &&
		test_cmp ../pem.pub root &&
		mreg promote feed v1 &&
		git --git-dir=.mreg -c gpg.ssh.allowedSignersFile=../allowed.pem \
			verify-commit refs/mreg/routes/feed &&
		mreg verify >out &&
		! grep "^BAD" out
	)
'

test_expect_success 'PEM signatures are byte-equal to ssh-keygen with the same key as OpenSSH' '
	openssh_of_pem pem.key >pem-as-openssh &&
	chmod 600 pem-as-openssh &&
	ssh-keygen -y -f pem-as-openssh | cut -d" " -f1,2 >derived &&
	test_cmp pem.pub derived &&
	head -n 1 pem-as-openssh | grep "^-----BEGIN OPENSSH PRIVATE KEY-----$" &&
	(
		cd pemreg &&
		commit_payload refs/mreg/routes/feed >payload &&
		commit_sig refs/mreg/routes/feed >mreg.sig &&
		ssh-keygen -q -Y sign -n git -f "$HOME/pem-as-openssh" payload &&
		test_cmp payload.sig mreg.sig
	)
'

test_expect_success 'signing through ssh-agent with an encrypted key' '
	test_when_finished stop_agent &&
	start_agent &&
	agent_add enc "s3cret pass" &&
	ssh-add -l >listed &&
	grep "enc@example.com (ED25519)" listed &&
	echo "enc $(cat enc.pub)" >allowed.enc &&
	new_registry agentreg "$HOME/enc.pub" &&
	(
		cd agentreg &&
		git --git-dir=.mreg config --get-all mreg.trustroot | cut -d" " -f1,2 >root &&
		cut -d" " -f1,2 ../enc.pub >expect &&
		test_cmp expect root &&
		mreg promote feed v1 >out &&
		grep "^feed seq 1 promote: production home_ranker@v1$" out &&
		git --git-dir=.mreg -c gpg.ssh.allowedSignersFile=../allowed.enc \
			verify-commit refs/mreg/routes/feed &&
		commit_payload refs/mreg/routes/feed >payload &&
		commit_sig refs/mreg/routes/feed >mreg.sig &&
		ssh-keygen -q -Y sign -n git -f ../enc.pub payload &&
		test_cmp payload.sig mreg.sig &&
		mreg verify >out &&
		! grep "^BAD" out
	)
'

test_expect_success 'an agent key named by its public line (key::, or literal)' '
	test_when_finished stop_agent &&
	start_agent &&
	agent_add enc "s3cret pass" &&
	(
		cd agentreg &&
		MREG_SIGNING_KEY="key::$(cut -d" " -f1,2 ../enc.pub)" \
			mreg route retire feed &&
		MREG_SIGNING_KEY="$(cut -d" " -f1,2 ../enc.pub)" \
			mreg promote feed v1 &&
		test "$(git --git-dir=.mreg rev-list --count refs/mreg/routes/feed)" = 3 &&
		for c in $(git --git-dir=.mreg rev-list refs/mreg/routes/feed)
		do
			git --git-dir=.mreg -c gpg.ssh.allowedSignersFile=../allowed.enc \
				verify-commit $c || return 1
		done
	)
'

test_expect_success 'an agent that does not hold the key is refused, nothing written' '
	test_when_finished stop_agent &&
	start_agent &&
	(
		cd agentreg &&
		registry_state >before &&
		test_must_fail mreg route retire feed 2>err &&
		grep -i "agent" err &&
		registry_state >after &&
		test_cmp before after
	)
'

test_expect_success 'with no agent running, an agent key is refused clearly' '
	(
		cd agentreg &&
		unset SSH_AUTH_SOCK &&
		registry_state >before &&
		test_must_fail mreg route retire feed 2>err &&
		grep -i "agent" err &&
		registry_state >after &&
		test_cmp before after
	)
'

test_expect_success 'a key that is not the trust root cannot sign in a registry without policy' '
	(
		cd main &&
		registry_state >before &&
		test_expect_code 1 env MREG_SIGNING_KEY="$HOME/k2" mreg route retire feed 2>err &&
		grep "not trusted" err &&
		registry_state >after &&
		test_cmp before after
	)
'

test_expect_success 'init pins the signing key the user already has' '
	mreg keygen -f "$HOME/k3" >/dev/null 2>&1 &&
	MREG_SIGNING_KEY="$HOME/k3" mreg init pinned >out 2>err &&
	grep "^Pinned your key SHA256:" err &&
	git --git-dir=pinned/.mreg config --get-all mreg.trustroot | cut -d" " -f1,2 >k3-root &&
	cut -d" " -f1,2 "$HOME/k3.pub" >expect &&
	test_cmp expect k3-root &&
	(
		cd pinned &&
		mreg config set user.email author@example.com &&
		make_bundle b v1 4 &&
		test_expect_code 128 env MREG_SIGNING_KEY="$HOME/k2" \
			mreg register -q b/mreg.yaml 2>err &&
		grep "not trusted" err &&
		MREG_SIGNING_KEY="$HOME/k3" mreg register -q b/mreg.yaml >/dev/null
	)
'

test_expect_success 'init without a key pins nothing and says what will' '
	mreg init nokey >out 2>err &&
	grep "hint: no signing key to pin as the trust root yet" err &&
	test_expect_code 1 git --git-dir=nokey/.mreg config --get-all mreg.trustroot
'

test_expect_success 'keygen in a registry that trusts no key yet pins the new key' '
	(
		cd nokey &&
		mreg keygen -f "$HOME/k4" >pub 2>err &&
		grep "^Pinned it as the registry.s trust root" err &&
		git --git-dir=.mreg config --get-all mreg.trustroot >root &&
		test_cmp pub root &&
		mreg keygen -f "$HOME/k5" >/dev/null 2>err &&
		! grep Pinned err &&
		test_line_count = 1 root
	)
'

test_expect_success 'init --trust-root FILE pins its keys, once each' '
	cat "$HOME/k2.pub" "$HOME/k3.pub" >keys &&
	mreg init --trust-root keys roots >out 2>err &&
	grep "^Pinned SHA256:.*, SHA256:.* from keys as the registry" err &&
	mreg init --trust-root keys roots >out 2>err &&
	git --git-dir=roots/.mreg config --get-all mreg.trustroot >pinned-roots &&
	test_line_count = 2 pinned-roots
'

test_expect_success 'init --trust-root with a bad FILE pins none of it' '
	test_expect_code 128 mreg init --trust-root no-such-file none 2>err &&
	grep "cannot read .no-such-file." err &&
	test_path_is_missing none &&
	{ cat "$HOME/k3.pub" && echo "ssh-ed25519 not-base64"; } >half &&
	test_expect_code 128 mreg init --trust-root half half-reg 2>err &&
	grep "^fatal: half: " err &&
	test_expect_code 1 git --git-dir=half-reg/.mreg config --get-all mreg.trustroot
'

test_done
