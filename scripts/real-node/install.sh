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

# shellcheck source=scripts/lib/debian-packages.sh
source "$(dirname "$0")/../lib/debian-packages.sh"
mapfile -t missing < <(missing_packages "${packages[@]}")
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

install_packages "${missing[@]}"
# Nor at the next boot of a machine that runs systemd.
if [[ -d /run/systemd/system ]]; then
  systemctl disable --now containerd.service || true
fi
echo "real-node: installed ${missing[*]}"
