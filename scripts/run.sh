#!/usr/bin/env bash
# Starts whootd on the embedded default state directory, waits until it is ready, mints two
# join tokens (alice and bob in demo/lobby) and prints their join links. Stays in the
# foreground until Ctrl-C, which stops the daemon.
#
# Overrides (environment): WHOOT_STATE_DIR, WHOOT_HTTPS, WHOOT_UDP, WHOOT_ADMIN_SOCKET,
# WHOOTD, WHOOTCTL, WHOOT_READY_TIMEOUT (seconds).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

STATE_DIR=${WHOOT_STATE_DIR:-./state}
HTTPS=${WHOOT_HTTPS:-127.0.0.1:8443}
UDP=${WHOOT_UDP:-127.0.0.1:3478}
ADMIN_SOCKET=${WHOOT_ADMIN_SOCKET:-$STATE_DIR/admin.sock}
WHOOTD=${WHOOTD:-.build/debug/whootd}
WHOOTCTL=${WHOOTCTL:-.build/debug/whootctl}
READY_TIMEOUT=${WHOOT_READY_TIMEOUT:-60}

for bin in "$WHOOTD" "$WHOOTCTL"; do
    if [ ! -x "$bin" ]; then
        echo "run: $bin is missing or not executable; run 'make build' first" >&2
        exit 1
    fi
done

mkdir -p "$STATE_DIR"
LOG="$STATE_DIR/whootd.log"
: >"$LOG"

# tee ignores Ctrl-C's SIGINT (whootd, a background job, does too): it keeps copying until
# whootd has stopped, so "whootd stopped" still reaches the terminal and the log.
"$WHOOTD" --state-dir "$STATE_DIR" --https "$HTTPS" --udp "$UDP" \
    --admin-socket "$ADMIN_SOCKET" > >(trap '' INT; exec tee -a "$LOG") 2>&1 &
DAEMON=$!

stop_daemon() {
    if kill -0 "$DAEMON" 2>/dev/null; then
        kill -TERM "$DAEMON" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$DAEMON" 2>/dev/null || return 0
            sleep 0.1
        done
        kill -KILL "$DAEMON" 2>/dev/null || true
    fi
}
trap stop_daemon EXIT
trap 'exit 130' INT TERM

deadline=$((SECONDS + READY_TIMEOUT))
until grep -q 'whootd ready' "$LOG"; do
    if ! kill -0 "$DAEMON" 2>/dev/null; then
        echo "run: whootd exited before it was ready; its output is in $LOG" >&2
        exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
        echo "run: whootd not ready after ${READY_TIMEOUT}s; its output is in $LOG" >&2
        exit 1
    fi
    sleep 0.2
done

mint() {
    "$WHOOTCTL" --socket "$ADMIN_SOCKET" token join --tenant demo --channel lobby --member "$1" \
        --ttl 3600
}
ALICE=$(mint alice)
BOB=$(mint bob)

cat <<MSG

  whoot is running. Open each link in its own browser tab (accept the self-signed
  certificate warning once):

    alice: https://$HTTPS/#token=$ALICE
    bob:   https://$HTTPS/#token=$BOB

  Join tokens are single-use and expire after an hour. For a fresh one:
    $WHOOTCTL --socket $ADMIN_SOCKET token join --tenant demo --channel lobby --member alice

  Press Ctrl-C to stop.

MSG

wait "$DAEMON"
