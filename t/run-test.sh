#!/bin/sh
# prove --exec runs every test through this: shell tests under sh, unit
# tests (compiled C, TAP on stdout) directly.
case "$1" in
*.sh) exec /bin/sh "$1" ;;
*) exec "./$1" ;;
esac
