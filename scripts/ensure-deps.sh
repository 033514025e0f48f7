# Sourced by start.sh and test.sh: install what is missing, say what was done.

ensure_nats_server() {
  command -v nats-server >/dev/null 2>&1 && return 0
  [ -n "${NATS_URL:-}" ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing nats-server from Debian's packages..." >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null
  else
    echo "nats-server is missing and cannot be installed here: suites that need NATS will be skipped (set NATS_URL to use a running server)" >&2
  fi
}

ensure_node_modules() {
  # The pinned Node (the `node` package) is the marker: without it the install is missing or stale.
  if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "installing npm dependencies (npm ci)..." >&2
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

ensure_console_build() {
  # The web console (web/console) is served from its dist: build it when missing or older than its sources.
  local dist=web/console/dist/index.html
  if [ ! -f "$dist" ] || [ -n "$(find web/console/src web/console/index.html web/console/vite.config.ts web/console/package.json -newer "$dist" -print -quit)" ]; then
    echo "building the web console (web/console)..." >&2
    npm run build -w web/console --silent >&2
  fi
}

ensure_chromium() {
  # The console's browser tests drive Debian's Chromium; without it they skip.
  command -v chromium >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium from Debian's packages (console browser tests)..." >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is missing and cannot be installed here: the console's browser tests will be skipped" >&2
  fi
}
