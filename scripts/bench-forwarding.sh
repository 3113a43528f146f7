#!/usr/bin/env bash
# The forwarding benchmark of issue 4: whootd and Janus (Debian's package, VideoRoom, audio
# only) side by side on loopback, at saturation, plus the kernel's sendmmsg floor.
# Installs janus with apt-get when it is missing (needs root), builds release, runs LoadGen.
# Extra arguments go to LoadGen (e.g. --seconds 5 --step-seconds 2).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
SWIFT=${SWIFT:-swift}

if ! command -v janus >/dev/null; then
    apt-get update
    apt-get install -y janus
fi
"$SWIFT" build -c release --product whootd
"$SWIFT" build -c release --product whootctl
"$SWIFT" build -c release --product LoadGen

# Each relay and the generator hold one socket per endpoint (up to 4,000 for Janus).
ulimit -n 20000 2>/dev/null || true
echo "== relay and generator sharing both cores"
.build/release/LoadGen --saturate --floor --targets whootd,janus \
    --listeners 100,500,1000,2000 --channels 400 --seconds 3 --step-seconds 1.5 "$@"
# The same relay on core 0 alone, the generator on core 1: its latency without the
# generator's threads preempting it (one forwarding worker, as the affinity allows).
if [ "$(nproc)" -ge 2 ]; then
    echo "== whootd pinned to core 0, generator on core 1"
    taskset -c 1 .build/release/LoadGen --saturate --relay-cpus 0 --targets whootd \
        --listeners 100,500 --channels 400 --seconds 3 --step-seconds 1.5 "$@"
fi
