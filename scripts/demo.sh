#!/usr/bin/env bash
# make demo: digest-pinner pinning an image with no internet. Starts a real registry on
# 127.0.0.1, pushes a one-file image to it with plain HTTP calls of the distribution API, starts
# the webhook standalone, sends it an AdmissionReview for a Pod that names the image by tag, and
# shows the answer's patch. Exits 0 when the Pod was pinned to the digest that was pushed.
# Needs docker-registry (make system-deps), curl, tar, gzip, sha256sum and a built dist/.
set -euo pipefail
cd "$(dirname "$0")/.."

WEBHOOK_PORT="${DEMO_PORT:-8453}"
METRICS_PORT="${DEMO_METRICS_PORT:-9453}"
work="$(mktemp -d "${TMPDIR:-/tmp}/digest-pinner-demo.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n== %s\n' "$*"; }

free_port() {
  node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => {
    console.log(s.address().port); s.close(); });'
}

wait_for() { # URL, then curl options
  local url="$1"
  shift
  for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null "$@" "$url" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "demo: no answer from $url" >&2
  return 1
}

sha256() { sha256sum "$1" | cut -d' ' -f1; }

registry_port="$(free_port)"
registry="127.0.0.1:$registry_port"
repository="demo/hello"
image="$registry/$repository:1.0"

say "a registry on $registry (Debian's docker-registry, storage in $work)"
cat >"$work/registry.yml" <<EOF
version: 0.1
log: { level: error }
storage: { filesystem: { rootdirectory: $work/storage } }
http: { addr: $registry }
EOF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
pids+=($!)
wait_for "http://$registry/v2/"

say "push $image: one layer, one config, one OCI manifest"
mkdir -p "$work/rootfs"
echo 'hello from the digest-pinner demo' >"$work/rootfs/hello.txt"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/rootfs" -cf "$work/layer.tar" .
gzip -n -c "$work/layer.tar" >"$work/layer.tar.gz"
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$(sha256 "$work/layer.tar")" >"$work/config.json"

push_blob() { # FILE
  local digest location
  digest="sha256:$(sha256 "$1")"
  location="$(curl -fsS -o /dev/null -D - -X POST "http://$registry/v2/$repository/blobs/uploads/" |
    tr -d '\r' | sed -n 's/^[Ll]ocation: //p')"
  case "$location" in http*) ;; *) location="http://$registry$location" ;; esac
  local separator='?'
  case "$location" in *\?*) separator='&' ;; esac
  curl -fsS -X PUT -H 'content-type: application/octet-stream' --data-binary "@$1" \
    "$location${separator}digest=$digest"
}
push_blob "$work/layer.tar.gz"
push_blob "$work/config.json"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",%s,%s}' \
  "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$(sha256 "$work/config.json")\",\"size\":$(stat -c %s "$work/config.json")}" \
  "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$(sha256 "$work/layer.tar.gz")\",\"size\":$(stat -c %s "$work/layer.tar.gz")}]" \
  >"$work/manifest.json"
curl -fsS -X PUT -H 'content-type: application/vnd.oci.image.manifest.v1+json' \
  --data-binary "@$work/manifest.json" "http://$registry/v2/$repository/manifests/1.0"
pushed="sha256:$(sha256 "$work/manifest.json")"
echo "pushed $image, manifest $pushed"

say "the webhook on https://127.0.0.1:$WEBHOOK_PORT (standalone, self-signed TLS)"
# A home, kubeconfig and docker config of its own: the demo never touches a cluster you have.
mkdir -p "$work/home" "$work/docker"
HOME="$work/home" KUBECONFIG='' DOCKER_CONFIG="$work/docker" TMPDIR="$work" \
  node dist/main.js serve --address 127.0.0.1 --port "$WEBHOOK_PORT" \
  --metrics-port "$METRICS_PORT" --insecure-registry "$registry" >"$work/webhook.log" 2>&1 &
pids+=($!)
ca="$work/digest-pinner/ca-$WEBHOOK_PORT.pem"
for _ in $(seq 1 100); do [[ -s "$ca" ]] && break; sleep 0.1; done
wait_for "https://127.0.0.1:$WEBHOOK_PORT/readyz" --cacert "$ca"
wait_for "https://127.0.0.1:$WEBHOOK_PORT/healthz" --cacert "$ca"
echo "ready: /healthz and /readyz answer 200; the CA it made is $ca"

say "an AdmissionReview creating a Pod with image $image"
node -e '
  const [file, image] = process.argv.slice(1);
  const review = JSON.parse(require("node:fs").readFileSync(file, "utf8"));
  review.request.object.spec = { containers: [{ name: "hello", image }] };
  console.log(JSON.stringify(review));
' examples/pod-review.json "$image" >"$work/review.json"
curl -fsS --cacert "$ca" -H 'content-type: application/json' --data "@$work/review.json" \
  "https://127.0.0.1:$WEBHOOK_PORT/mutate" >"$work/answer.json"

say "the answer's patch"
node -e '
  const answer = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  const { allowed, patch, warnings = [] } = answer.response;
  console.log(`allowed: ${allowed}`);
  for (const warning of warnings) console.log(`warning: ${warning}`);
  if (patch) console.log(JSON.stringify(JSON.parse(Buffer.from(patch, "base64")), null, 2));
' "$work/answer.json"

if grep -q "$image@$pushed" <(node -e '
  const answer = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  process.stdout.write(Buffer.from(answer.response.patch ?? "", "base64").toString());
' "$work/answer.json"); then
  say "pinned: $image@$pushed"
else
  echo "demo: the answer does not pin $image to $pushed" >&2
  exit 1
fi
