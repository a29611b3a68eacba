#!/usr/bin/env bash
# `make bench` loads the services with wrk, which comes from Debian's packages,
# not PyPI. Install it when it is missing and we may (root, or password-less
# sudo); otherwise say so and let the benchmarks skip their throughput figures.
set -euo pipefail

command -v wrk >/dev/null 2>&1 && exit 0

install() {
    export DEBIAN_FRONTEND=noninteractive
    "$@" apt-get install -y -q wrk >/dev/null 2>&1 \
        || { "$@" apt-get update -q >/dev/null && "$@" apt-get install -y -q wrk >/dev/null; } \
        || true
}

if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        echo "wrk is missing; installing it from Debian's packages"
        install env
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        echo "wrk is missing; installing it from Debian's packages (sudo)"
        install sudo -n
    fi
fi

if ! command -v wrk >/dev/null 2>&1; then
    echo "warning: wrk is not installed (apt-get install wrk); throughput figures will be skipped" >&2
fi
