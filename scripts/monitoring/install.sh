#!/usr/bin/env bash
# Installs what the monitoring tests (test/monitoring/, test/e2e/prometheus.test.ts) need: Debian's
# `prometheus` 2.42 package, i.e. the server and `promtool`. The tests start their own server on
# loopback with a scratch data directory and stop it by PID; nothing here may run one.
#
# Only the package: no service is enabled or started on this machine. A temporary policy-rc.d
# keeps the maintainer scripts from starting the packaged daemon (scripts/lib/debian-packages.sh);
# afterwards a daemon that started anyway (its pidfile names it) is stopped by that PID, and the
# service is disabled for the next boot.
# `--check` exits 0 when prometheus and promtool are installed (no root, no network); otherwise
# installs (root).
set -euo pipefail

packages=(prometheus)
PIDFILE=/run/prometheus/prometheus.pid

# shellcheck source=scripts/lib/debian-packages.sh
source "$(dirname "$0")/../lib/debian-packages.sh"
mapfile -t missing < <(missing_packages "${packages[@]}")
if [[ "${1:-}" == "--check" ]]; then
  ((${#missing[@]} == 0)) && command -v promtool >/dev/null && command -v prometheus >/dev/null
  exit
fi
if ((${#missing[@]} == 0)); then
  echo "monitoring: prometheus already installed"
  exit 0
fi
if [[ "$(id -u)" != "0" ]]; then
  echo "monitoring: installing ${missing[*]} needs root (run: sudo npm run monitoring:install)" >&2
  exit 1
fi

install_packages "${missing[@]}"
# The packaged daemon must not run here (it would listen on :9090 and scrape this machine).
if [[ -d /run/systemd/system ]]; then
  systemctl disable --now prometheus.service || true
elif command -v update-rc.d >/dev/null; then
  # No running systemd: Debian's update-rc.d turns the init links into K links and removes the
  # multi-user.target.wants link the maintainer scripts created (seen on this image).
  update-rc.d prometheus disable >/dev/null 2>&1 || true
fi
if [[ -s "$PIDFILE" ]]; then
  pid="$(cat "$PIDFILE")"
  if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; fi
  rm -f "$PIDFILE"
fi
echo "monitoring: installed ${missing[*]} ($(prometheus --version 2>&1 | head -1))"
