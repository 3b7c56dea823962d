#!/bin/sh

test_description='the man pages agree with the commands

Every command that "mreg help" lists has a page Documentation/mreg-CMD.adoc
whose NAME line is the summary "mreg help" gives and whose SYNOPSIS is,
line for line, the usage that "mreg CMD -h" prints; "mreg help CMD" prints
what "mreg CMD -h" prints and exits 0.  The SYNOPSIS of mreg(1) is the
usage of "mreg -h".'

. ./test-lib.sh

DOC="$MREG_BUILD_DIR/Documentation"

# synopsis_of PAGE: the lines of the [verse] paragraph under "== SYNOPSIS".
synopsis_of () {
	awk '
		/^== / { if (verse) exit; in_syn = ($0 == "== SYNOPSIS"); next }
		in_syn && $0 == "[verse]" { verse = 1; next }
		verse && /^[ \t]*$/ { exit }
		verse { print }
	' "$1"
}

# usage_of: the usage lines of -h output on stdin, up to the first blank
# line, without their "usage: " and "   or: ".
usage_of () {
	sed -e '/^$/,$d' -e 's/^usage: //' -e 's/^   or: //'
}

# purpose_of PAGE: what follows "mreg-CMD - " in the NAME section.
purpose_of () {
	sed -n -e '/^== NAME$/,/^== /s/^mreg[-a-z]* - //p' "$1"
}

# The pages of commands: section 1, other than mreg(1) itself.
command_pages () {
	for page in "$DOC"/mreg-*.adoc
	do
		case "$(sed -n 1p "$page")" in
		"= mreg-"*"(1)") echo "$page" ;;
		esac
	done
}

test_expect_success 'mreg help lists the commands' '
	mreg help >help &&
	sed -e "1,/^Commands:\$/d" -e "/^\$/,\$d" help >table &&
	awk "{ print \$1 }" table >commands &&
	test -s commands &&
	grep -x register commands
'

test_expect_success 'every command has a page' '
	while read cmd
	do
		test_path_is_file "$DOC/mreg-$cmd.adoc" || return 1
	done <commands
'

test_expect_success 'every page in section 1 is of a command' '
	command_pages >pages &&
	test -s pages &&
	sed -e "s|.*/mreg-||" -e "s|\.adoc\$||" pages | sort >documented &&
	sort commands >expect &&
	test_cmp expect documented
'

test_expect_success 'each NAME line is the summary in mreg help' '
	while read cmd summary
	do
		echo "$summary" >expect &&
		purpose_of "$DOC/mreg-$cmd.adoc" >actual &&
		test_cmp expect actual || return 1
	done <table
'

test_expect_success 'the SYNOPSIS of mreg(1) is the usage of mreg -h' '
	synopsis_of "$DOC/mreg.adoc" >expect &&
	test -s expect &&
	mreg -h >out &&
	usage_of <out >actual &&
	test_cmp expect actual
'

for cmd in $(command_pages | sed -e "s|.*/mreg-||" -e "s|\.adoc\$||")
do
	page="$DOC/mreg-$cmd.adoc"
	test_expect_success "the SYNOPSIS of mreg-$cmd.adoc is the usage of mreg $cmd -h" '
		synopsis_of "$page" >expect &&
		test -s expect &&
		test_expect_code 129 mreg $cmd -h >out &&
		usage_of <out >actual &&
		test_cmp expect actual
	'
done

test_expect_success 'mreg help CMD prints what mreg CMD -h prints, and exits 0' '
	while read cmd
	do
		test "$cmd" = help && continue
		mreg help $cmd >help.out &&
		test_expect_code 129 mreg $cmd -h >h.out &&
		test_cmp h.out help.out || return 1
	done <commands
'

test_expect_success 'mreg help needs no registry' '
	test_path_is_missing .mreg &&
	mreg help register >out &&
	grep "^usage: mreg register " out
'

test_expect_success 'mreg help of an unknown command is a usage error' '
	test_expect_code 129 mreg help no-such-command 2>err &&
	grep "no-such-command" err
'

test_done
