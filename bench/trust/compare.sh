#!/usr/bin/env bash
# Time login, opening her portfolio and sending a chat message (bench/trust/page_times.py) on two
# checkouts of this project, one after the other, each on a fresh demo database (SQLite, one
# worker, port 8765 on 127.0.0.1). Usage, from the project root:
#
#   bash bench/trust/compare.sh /path/to/other/checkout [runs]
#
# The other checkout runs with this checkout's virtualenv (PYTHONPATH points at its own source).
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
other="$(cd "$1" && pwd)"
runs="${2:-3}"
python="$here/.venv/bin/python"

measure() {
  local tree="$1" label="$2" data
  data="$(mktemp -d)"
  export EPORTFOLIO_DATABASE_URL="sqlite+aiosqlite:///$data/demo.db" EPORTFOLIO_BLOB_DIR="$data/blobs"
  export EPORTFOLIO_BASE_URL="http://127.0.0.1:8765"
  (cd "$tree" && PYTHONPATH="$tree/src" "$python" -m eportfolio.cli migrate >/dev/null)
  (cd "$tree" && PYTHONPATH="$tree/src" "$python" -m eportfolio.cli demo >/dev/null)
  (cd "$tree" && PYTHONPATH="$tree/src" exec "$python" -m eportfolio.cli serve --host 127.0.0.1 --port 8765 \
    >"$data/server.log" 2>&1) &
  local server=$!
  for _ in $(seq 1 100); do
    curl -fsS http://127.0.0.1:8765/healthz >/dev/null 2>&1 && break
    sleep 0.2
  done
  echo "== $label ($tree)"
  "$python" "$here/bench/trust/page_times.py" --base http://127.0.0.1:8765 --runs "$runs" | "$python" -c \
    'import json, sys; print(json.dumps(json.load(sys.stdin)["summary"]))'
  kill "$server"
  wait "$server" 2>/dev/null || true
  rm -rf "$data"
}

measure "$other" "other"
measure "$here" "this checkout"
