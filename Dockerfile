# The esxi-mcp-server image: a static binary, the CA certificates it trusts
# vCenter with, and nothing else. No base image is pulled: build the binary
# with Go first and copy it in (.ci/image.sh does all of this):
#
#   CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=v1.0.0" \
#       -o dist/esxi-mcp-server ./cmd/esxi-mcp-server
#   mkdir -p dist/tmp && cp /etc/ssl/certs/ca-certificates.crt dist/
#   podman build -t esxi-mcp-server:v1.0.0 .     # or docker build
FROM scratch
COPY dist/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY dist/esxi-mcp-server /esxi-mcp-server
# A writable temporary directory for the embedded simulator (--simulator);
# with a read-only root filesystem, mount a volume here.
COPY --chown=65532:65532 dist/tmp /tmp
ENV TMPDIR=/tmp \
    MCP_LISTEN=0.0.0.0:8080
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/esxi-mcp-server"]
