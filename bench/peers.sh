#!/usr/bin/env bash
# esgcheck beside every engine of the peer benchmark, in one run of its harness:
#   bench/peers.sh [run.sh options: --quick --rounds N --only base|rules|facts
#                   --variants A,B --out FILE ...]
# The harness verifies esgcheck's findings against its plain-Python reference,
# filing by filing, before timing it (bench/peers/esgcheck_peer.py). The peers'
# environment is kept in bench/out/.venv-peers (not versioned) unless
# PEER_BENCH_VENV names another; PEER_BENCH names the harness's folder.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export PEER_BENCH_VENV=${PEER_BENCH_VENV:-$here/out/.venv-peers}
peer=${PEER_BENCH:-$(cd "$here/../.." && pwd)/shared/peer-bench}
exec "$peer/run.sh" --extra "$here/peers/esgcheck_peer.py:Esgcheck" "$@"
