#!/usr/bin/env bash
# The Debian part of the local node:20-bookworm-slim stand-in (build.sh): a bookworm rootfs as a tar,
# made the way the official debian:bookworm-slim is (debootstrap-style minbase with merged /usr,
# docs/man/locales removed, apt configured for container layers), plus upstream node's `node` user.
#   base-rootfs.sh SUITE OUT.tar          build (root; ~75 s; downloads from deb.debian.org)
#   base-rootfs.sh --customize ROOTFS     mmdebstrap's customize hook (runs on the host)
set -euo pipefail

if [ "${1:-}" = --customize ]; then
  r="$2"
  # Slim: what the dpkg excludes below keep out of later installs, removed from the first ones too
  # (mmdebstrap unpacks the essential packages before dpkg reads its config). Copyrights stay.
  find "$r/usr/share/doc" ! -type d ! -name copyright -delete
  find "$r/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$r"/usr/share/{man,groff,info,lintian,linda}/*
  find "$r/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  # The build machine's name and resolver are not the image's; runtimes mount their own.
  rm -f "$r/etc/hostname" "$r/etc/resolv.conf"
  # Sources as in the official image: deb822, plain http (apt verifies the signatures itself).
  rm -f "$r/etc/apt/sources.list"
  cat > "$r/etc/apt/sources.list.d/debian.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # apt in image builds: no .debs or binary caches left in a layer, compressed lists, no
  # translations, and autoremove that really removes. Same file names as the official image has,
  # since Dockerfiles in the wild delete docker-clean to keep a cache.
  echo 'APT::Keep-Downloaded-Packages "false"; Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";' > "$r/etc/apt/apt.conf.d/docker-clean"
  echo 'Acquire::GzipIndexes "true";' > "$r/etc/apt/apt.conf.d/docker-gzip-indexes"
  echo 'Acquire::Languages "none";' > "$r/etc/apt/apt.conf.d/docker-no-languages"
  echo 'Apt::AutoRemove::SuggestsImportant "false";' > "$r/etc/apt/apt.conf.d/docker-autoremove-suggests"
  echo 'force-unsafe-io' > "$r/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"   # a failed build is redone anyway
  # With pkgcache "" set, mmdebstrap's cleanup no longer finds apt's binary caches (72 MB): drop them here.
  rm -f "$r"/var/cache/apt/*.bin
  # Upstream's node image has this user (uid/gid 1000); netmedic's Dockerfile runs as 65532 instead.
  chroot "$r" groupadd --gid 1000 node
  chroot "$r" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  exit 0
fi

SUITE="$1" OUT="$2"
excludes="$(mktemp)"
trap 'rm -f "$excludes"' EXIT
printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
  'path-exclude /usr/share/man/*' 'path-exclude /usr/share/groff/*' 'path-exclude /usr/share/info/*' \
  'path-exclude /usr/share/lintian/*' 'path-exclude /usr/share/linda/*' \
  'path-exclude /usr/share/locale/*' 'path-include /usr/share/locale/locale.alias' > "$excludes"
# merged-usr hook: symlinks plus usr-is-merged, as debootstrap does (the default pulls in usrmerge
# and perl). No /dev nodes in the tar: container runtimes provide /dev.
mmdebstrap --variant=minbase --mode=root --format=tar \
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
  --dpkgopt="$excludes" \
  --customize-hook="bash '$(realpath "$0")' --customize \"\$1\"" \
  --skip=output/dev,output/mknod \
  "$SUITE" "$OUT" \
  "deb http://deb.debian.org/debian $SUITE main" \
  "deb http://deb.debian.org/debian $SUITE-updates main" \
  "deb http://deb.debian.org/debian-security $SUITE-security main"
