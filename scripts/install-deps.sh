#!/usr/bin/env bash
# Installs what taskqueue needs to build, test and package on Debian 12.
# Usage: scripts/install-deps.sh [--with-browser]   (run as root, or with sudo)
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
packages=(
  cmake g++ make pkg-config scdoc
  libsqlite3-dev libsqlitecpp-dev libboost-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libcli11-dev libcpp-httplib-dev libsystemd-dev libbenchmark-dev
  libpcre2-dev
  dpkg-dev file man-db bash-completion procps
)
if [ "${1:-}" = "--with-browser" ]; then
  packages+=(chromium chromium-driver python3 python3-selenium)
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${packages[@]}"
