#!/usr/bin/env bash
# Provisions what the whole test suite needs on a machine of this image, so the README's
# `npm ci && npm test` passes on a fresh machine by itself (npm runs this as `pretest`).
#
# It runs the same idempotent, cached install scripts a developer can run by hand. Each step is
#   step <install script> <check> <label> <typical first-run duration>
# and is left out while its script does not exist. <check> answers "already provisioned?" and is
#   --check   the script's own: `bash <script> --check` exits 0 when provisioned, non-zero when
#             not, and changes nothing. It must be fast (it runs on every `npm test`): it reads
#             files and dpkg's database only — no apt-get, no network, no root needed.
#   <name>    a function below with the same contract.
# Installing runs `bash <script>` as root with NETMEDIC_CACHE and NETMEDIC_CP_CACHE exported; the
# script must be idempotent and its check must pass afterwards.
#
# Without root and with something missing it stops with one line saying what to run (exit 1): a
# layer that cannot run is never skipped. When everything is provisioned it needs no root.
#
# NETMEDIC_CACHE     where built artefacts are cached (default ~/.cache/netmedic)
# NETMEDIC_CP_CACHE  the control plane's cache (default $NETMEDIC_CACHE/control-plane/v1.20.2)
set -euo pipefail
cd "$(dirname "$0")/.."

export NETMEDIC_CACHE="${NETMEDIC_CACHE:-$HOME/.cache/netmedic}"
export NETMEDIC_CP_CACHE="${NETMEDIC_CP_CACHE:-$NETMEDIC_CACHE/control-plane/v1.20.2}"
SHOWN_CACHE="${NETMEDIC_CACHE/#$HOME\//\~/}"

SCRIPTS=() CHECKS=() LABELS=() DURATIONS=()
step() {
  [ -f "$1" ] || return 0
  SCRIPTS+=("$1") CHECKS+=("$2") LABELS+=("$3") DURATIONS+=("$4")
}

# The steps, in order: a later step may use what an earlier one installed (the images need the
# pause binary and buildah).
step scripts/lab/install.sh --check \
  "node lab (Debian packages: firewalld, ufw, nftables, dbus, iproute2, kmod)" "~1 min"
step scripts/control-plane/install.sh --check \
  "control plane (etcd + kube-* v1.20.2 from Debian source, cached in $SHOWN_CACHE)" "~15 min"
step scripts/real-node/install.sh --check \
  "real node (Debian packages: containerd, runc, CNI plugins, socat, …)" "~1 min"
step scripts/monitoring/install.sh --check \
  "monitoring (Debian package: prometheus 2.42, the server and promtool)" "~1 min"
step scripts/image/build.sh --check \
  "container images (built into $SHOWN_CACHE/images)" "~2 min"

say() { printf 'provision: %s\n' "$*"; }
die() { printf 'provision: %s\n' "$*" >&2; exit 1; }
short() { printf '%s' "${1%% (*}"; }

provisioned() {
  local i=$1
  if [ "${CHECKS[$i]}" = --check ]; then
    # A script without --check would run its whole install here instead of answering.
    grep -q -- '--check' "${SCRIPTS[$i]}" \
      || die "${SCRIPTS[$i]} has no --check (see the contract at the top of scripts/provision.sh)"
    bash "${SCRIPTS[$i]}" --check >/dev/null 2>&1
  else
    "${CHECKS[$i]}"
  fi
}

# One pass of the checks; the install loop then trusts it (a second pass would double the cost of
# the common, all-cached run).
STATE=()
check_all() {
  local i
  for i in "${!SCRIPTS[@]}"; do
    if provisioned "$i"; then STATE[i]=cached; else STATE[i]=missing; fi
  done
}

missing_names() {
  local i names=""
  for i in "${!SCRIPTS[@]}"; do
    [ "${STATE[i]}" = cached ] || names+="${names:+, }$(short "${LABELS[$i]}")"
  done
  printf '%s' "$names"
}

install_step() {
  local i=$1
  say "${LABELS[$i]}; ${DURATIONS[$i]} the first time ..."
  bash "${SCRIPTS[$i]}"
  provisioned "$i" || die "$(short "${LABELS[$i]}"): ${SCRIPTS[$i]} finished but is still not provisioned"
}

main() {
  local missing i updated=no
  check_all
  missing="$(missing_names)"
  if [ -n "$missing" ] && [ "$(id -u)" != 0 ]; then
    die "not provisioned: $missing — run once as root: npm test (or: bash scripts/provision.sh)"
  fi
  for i in "${!SCRIPTS[@]}"; do
    if [ "${STATE[i]}" = cached ]; then
      say "$(short "${LABELS[$i]}"): already provisioned"
      continue
    fi
    if [ "$updated" = no ]; then
      # A fresh machine may have no package lists; the install scripts assume they exist.
      say "apt-get update (Debian package lists; ~30 s) ..."
      DEBIAN_FRONTEND=noninteractive apt-get update -qq
      updated=yes
    fi
    install_step "$i"
  done
  [ "$updated" = no ] || say "done in $((SECONDS / 60)) min $((SECONDS % 60)) s"
}

main
