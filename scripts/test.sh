#!/usr/bin/env bash
# npm test: installs what the suite needs on a bare Debian machine, then runs every tier once.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
ensure_nats_server
ensure_node_modules
ensure_openai_python
ensure_console_build
ensure_chromium
export PATH="$PWD/node_modules/.bin:$PATH"
exec vitest run "$@"
