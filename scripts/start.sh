#!/usr/bin/env bash
# npm start: installs what is missing, then runs the whole platform on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
ensure_nats_server
ensure_node_modules
ensure_console_build
export PATH="$PWD/node_modules/.bin:$PATH"
exec node tools/launcher/src/main.ts
