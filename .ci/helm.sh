#!/usr/bin/env bash
# Lint and render the Helm chart with a pinned Helm, with the default values
# and with a values file that switches every optional part on.
#
#   bash .ci/helm.sh
#
# Helm is built from the Go module proxy (no other download needed) into
# HELM_CACHE_DIR (default $XDG_CACHE_HOME or ~/.cache, /esxi-mcp-server-ci),
# so only the first run pays for the build (a few minutes on 2 cores).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

helm_version="v3.22.0"
chart="deploy/helm/esxi-mcp-server"
cache="${HELM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/esxi-mcp-server-ci}/helm-$helm_version"
helm="$cache/helm"
if [[ ! -x "$helm" ]]; then
  echo "== building helm $helm_version into $cache (first run only)"
  mkdir -p "$cache"
  GOBIN="$cache" go install "helm.sh/helm/v3/cmd/helm@$helm_version"
fi
echo "== $("$helm" version --short)"

work="$(mktemp -d "${TMPDIR:-/tmp}/esxi-mcp-helm.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export HELM_CACHE_HOME="$work/cache" HELM_CONFIG_HOME="$work/config" HELM_DATA_HOME="$work/data"

for values in "" "$chart/ci/full-values.yaml"; do
  name="${values:+full values}"; name="${name:-default values}"
  args=(); [[ -n "$values" ]] && args=(-f "$values")
  echo "== helm lint --strict ($name)"
  "$helm" lint --strict "$chart" "${args[@]}"
  echo "== helm template ($name)"
  "$helm" template ci "$chart" "${args[@]}" > "$work/rendered.yaml"
  grep '^kind:' "$work/rendered.yaml" | sort | uniq -c
  if [[ -z "$values" ]]; then
    expect=(MCP_API_KEY); refuse=(MCP_CONFIG_FILE MCP_AUDIT_LOG)
  else
    # Scoped keys replace the single key; the audit trail has its volume.
    expect=(MCP_CONFIG_FILE 'MCP_AUDIT_LOG' '$(POD_NAME).jsonl' "secretName: esxi-mcp-keys"); refuse=(MCP_API_KEY)
  fi
  for e in "${expect[@]}"; do
    grep -q -- "$e" "$work/rendered.yaml" || { echo "rendered chart ($name) lacks $e" >&2; exit 1; }
  done
  for e in "${refuse[@]}"; do
    if grep -q -- "$e" "$work/rendered.yaml"; then echo "rendered chart ($name) sets $e" >&2; exit 1; fi
  done
done

echo "== GOMEMLIMIT: 90% of the memory limit, a value given, or none"
for c in "::230MiB" "--set resources.limits.memory=1Gi::921MiB" "--set goMemLimit=300MiB::300MiB" "--set goMemLimit=off::" \
         "--set resources.limits.memory=300000000::" "--set resources.limits.memory=1.5Gi::" "--set resources.limits.memory=0Mi::"; do
  set_args="${c%%::*}"; want="${c##*::}"
  # shellcheck disable=SC2086
  "$helm" template ci "$chart" $set_args > "$work/rendered.yaml"
  if [[ -n "$want" ]]; then
    grep -A1 "name: GOMEMLIMIT" "$work/rendered.yaml" | grep -q "value: \"$want\"" \
      || { echo "rendered chart ($set_args) lacks GOMEMLIMIT $want" >&2; exit 1; }
  elif grep -q "GOMEMLIMIT" "$work/rendered.yaml"; then
    echo "rendered chart ($set_args) sets GOMEMLIMIT" >&2; exit 1
  fi
done

if "$helm" template ci "$chart" --set goMemLimit=200Mi > /dev/null 2>"$work/err"; then
  echo "rendered goMemLimit=200Mi (Kubernetes units, which Go refuses)" >&2; exit 1
fi
grep -q "is not a GOMEMLIMIT" "$work/err"

echo "== the chart refuses several replicas without stateless mode"
if "$helm" template ci "$chart" --set replicaCount=2 > /dev/null 2>"$work/err"; then
  echo "rendered replicaCount=2 without config.stateless" >&2; exit 1
fi
grep -q "needs config.stateless" "$work/err"

echo "== an audit claim: one replica, replaced with Recreate; refused with several"
"$helm" template ci "$chart" --set audit.enabled=true --set audit.existingClaim=audit > "$work/rendered.yaml"
grep -q "claimName: audit" "$work/rendered.yaml" && grep -q "type: Recreate" "$work/rendered.yaml" \
  || { echo "an audit claim is not mounted with the Recreate strategy" >&2; exit 1; }
if "$helm" template ci "$chart" -f "$chart/ci/full-values.yaml" --set audit.existingClaim=audit > /dev/null 2>"$work/err"; then
  echo "rendered an audit claim with several replicas" >&2; exit 1
fi
grep -q "holds one pod's audit trail" "$work/err"
echo "== chart OK"
