#!/usr/bin/env bash
# Installs what a real node in the lab (test/support/real-node/) runs besides the kubelet and
# kube-proxy (built by scripts/control-plane/install.sh): Debian's containerd 1.6, runc, the CNI
# plugins (bridge, host-local, loopback, portmap), socat (the lab's API path over UNIX sockets),
# iptables + conntrack (kube-proxy's iptables mode, inside the node's own network namespace).
#
# Only packages: no service is enabled or started on this machine (a temporary policy-rc.d keeps
# Debian's maintainer scripts from starting containerd; the lab starts its own per node).
# `--check` exits 0 when everything is installed (no root, no network); otherwise installs (root).
set -euo pipefail

packages=(containerd runc containernetworking-plugins socat iptables conntrack)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ "${1:-}" == "--check" ]]; then
  ((${#missing[@]} == 0))
  exit
fi
if ((${#missing[@]} == 0)); then
  echo "real-node: packages already installed"
  exit 0
fi
if [[ "$(id -u)" != "0" ]]; then
  echo "real-node: installing ${missing[*]} needs root (run: sudo npm run real-node:install)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod 0755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
install() { apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}"; }
if ! install; then
  apt-get update -qq
  install
fi
# Nor at the next boot of a machine that runs systemd.
if [[ -d /run/systemd/system ]]; then
  systemctl disable --now containerd.service || true
fi
echo "real-node: installed ${missing[*]}"
