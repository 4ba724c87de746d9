#!/usr/bin/env bash
# make image-test: builds the Dockerfile without a Docker engine and runs the image it makes.
#
# No registry of base images is reachable on these machines, so the base the Dockerfile names
# (node:20.20.2-bookworm-slim) is made here, as that image is made: a Debian bookworm root
# filesystem from Debian's archive (mmdebstrap) with this machine's Node 20 and npm in
# /usr/local. Buildah builds the Dockerfile on it (no daemon), podman runs the result: --help,
# version, and serve answering /healthz over TLS, as uid 65532 on a read-only root filesystem.
#
# Installs buildah, podman, runc and mmdebstrap with apt when missing (root or sudo); without
# them, and no way to install them, it says so and exits 0 unless IMAGE_TEST_REQUIRED=1 (CI).
set -euo pipefail
cd "$(dirname "$0")/.."

BASE_IMAGE="localhost/digest-pinner-test-base:node-20-bookworm"
IMAGE="localhost/digest-pinner:image-test"
WEBHOOK_PORT="${IMAGE_TEST_PORT:-18443}"
METRICS_PORT="${IMAGE_TEST_METRICS_PORT:-19090}"
# vfs storage and runc with cgroupfs: what works in a container without its own cgroups or
# overlay mounts, as CI machines are; on a full machine they work too, only slower.
STORAGE=(--storage-driver vfs)
PODMAN=(podman "${STORAGE[@]}" --cgroup-manager cgroupfs --runtime runc)
# podman raises the open-file and process limits by default, which a sandbox may not allow.
LIMITS=(--ulimit "nofile=$(ulimit -Sn):$(ulimit -Sn)" --ulimit nproc=1024:1024)

say() { printf 'image-test: %s\n' "$*"; }
fail() {
  say "FAILED: $*" >&2
  exit 1
}

install_tools() {
  local missing=()
  for tool in buildah podman runc mmdebstrap; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"; else
      say "skipped: ${missing[*]} missing, and no root to install them"
      [ "${IMAGE_TEST_REQUIRED:-0}" = 1 ] && exit 1
      exit 0
    fi
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

make_base_image() {
  if buildah "${STORAGE[@]}" inspect --type image "$BASE_IMAGE" >/dev/null 2>&1; then
    say "base image $BASE_IMAGE already made"
    return 0
  fi
  local node npm work
  node="$(readlink -f "$(command -v node)")"
  npm="$(dirname "$(readlink -f "$(command -v npm)")")/.."
  work="$(mktemp -d)"
  say "making $BASE_IMAGE: Debian bookworm from Debian's archive, Node $(node --version) in /usr/local"
  mmdebstrap --quiet --variant=minbase --include=ca-certificates bookworm "$work/rootfs.tar"
  mkdir -p "$work/node/usr/local/bin" "$work/node/usr/local/lib/node_modules" "$work/node/etc/ssl/certs"
  cp "$node" "$work/node/usr/local/bin/node"
  cp -a "$npm" "$work/node/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/node/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/node/usr/local/bin/npx"
  # The build stages run npm ci: they trust what this machine trusts to reach the npm registry.
  cp /etc/ssl/certs/ca-certificates.crt "$work/node/etc/ssl/certs/ca-certificates.crt"
  tar -C "$work/node" -cf "$work/node.tar" .
  local container
  container="$(buildah "${STORAGE[@]}" from scratch)"
  buildah "${STORAGE[@]}" add "$container" "$work/rootfs.tar" /
  buildah "${STORAGE[@]}" add "$container" "$work/node.tar" /
  buildah "${STORAGE[@]}" config \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt "$container"
  buildah "${STORAGE[@]}" commit --quiet --rm "$container" "$BASE_IMAGE" >/dev/null
  rm -rf "$work"
}

build_image() {
  say "building the Dockerfile with buildah on $BASE_IMAGE"
  buildah "${STORAGE[@]}" bud --quiet --isolation chroot --layers=false \
    --build-arg "NODE_IMAGE=$BASE_IMAGE" -t "$IMAGE" . >/dev/null
}

run_image() { # podman run options and arguments after the image
  "${PODMAN[@]}" run --rm --read-only --read-only-tmpfs=false "${LIMITS[@]}" "$@"
}

check_image() {
  local expected_version help version user
  expected_version="$(node -p 'require("./package.json").version')"

  help="$(run_image "$IMAGE" --help)" || fail "--help exited $?"
  grep -q '^Usage: digest-pinner' <<<"$help" || fail "--help printed no usage: $help"
  say "ok: --help"

  version="$(run_image "$IMAGE" version)" || fail "version exited $?"
  [ "$version" = "$expected_version" ] || fail "version printed '$version', not $expected_version"
  say "ok: version $version"

  user="$(run_image --entrypoint /usr/local/bin/node "$IMAGE" -e \
    'console.log(`${process.getuid()}:${process.getgid()}`)')"
  [ "$user" = "65532:65532" ] || fail "runs as $user, not 65532:65532"
  say "ok: runs as uid 65532"

  check_serve
}

SERVING="digest-pinner-image-test-$$"
stop_serving() { "${PODMAN[@]}" rm --force --time 5 "$SERVING" >/dev/null 2>&1 || true; }

check_serve() {
  local name="$SERVING" logs ca health
  trap stop_serving EXIT
  "${PODMAN[@]}" run --detach --name "$name" --read-only --read-only-tmpfs=false \
    --network host "${LIMITS[@]}" "$IMAGE" \
    serve --address 127.0.0.1 --port "$WEBHOOK_PORT" --metrics-port "$METRICS_PORT" >/dev/null
  ca="$(mktemp)"
  for _ in $(seq 1 100); do
    logs="$("${PODMAN[@]}" logs "$name" 2>&1 || true)"
    # On a read-only root the CA cannot be written to a file, so the log carries it.
    if node -e '
      const line = process.argv[1].split("\n").map((text) => { try { return JSON.parse(text); } catch { return {}; } })
        .find((entry) => typeof entry.caPem === "string");
      if (!line) process.exit(1);
      require("node:fs").writeFileSync(process.argv[2], line.caPem);
    ' "$logs" "$ca" 2>/dev/null; then break; fi
    sleep 0.2
  done
  [ -s "$ca" ] || fail "serve logged no CA; its log: $logs"
  grep -q '"msg":"digest-pinner serving"' <<<"$logs" || fail "serve did not start: $logs"
  health="$(curl -fsS --cacert "$ca" "https://127.0.0.1:$WEBHOOK_PORT/healthz")" ||
    fail "no /healthz over TLS; log: $logs"
  rm -f "$ca"
  [ "$health" = '{"status":"ok"}' ] || fail "/healthz answered $health"
  say "ok: serve answers /healthz over TLS, read-only root, the CA in its log"
}

install_tools
make_base_image
build_image
check_image
say "passed"
