#!/usr/bin/env bash
# Sets up everything the station needs on Debian 12 / Ubuntu, only what is missing:
# the system libraries Qt links against, a CJK font, and a virtualenv in .venv with the project
# installed (editable) plus its test extra. Safe to run again; a second run does almost nothing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

APT_PKGS=(libgl1 libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0 fonts-wqy-microhei poppler-utils python3-venv)
if [ "${1:-}" = "--gui" ]; then   # what Qt's xcb plugin needs to open real windows
    APT_PKGS+=(libx11-xcb1 libxcb1 libxcb-cursor0 libxcb-glx0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
               libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1
               libxcb-util1 libxcb-xfixes0 libxcb-xkb1 libxkbcommon-x11-0)
fi
missing=()
for p in "${APT_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "bootstrap: installing system packages: ${missing[*]}" >&2
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY="${PYTHON:-python3}"
STAMP=".venv/.installed-$(cat pyproject.toml installer/constraints.txt | sha1sum | cut -c1-12)"
if [ ! -x .venv/bin/python ]; then
    echo "bootstrap: creating .venv" >&2
    "$PY" -m venv .venv
fi
if [ ! -f "$STAMP" ]; then
    echo "bootstrap: installing Python packages into .venv" >&2
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -c installer/constraints.txt -e ".[test]"
    rm -f .venv/.installed-*
    touch "$STAMP"
fi
