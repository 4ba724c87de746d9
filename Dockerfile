# syntax=docker/dockerfile:1
#
# digest-pinner image. Every stage starts from one base pinned to an exact Node release; the
# image that runs holds the node binary with the C libraries it links, the compiled dist/, the
# production node_modules and package.json: no shell, no package manager, no npm.
#
# Build: docker build -t digest-pinner .   (or make image)
# Run:   the root filesystem can be read-only; nothing is written to disk.

# Node 20's last release, bookworm (Debian 12, glibc 2.36).
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# --- build: compile TypeScript ----------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency runs code while installing; nothing here needs a native build.
# npm ci: exactly the committed lock file, or a failed build.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- production dependencies only, from the same lockfile -------------------------------------
FROM ${NODE_IMAGE} AS production-dependencies
WORKDIR /app
ENV npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

# --- the runtime's root filesystem: node, the libraries it links, users, nothing else -----------
FROM ${NODE_IMAGE} AS runtime-root
RUN set -eu; \
    mkdir -p /rootfs/usr/local/bin /rootfs/etc /rootfs/tmp /rootfs/home/nonroot /rootfs/var/lib/dpkg; \
    cp /usr/local/bin/node /rootfs/usr/local/bin/node; \
    # The dynamic loader and every shared library node links (the paths differ by architecture).
    for library in $(ldd /usr/local/bin/node | grep -o '/[^ ]*'); do \
      cp --parents --dereference "$library" /rootfs/; \
    done; \
    # Which Debian packages those libraries come from, for image scanners.
    dpkg-query --status libc6 libgcc-s1 libstdc++6 > /rootfs/var/lib/dpkg/status; \
    cp --dereference /etc/os-release /rootfs/etc/os-release; \
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > /rootfs/etc/passwd; \
    printf 'root:x:0:\nnonroot:x:65532:\n' > /rootfs/etc/group; \
    # glibc without this file asks DNS before /etc/hosts.
    printf 'hosts: files dns\n' > /rootfs/etc/nsswitch.conf; \
    chmod 1777 /rootfs/tmp; \
    chown 65532:65532 /rootfs/home/nonroot; \
    /rootfs/usr/local/bin/node --version

# --- runtime ----------------------------------------------------------------------------------
FROM scratch
COPY --from=runtime-root /rootfs/ /
WORKDIR /app
# Owned by root and read-only to the process: it cannot change its own code.
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
ENV NODE_ENV=production HOME=/home/nonroot
USER 65532:65532
# 8443: HTTPS webhook (/mutate, /healthz, /readyz); 9090: HTTP metrics (/metrics, /cache).
EXPOSE 8443 9090
ENTRYPOINT ["/usr/local/bin/node", "--enable-source-maps", "dist/main.js"]
CMD ["serve"]

LABEL org.opencontainers.image.title="digest-pinner" \
      org.opencontainers.image.description="Kubernetes mutating admission webhook that pins container images to digests" \
      org.opencontainers.image.licenses="Apache-2.0"
