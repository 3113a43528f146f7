#!/usr/bin/env bash
# Builds the libFuzzer targets under Tests/Fuzz and runs each for a set time.
#
#   scripts/fuzz.sh build [Name...]          build (all when no name is given)
#   scripts/fuzz.sh run SECONDS [Name...]    build, then fuzz each target SECONDS seconds
#
# Targets: STUN RTP RTCP SDP DTLS Admin WHIP Recording AuditExport APIBody. The sanitized
# build goes to .build-fuzz; the ordinary .build stays as it is. Each run starts from
# Tests/Fuzz/corpus/<Name> (read only); what libFuzzer adds goes to .build-fuzz/corpus/<Name>;
# a crash leaves .build-fuzz/crashes/<Name>/crash-<sha1> and fails the script. Set
# FUZZ_NICE=19 to run politely on a shared machine, FUZZ_SCRATCH to build elsewhere.
# Summary: one line per target with executions, cov and ft.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Every target (Package.swift's fuzzTargets).
ALL=(STUN RTP RTCP SDP DTLS Admin WHIP Recording AuditExport APIBody)
SWIFT=${SWIFT:-$(command -v swift || echo /opt/swift/usr/bin/swift)}
SCRATCH=${FUZZ_SCRATCH:-.build-fuzz}
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}

build() {
    local flags=(-c debug --scratch-path "$SCRATCH"
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -D -Xswiftc FUZZING)
    mkdir -p "$SCRATCH/logs"
    for name in "$@"; do
        # ld.gold warns "Cannot export local symbol '__asan_...'" many times; harmless.
        if ! "$SWIFT" build "${flags[@]}" --product "Fuzz$name" >"$SCRATCH/logs/build.log" 2>&1
        then
            grep -v "Cannot export local symbol" "$SCRATCH/logs/build.log" | tail -30
            echo "build of Fuzz$name failed"
            exit 1
        fi
    done
}

# Runs one target; prints "<Name>: <execs> executions in <s> s, cov <n> ft <n>, <verdict>".
run_one() {
    local name=$1 seconds=$2
    local binary="$SCRATCH/debug/Fuzz$name" seeds="Tests/Fuzz/corpus/$name"
    local work="$SCRATCH/corpus/$name" crashes="$SCRATCH/crashes/$name"
    local log="$SCRATCH/logs/$name.log" dict="Tests/Fuzz/dict/$name.dict"
    mkdir -p "$work" "$crashes" "$(dirname "$log")"
    local args=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048
        -artifact_prefix="$crashes/" -max_len=4096)
    [[ -f $dict ]] && args+=(-dict="$dict")

    local status=0
    nice -n "${FUZZ_NICE:-0}" "$binary" "${args[@]}" "$work" "$seeds" >"$log" 2>&1 || status=$?
    local execs cov ft
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || true)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || true)
    if [[ $status -eq 0 ]]; then
        echo "$name: ${execs:-?} executions in $seconds s, cov ${cov:-?} ft ${ft:-?}, no crash"
    else
        echo "$name: CRASH (exit $status) after ${execs:-?} executions; see $log and $crashes/"
        grep -m5 -E 'ERROR|Fatal error|panic|SUMMARY' "$log" || true
        return 1
    fi
}

command=${1:-}
case $command in
build)
    shift
    names=("$@")
    [[ ${#names[@]} -gt 0 ]] || names=("${ALL[@]}")
    build "${names[@]}"
    ;;
run)
    seconds=${2:?"usage: scripts/fuzz.sh run SECONDS [Name...]"}
    shift 2
    names=("$@")
    [[ ${#names[@]} -gt 0 ]] || names=("${ALL[@]}")
    build "${names[@]}"
    failed=0
    for name in "${names[@]}"; do run_one "$name" "$seconds" || failed=1; done
    exit $failed
    ;;
*)
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
