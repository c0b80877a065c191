#!/bin/sh
# Install newsbrief from a checkout into a fresh virtual environment.
#
# The Dockerfile's build stage runs exactly this, and tests/test_deploy.py runs it in CI into a
# temporary venv, so the image's install steps cannot rot unnoticed. Also usable on a plain
# server (see docs/deploy.md):  sh deploy/install.sh /path/to/checkout /opt/newsbrief
set -eu

usage="usage: install.sh SOURCE_DIR VENV_DIR"
src="${1:?$usage}"
venv="${2:?$usage}"
python="${PYTHON:-python3}"

"$python" -m venv "$venv"
# tzdata: the time zones as a wheel, for slim images without /usr/share/zoneinfo (zoneinfo falls
# back to it); a non-editable install, so the venv does not need the checkout afterwards. The
# image sets PIP_NO_CACHE_DIR=1 to stay small; CI keeps pip's cache to stay fast.
"$venv/bin/pip" install --quiet "$src" tzdata
"$venv/bin/newsbrief" --version
