#!/usr/bin/env bash
# Installs what the node lab (test layer 3, test/support/lab/) needs on a Debian machine:
# real firewalld (nftables backend) with its own D-Bus system bus and polkit, iproute2 for the
# namespaces and veths, util-linux and mount for unshare/nsenter/mount, procps for sysctl, kmod for modprobe.
# Idempotent: apt-get skips what is already installed. Run as root (the lab itself needs root).
# `--check` only answers "all installed?" (exit 0/1) from dpkg's database: no root, no apt-get, no
# network — scripts/provision.sh calls it on every `npm test`.
# It only installs packages: no service is enabled or started on this machine (the lab starts
# firewalld and dbus-daemon inside its own namespaces).
set -euo pipefail

packages=(firewalld nftables dbus dbus-daemon polkitd iproute2 util-linux mount procps kmod)

# One dpkg-query for all packages keeps --check cheap; unknown packages only go to its stderr.
installed="$(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null | awk '$NF == "installed" { print $1 }')" || true
missing=()
for p in "${packages[@]}"; do
  grep -qxF "$p" <<<"$installed" || missing+=("$p")
done
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

export DEBIAN_FRONTEND=noninteractive
# Installing firewalld must not start it on this machine (its default zone would firewall the host):
# a temporary policy-rc.d tells Debian's maintainer scripts not to start services.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod 0755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
# A fresh machine may have no package lists yet.
if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi
# Nor at the next boot of a machine that runs systemd (the lab starts its own firewalld).
if [[ " ${missing[*]} " == *" firewalld "* && -d /run/systemd/system ]]; then
  systemctl disable --now firewalld.service || true
fi
