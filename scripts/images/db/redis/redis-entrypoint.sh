#!/usr/bin/env bash
# Starts redis-server as the redis user with its data in /data, like the official image.
# REDIS_PASSWORD (or REDIS_PASSWORD_FILE) sets requirepass through a config file, so the
# password never appears in the server's command line.
set -Eeuo pipefail
. /usr/local/bin/entrypoint-lib.sh

if [ "$1" = redis-server ]; then
  file_env REDIS_PASSWORD
  conf=/run/redis-docker.conf
  {
    echo "dir /data"
    echo "bind * -::*"
    echo "protected-mode no"
    echo "save 3600 1 300 100 60 10000"
    [ -n "$REDIS_PASSWORD" ] && echo "requirepass \"${REDIS_PASSWORD//\"/\\\"}\""
  } >"$conf"
  chown redis:redis "$conf" /data
  chmod 600 "$conf"
  unset REDIS_PASSWORD
  shift
  exec setpriv --reuid=redis --regid=redis --init-groups redis-server "$conf" "$@"
fi
exec "$@"
