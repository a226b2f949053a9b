#!/usr/bin/env bash
# "idle" keeps the container running (the tests write to the database through exec)
# and exits promptly on docker stop.
set -Eeuo pipefail
if [ "$1" = idle ]; then
  trap 'exit 0' TERM INT
  sleep infinity &
  wait
fi
exec "$@"
