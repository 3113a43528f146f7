#!/usr/bin/env bash
# Installs what whoot needs to build, run and test, and only what is missing.
# Safe to run again: apt is touched only when a package is absent, the Python venv is
# (re)filled only when Tests/e2e/requirements.txt changed since the last install.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

APT_PACKAGES=(
    libssl-dev libsrtp2-dev libopus-dev libsqlite3-dev libmicrohttpd-dev libargon2-dev
    libogg-dev libqrencode-dev zbar-tools chromium chromium-driver ffmpeg sox curl openssl
    pkg-config python3-venv systemd postgresql-15 libpq-dev faketime
)
VENV=.venv
REQUIREMENTS=Tests/e2e/requirements.txt
STAMP="$VENV/.requirements.sha256"

log() { printf 'setup: %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        log "need root to run: $* (no sudo found)" >&2
        exit 1
    fi
}

install_missing_apt_packages() {
    local missing=() pkg status
    for pkg in "${APT_PACKAGES[@]}"; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
        if [ "$status" != "installed" ]; then
            missing+=("$pkg")
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        log "apt packages present"
        return
    fi
    log "installing apt packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        "${missing[@]}"
}

# Debian's interpreter is the one python3-venv belongs to; fall back to whatever is on PATH.
pick_python() {
    if [ -x /usr/bin/python3 ]; then
        echo /usr/bin/python3
    else
        command -v python3
    fi
}

fill_venv() {
    local want have=""
    want=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating $VENV"
        rm -rf "$VENV"
        "$(pick_python)" -m venv "$VENV"
    fi
    [ -f "$STAMP" ] && have=$(cat "$STAMP")
    if [ "$want" = "$have" ]; then
        log "python venv up to date"
        return
    fi
    log "installing python packages from $REQUIREMENTS"
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q --upgrade pip
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$REQUIREMENTS"
    echo "$want" >"$STAMP"
}

install_missing_apt_packages
fill_venv
