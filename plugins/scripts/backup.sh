#!/bin/sh
# backup SOURCE DEST_DIR: writes DEST_DIR/<name>-<UTC time>.tar.gz of SOURCE
# (example plugin; deferral tag disk:DEST_DIR keeps two backups from writing
# to the same place at once).
set -eu
src="$1"
dest="$2"
if [ ! -e "$src" ]; then echo "backup: no such source: $src" >&2; exit 2; fi
mkdir -p "$dest"
name="$(basename "$src")"
[ "$name" = / ] && name=root
out="$dest/$name-$(date -u +%Y%m%dT%H%M%SZ).tar.gz"
tar -czf "$out.partial" -C "$(dirname "$src")" "$(basename "$src")"
mv "$out.partial" "$out"
echo "backup: wrote $out ($(wc -c < "$out") bytes)"
