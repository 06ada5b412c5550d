# shellcheck shell=bash
# Sourced by the install scripts: which Debian packages are missing, and installing them without
# letting their maintainer scripts start a service on this machine (firewalld would firewall the
# host, containerd would run beside the lab's own). Needs bash.

# missing_packages PKG... prints the missing ones, one a line: one dpkg-query, so a --check stays
# cheap (no root, no apt-get, no network); unknown packages only go to its stderr.
missing_packages() {
  local installed p
  installed="$(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null | awk '$NF == "installed" { print $1 }')" || true
  for p in "$@"; do
    grep -qxF "$p" <<<"$installed" || echo "$p"
  done
}

# install_packages PKG... installs them (root): a temporary policy-rc.d keeps services from starting,
# dpkg's lock is waited for (another install may hold it), and the package lists are updated once
# when the install fails (a fresh machine may have none).
install_packages() {
  local own_policy="" rc=0
  export DEBIAN_FRONTEND=noninteractive
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  local apt=(apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "$@")
  "${apt[@]}" || { apt-get update -qq && "${apt[@]}"; } || rc=$?
  if [[ -n "$own_policy" ]]; then rm -f /usr/sbin/policy-rc.d; fi
  return "$rc"
}
