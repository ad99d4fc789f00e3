#!/usr/bin/env bash
# Make sure the browser tests' Chromium is there (`make test`), and poppler's tools, which read
# the printed programme brief's PDF: installs Debian's packages when this runs as root on a
# machine with apt, else stops with one line saying what to do.
set -euo pipefail

chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
ready() { [ -x "$chromium" ] && command -v pdftoppm >/dev/null; }
ready && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Chromium and poppler-utils for the browser tests (apt-get install)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null
    ready && exit 0
fi
echo "make test: the browser tests need Chromium at $chromium and poppler-utils (pdftoppm): run 'sudo apt-get install chromium poppler-utils' (or set CHROMIUM_PATH) and try again" >&2
exit 1
