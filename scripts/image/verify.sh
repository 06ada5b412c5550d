#!/usr/bin/env bash
# Proves the archives from build.sh work the way a real node uses them: a scratch containerd 1.6
# (no systemd; root, state, sockets and runc state under one temp dir, nothing in /etc or
# /var/lib/containerd), `ctr -n k8s.io images import` of both archives, both names listed, and
# the images run. Stops containerd by its PID and removes the temp dir. Needs root.
# The shim's socket directory /run/containerd/s is fixed in containerd 1.6; it is removed again
# if this script created it.
set -euo pipefail

OUT="${NETMEDIC_CACHE:-$HOME/.cache/netmedic}/images"
NETMEDIC_REF=localhost/netmedic:dev PAUSE_REF=k8s.gcr.io/pause:3.2

fail() { printf 'image verify: FAILED: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "needs root (containerd, runc)"
for a in netmedic.tar pause.tar; do
  [ -f "$OUT/$a" ] || fail "no $OUT/$a: run sudo npm run image:build"
done
for p in containerd ctr runc; do
  command -v "$p" >/dev/null || fail "$p missing: run sudo npm run image:build (it installs containerd and runc)"
done

T="$(mktemp -d /var/tmp/netmedic-verify.XXXXXX)"
had_run_containerd=0
[ -e /run/containerd ] && had_run_containerd=1
PID=""
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  # Snapshot mounts of a run that was interrupted; containerd unmounts them on a clean --rm.
  findmnt -rn -o TARGET | grep -F "$T/" | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$T"
  ((had_run_containerd)) || rmdir /run/containerd/s /run/containerd 2>/dev/null || true
}
trap cleanup EXIT

# CRI is off: this check needs images and tasks, not a kubelet endpoint (the real-node harness
# writes its own config with the CRI and sandbox_image = k8s.gcr.io/pause:3.2).
cat > "$T/config.toml" <<EOF
version = 2
root = "$T/root"
state = "$T/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$T/containerd.sock"
[ttrpc]
  address = "$T/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$T/opt"
EOF
containerd --config "$T/config.toml" > "$T/containerd.log" 2>&1 &
PID=$!
for _ in $(seq 100); do [ -S "$T/containerd.sock" ] && break; kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
[ -S "$T/containerd.sock" ] || { tail -20 "$T/containerd.log" >&2; fail "containerd did not start"; }

ctr=(ctr --address "$T/containerd.sock" --namespace k8s.io)
for a in pause.tar netmedic.tar; do
  "${ctr[@]}" images import "$OUT/$a" >/dev/null || fail "ctr images import $OUT/$a"
done
names="$("${ctr[@]}" images ls -q)"
for ref in "$NETMEDIC_REF" "$PAUSE_REF"; do
  grep -qxF "$ref" <<<"$names" || fail "$ref not listed after import (listed: ${names//$'\n'/ })"
done

mkdir -p "$T/fifo" "$T/runc"
n=0
run() { n=$((n + 1)); "${ctr[@]}" run --rm --fifo-dir "$T/fifo" --runc-root "$T/runc" "$@" 2>&1; }
help="$(run "$NETMEDIC_REF" "verify-$$-$n")" || fail "$NETMEDIC_REF with its entrypoint: $help"
grep -q '^usage: netmedic' <<<"$help" || fail "$NETMEDIC_REF printed no usage: $help"
node="$(run "$NETMEDIC_REF" "verify-$$-$n" node --version)" || fail "node --version: $node"
[[ "$node" == v20.* ]] || fail "node --version printed: $node"
pause="$(run "$PAUSE_REF" "verify-$$-$n" /pause -v)" || fail "/pause -v: $pause"
grep -q '^pause' <<<"$pause" || fail "/pause -v printed: $pause"
echo "image verify: ok: imported $NETMEDIC_REF and $PAUSE_REF; netmedic --help prints usage, node $node, $pause"
