#!/bin/sh
# Entrypoint of the local node:20-bookworm-slim stand-in (scripts/image/build.sh), with upstream's
# behaviour: a first argument that is an option, or not a runnable command, goes to node
# (`run IMAGE app.js` runs `node app.js`). netmedic's own image replaces this ENTRYPOINT.
set -e
if [ "${1#-}" != "$1" ] || [ -z "$(command -v "$1")" ] || { [ -f "$1" ] && ! [ -x "$1" ]; }; then
  set -- node "$@"
fi
exec "$@"
