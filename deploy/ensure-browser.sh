#!/usr/bin/env bash
# Make sure the browser tests' Chromium is there (`make test`): installs Debian's package when
# this runs as root on a machine with apt, else stops with one line saying what to do.
set -euo pipefail

chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
[ -x "$chromium" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Chromium for the browser tests (apt-get install chromium)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    [ -x "$chromium" ] && exit 0
fi
echo "make test: the browser tests need Chromium at $chromium: run 'sudo apt-get install chromium' (or set CHROMIUM_PATH) and try again" >&2
exit 1
