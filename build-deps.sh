#!/bin/sh
# build-deps.sh: check that what mreg needs to build and test is installed;
# install what is missing (as root, with apt-get) or say how to.
#
# Run by "make test" and "make demo". Silent when everything is present.

pkgs=

need_pkg () {
	case " $pkgs " in
	*" $1 "*) ;;
	*) pkgs="${pkgs:+$pkgs }$1" ;;
	esac
}

# Libraries, by pkg-config module. Without pkg-config nothing can be
# checked, so every -dev package is asked for (apt skips those present).
if command -v pkg-config >/dev/null 2>&1
then
	if ! pkg-config --exists libgit2 yaml-0.1 libcrypto zlib jansson nettle
	then
		for m in libgit2:libgit2-dev yaml-0.1:libyaml-dev \
			libcrypto:libssl-dev zlib:zlib1g-dev jansson:libjansson-dev \
			nettle:nettle-dev
		do
			pkg-config --exists "${m%%:*}" || need_pkg "${m#*:}"
		done
	fi
else
	need_pkg pkg-config
	for p in libgit2-dev libyaml-dev libssl-dev zlib1g-dev libjansson-dev \
		nettle-dev
	do
		need_pkg $p
	done
fi

# Commands, for the build and for the tests.
for c in cc:build-essential make:build-essential prove:perl git:git \
	ssh-keygen:openssh-client ssh:openssh-client xmllint:libxml2-utils \
	python3:python3 strace:strace
do
	command -v "${c%%:*}" >/dev/null 2>&1 || need_pkg "${c#*:}"
done

# Servers the sync tests start on loopback: git daemon (in Debian's git
# package, under git --exec-path) for git://, and sshd for ssh://.
# Installing openssh-server may try to start the system's sshd; the tests
# never use it, only sshd processes of their own.
if command -v git >/dev/null 2>&1 &&
	! test -x "$(git --exec-path 2>/dev/null)/git-daemon"
then
	need_pkg git
fi
test -x /usr/sbin/sshd || need_pkg openssh-server

test -z "$pkgs" && exit 0

if test "$(id -u)" != 0
then
	echo "build-deps: missing build or test dependencies; install them with:" >&2
	echo "  sudo apt-get install $pkgs" >&2
	exit 1
fi
if ! command -v apt-get >/dev/null 2>&1
then
	echo "build-deps: missing Debian packages (or equivalents): $pkgs" >&2
	exit 1
fi

echo "build-deps: installing $pkgs" >&2
apt-get update -q >&2 &&
DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	--no-install-recommends $pkgs >&2 || {
	echo "build-deps: apt-get install $pkgs failed" >&2
	exit 1
}
