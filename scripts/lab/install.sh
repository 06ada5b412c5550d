#!/usr/bin/env bash
# Installs what the node lab (test layer 3, test/support/lab/) needs on a Debian machine:
# real firewalld (nftables backend) with its own D-Bus system bus and polkit, Debian's ufw (the lab's
# k3s-on-Ubuntu node enables it on a worker's own netfilter; installing it leaves ENABLED=no, so this
# machine's firewall stays as it is), iproute2 for the namespaces and veths, util-linux and mount for
# unshare/nsenter/mount, procps for sysctl, kmod for modprobe, ethtool for the VXLAN links' checksum
# offload (the agent reads and turns it off with ethtool, as on a node), iptables for both backends'
# save tools (legacy and nft) and conntrack to fill a lab namespace's connection-tracking table.
# Idempotent: apt-get skips what is already installed. Run as root (the lab itself needs root).
# `--check` only answers "all installed?" (exit 0/1) from dpkg's database: no root, no apt-get, no
# network — scripts/provision.sh calls it on every `npm test`.
# It only installs packages: no service is enabled or started on this machine (the lab starts
# firewalld and dbus-daemon inside its own namespaces).
set -euo pipefail

packages=(firewalld ufw nftables dbus dbus-daemon polkitd iproute2 util-linux mount procps kmod ethtool iptables conntrack)

# shellcheck source=scripts/lib/debian-packages.sh
source "$(dirname "$0")/../lib/debian-packages.sh"
mapfile -t missing < <(missing_packages "${packages[@]}")
if [[ "${1:-}" == "--check" ]]; then
  exit $((${#missing[@]} == 0 ? 0 : 1))
fi
if ((${#missing[@]} == 0)); then
  echo "node lab packages already installed"
  exit 0
fi

if [[ "$(id -u)" != "0" ]]; then
  echo "lab:install must run as root (apt-get install)" >&2
  exit 1
fi

# Installing firewalld must not start it on this machine (its default zone would firewall the host).
install_packages "${missing[@]}"
# Nor at the next boot of a machine that runs systemd (the lab starts its own firewalld).
if [[ " ${missing[*]} " == *" firewalld "* && -d /run/systemd/system ]]; then
  systemctl disable --now firewalld.service || true
fi
