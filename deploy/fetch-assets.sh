#!/usr/bin/env bash
# Fetch the front-end files the dashboards serve (package.json, pinned with their integrity in
# package-lock.json) from the npm registry into the static files: Plotly.js's cartesian bundle
# (bar, scatter and heat-map charts) as programs/static/dashboards/vendor/plotly.min.js. Run at
# install and image-build time (make venv, the Dockerfile); the app never fetches anything.
# Installs npm with apt where it is missing and this runs as root, else stops saying how.
set -euo pipefail
cd "$(dirname "$0")/.."

bundle=node_modules/plotly.js-cartesian-dist-min/plotly-cartesian.min.js
target=programs/static/dashboards/vendor/plotly.min.js

if ! command -v npm >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing npm to fetch the chart library (apt-get install npm)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
    else
        echo "the dashboards' chart library comes from the npm registry: install npm ('sudo apt-get install npm') and try again" >&2
        exit 1
    fi
fi
npm ci --ignore-scripts --no-audit --no-fund --loglevel error
mkdir -p "$(dirname "$target")"
cp "$bundle" "$target"
