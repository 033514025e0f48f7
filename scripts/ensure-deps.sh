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

ensure_openai_python() {
  # The official Python SDK (3.x), for the suites that run it: a venv under node_modules/.cache, installed
  # offline from the wheels on disk (these machines carry them). Without them the suites say so and skip.
  local venv=node_modules/.cache/openai-python
  local wheels=${REELGATE_PYPI_WHEELS:-/opt/pypi/files}
  [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import openai" >/dev/null 2>&1 && return 0
  if ! command -v python3 >/dev/null 2>&1 || ! ls "$wheels"/openai-3.*.whl >/dev/null 2>&1; then
    echo "no python3 or no openai-3 wheel in $wheels: the Python SDK suites will be skipped" >&2
    return 0
  fi
  echo "installing the official Python SDK into $venv from $wheels..." >&2
  rm -rf "$venv"
  if ! { python3 -m venv "$venv" && "$venv/bin/pip" install -q --no-index --find-links "$wheels" "openai>=3,<4"; } >/dev/null 2>&1; then
    echo "could not install the Python SDK (python3-venv missing?): the Python SDK suites will be skipped" >&2
    rm -rf "$venv"
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
