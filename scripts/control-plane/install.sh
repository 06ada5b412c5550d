#!/usr/bin/env bash
# Provisions a real Kubernetes control plane for the test suite (docs/architecture.md §8.4): etcd from Debian,
# and kube-apiserver / kube-controller-manager / kube-scheduler / kubelet / kube-proxy v1.20.2 (and the static pause binary) built from Debian
# bookworm's `kubernetes` source package (Go dependencies vendored; no other downloads).
#
# Idempotent: the binaries are cached outside the clone under $NETMEDIC_CP_CACHE
# (default $NETMEDIC_CACHE/control-plane/v1.20.2, $NETMEDIC_CACHE defaulting to ~/.cache/netmedic)
# with a VERSION stamp; a second run is a no-op. `--check` only answers "cached?" (exit 0/1): no
# root, no apt-get — scripts/provision.sh asks it on every `npm test`.
# Needs root (apt-get). About 10–15 minutes on 2 cores the first time.
set -euo pipefail

VERSION="1.20.5+really1.20.2"
STAMP="kubernetes=${VERSION};reflect2=1.0.2;go=1.19;cgo=0;kubelet;kube-proxy;pause"
CACHE="${NETMEDIC_CP_CACHE:-${NETMEDIC_CACHE:-$HOME/.cache/netmedic}/control-plane/v1.20.2}"
BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)

say() { printf 'control-plane: %s\n' "$*"; }
fail() { printf 'control-plane: FAILED: %s\n' "$*" >&2; exit 1; }
trap 'fail "step failed at line $LINENO (see output above)"' ERR

cached() {
  [ -f "$CACHE/VERSION" ] && [ "$(cat "$CACHE/VERSION")" = "$STAMP" ] || return 1
  for b in "${BINARIES[@]}" pause; do [ -x "$CACHE/bin/$b" ] || return 1; done
  command -v etcd >/dev/null && command -v etcdctl >/dev/null
}

if [ "${1:-}" = --check ]; then
  if cached; then exit 0; else exit 1; fi
fi
if cached; then
  say "cached in $CACHE (etcd: $(command -v etcd))"
  exit 0
fi
[ "$(id -u)" = 0 ] || fail "needs root to install Debian packages (run: sudo npm run control-plane:install)"

export DEBIAN_FRONTEND=noninteractive
say "installing Debian packages"
apt-get install -y -qq etcd-server etcd-client golang-1.19-go golang-github-modern-go-reflect2-dev rsync dpkg-dev make >/dev/null \
  || fail "apt-get install failed (run apt-get update first?)"
systemctl disable --now etcd >/dev/null 2>&1 || true   # the package's own etcd service is not used


SRC_LIST=/etc/apt/sources.list.d/netmedic-deb-src.sources
if ! apt-cache showsrc kubernetes >/dev/null 2>&1; then
  say "adding a deb-src entry for bookworm ($SRC_LIST)"
  cat > "$SRC_LIST" <<SOURCES
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  apt-get update -qq || fail "apt-get update with deb-src failed"
fi

WORK="$(mktemp -d /var/tmp/netmedic-k8s-build.XXXXXX)"
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT
cd "$WORK"
say "fetching the kubernetes source package ($VERSION) into $WORK"
apt-get source -qq --download-only kubernetes >/dev/null || fail "apt-get source kubernetes failed"
ls kubernetes_"${VERSION}"-*.dsc >/dev/null 2>&1 || fail "expected kubernetes ${VERSION}-*, got: $(ls kubernetes_*.dsc)"
# With Debian's patches (the deb12u1 security fixes), as verified in docs/architecture.md §8.4.
dpkg-source -x kubernetes_*.dsc src >/dev/null || fail "unpacking the source package failed"

say "replacing vendored modern-go/reflect2 1.0.1 with Debian's 1.0.2 (1.0.1 crashes under Go >= 1.18)"
REFLECT_VENDOR="$WORK/src/vendor/github.com/modern-go/reflect2"
REFLECT_DEB=/usr/share/gocode/src/github.com/modern-go/reflect2
[ -d "$REFLECT_VENDOR" ] && [ -d "$REFLECT_DEB" ] || fail "reflect2 sources not found ($REFLECT_VENDOR, $REFLECT_DEB)"
find "$REFLECT_VENDOR" -maxdepth 1 \( -name '*.go' -o -name '*.s' \) -delete
cp "$REFLECT_DEB"/*.go "$REFLECT_VENDOR"/
find "$REFLECT_DEB" -maxdepth 1 -name '*.s' -exec cp {} "$REFLECT_VENDOR"/ \;
rm -f "$REFLECT_VENDOR"/*_test.go

say "building ${BINARIES[*]} with make (runs the code generators; GOPATH mode, CGO off; ~10 min on 2 cores)"
cd "$WORK/src"
export GOPATH="$WORK/src/.go" GO111MODULE=off CGO_ENABLED=0 GOFLAGS= GOCACHE="$WORK/gocache"
export PATH="/usr/lib/go-1.19/bin:$PATH"
mkdir -p .go/src/k8s.io
ln -s ../../.. .go/src/k8s.io/kubernetes   # as Debian's own debian/rules does
mkdir -p "$WORK/home"
env HOME="$WORK/home" KUBE_GIT_VERSION=v1.20.2 KUBE_GIT_TREE_STATE=clean KUBE_GIT_MAJOR=1 KUBE_GIT_MINOR=20 \
  make WHAT="$(printf 'cmd/%s ' "${BINARIES[@]}")" > "$WORK/make.log" 2>&1 \
  || { tail -40 "$WORK/make.log" >&2; fail "make WHAT=… failed (log above)"; }
mkdir -p "$CACHE/bin"
for b in "${BINARIES[@]}"; do
  install -m 0755 "_output/bin/$b" "$CACHE/bin/$b" || fail "$b was not built"
done
# The pod sandbox ("pause") image's one binary, from the same source tree, linked statically so
# the image needs nothing else (tests/real-node builds the image around it).
say "compiling build/pause/linux/pause.c statically"
gcc -Os -static -Wall -Werror -DVERSION=v3.4.1-netmedic -o "$CACHE/bin/pause" build/pause/linux/pause.c \
  || fail "compiling pause.c failed"
strip "$CACHE/bin/pause"
echo "$STAMP" > "$CACHE/VERSION"
"$CACHE/bin/kube-apiserver" --version || fail "the built kube-apiserver does not run"
say "done: binaries in $CACHE/bin, etcd at $(command -v etcd)"
