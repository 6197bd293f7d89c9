#!/usr/bin/env bash
# Build the container image and check it. The static binary is built with Go
# first and copied in (no base image is pulled: FROM scratch), then copied
# back out of the built image (podman create + podman cp) and run with
# --version: `podman run` itself is not possible on machines without
# setrlimit (rootless CI sandboxes).
#
#   bash .ci/image.sh            # builds esxi-mcp-server:ci, checks it, removes it
#
# Environment (all optional):
#   IMAGE_TAG        tag to build (default esxi-mcp-server:ci)
#   IMAGE_VERSION    version stamped into the binary (default: git describe, else "ci")
#   KEEP_IMAGE=1     keep the image afterwards (e.g. to push it)
#   PODMAN_VERSION   apt version of podman to install if it is missing
#                    (default 4.3.1+ds1-8+deb12u1+b3, Debian 12's; "" = the candidate)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

tag="${IMAGE_TAG:-esxi-mcp-server:ci}"
version="${IMAGE_VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo ci)}"
pin="${PODMAN_VERSION-4.3.1+ds1-8+deb12u1+b3}"

if ! command -v podman >/dev/null; then
  echo "== installing podman${pin:+ $pin}"
  sudo=""; [[ "$(id -u)" == 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  if [[ -n "$pin" ]] && $sudo apt-get install -y -qq "podman=$pin"; then :; else
    echo "podman $pin is not available here; installing the distribution's candidate"
    $sudo apt-get install -y -qq podman
  fi
fi
echo "== $(podman --version)"

work="$(mktemp -d "${TMPDIR:-/tmp}/esxi-mcp-image.XXXXXX")"
cid=""
cleanup() {
  [[ -n "$cid" ]] && podman rm -f "$cid" >/dev/null 2>&1 || true
  if [[ "${KEEP_IMAGE:-}" != 1 ]]; then podman rmi -f "$tag" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== static binary ($version)"
ctx="$work/context"
mkdir -p "$ctx/dist/tmp"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$ctx/dist/esxi-mcp-server" ./cmd/esxi-mcp-server
cp /etc/ssl/certs/ca-certificates.crt "$ctx/dist/ca-certificates.crt"
cp Dockerfile .dockerignore "$ctx/"

echo "== podman build -t $tag"
podman build --quiet -t "$tag" "$ctx"

user="$(podman image inspect --format '{{.Config.User}}' "$tag")"
if [[ "$user" != "65532:65532" ]]; then
  echo "image runs as '$user', want 65532:65532" >&2; exit 1
fi

echo "== the binary, copied back out of the image, runs"
cid="$(podman create "$tag")"
podman cp "$cid:/esxi-mcp-server" "$work/from-image"
podman cp "$cid:/etc/ssl/certs/ca-certificates.crt" "$work/ca.crt"
out="$("$work/from-image" --version)"
echo "$out"
if [[ "$out" != "esxi-mcp-server $version" ]]; then
  echo "--version printed '$out', want 'esxi-mcp-server $version'" >&2; exit 1
fi
if ! file "$work/from-image" 2>/dev/null | grep -q "statically linked" && command -v file >/dev/null; then
  echo "the binary in the image is not statically linked" >&2; exit 1
fi
echo "== image $tag OK"
