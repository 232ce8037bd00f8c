#!/bin/sh
# sleep_echo SECONDS MESSAGE: waits, then prints the message (demo plugin).
set -eu
case "$1" in
  ''|*[!0-9]*) echo "sleep_echo: SECONDS must be a whole number, got '$1'" >&2; exit 2 ;;
esac
if [ "$1" -gt 60 ]; then
  echo "sleep_echo: at most 60 seconds, got $1" >&2
  exit 2
fi
sleep "$1"
printf '%s\n' "$2"
