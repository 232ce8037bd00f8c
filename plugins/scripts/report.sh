#!/bin/sh
# report NAME [full]: prints a short system report titled NAME; "full" adds
# disk and process details (example plugin).
set -eu
name="$1"
mode="${2:-quick}"
echo "report $name ($mode) on $(uname -n) at $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "kernel: $(uname -sr)"
if [ -r /proc/loadavg ]; then echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"; fi
if [ "$mode" = full ]; then
  echo "disk:"
  df -h / 2>/dev/null | sed 's/^/  /'
  echo "processes: $(ps -e 2>/dev/null | tail -n +2 | wc -l)"
fi
