#!/usr/bin/env bash
# Shows baktainer as users get it, on this machine's own engine: builds the managed
# plugin, installs and enables it, starts a labelled Postgres with some data, lets
# the plugin back it up onto a backup volume, and reads the archive through a
# container that mounts the volume read-only.
#
#   scripts/demo.sh           run the demo (again: it replaces what a previous run left)
#   scripts/demo.sh clean     remove the demo's database (with its data volume) and the
#                             plugin (archives stay in $data)
#
# The plugin is scoped to the demo's container (BT_SELECTOR) and backs up every
# minute (BT_CRON), so it leaves every other labelled container on this engine
# alone; the last lines it prints say how to clear both and keep the plugin.
#
# Talks to the engine DOCKER_HOST names (the default one otherwise); for a unix
# socket, the plugin's agent is given the same one (docker-socket.source).
# BT_DEMO_DATA, BT_DEMO_PORT, BT_DEMO_CRON change the data directory, the HTTP
# port and the schedule; BT_DEMO_DOCKERD_LOG names the daemon's log file when it
# is neither in journald nor where scripts/ensure-docker.sh writes it.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
plugin=baktainer                         # volumes name their driver by it
data=${BT_DEMO_DATA:-/var/lib/baktainer} # the plugin's data.source: where archives really live
port=${BT_DEMO_PORT:-8080}               # the plugin's HTTP server, on the host's loopback
cron=${BT_DEMO_CRON:-@every 1m}
socket=/var/run/docker.sock
case "${DOCKER_HOST:-}" in unix://*) socket=${DOCKER_HOST#unix://} ;; esac
db=baktainer-demo-db
vol=demo-backups
selector=com.baktainer.demo=true
image=baktainer-test/postgres:15

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
say() { printf '    $ %s\n' "$*"; }
# daemon_log prints the end of every daemon log it finds: journald's, and the
# files BT_DEMO_DOCKERD_LOG, scripts/ensure-docker.sh's and Debian's sysvinit's.
daemon_log() {
  journalctl -u docker --no-pager -n 5000 2>/dev/null || true
  local f
  for f in "${BT_DEMO_DOCKERD_LOG:-}" /var/log/baktainer-dockerd.log /var/log/docker.log; do
    if [ -n "$f" ] && [ -r "$f" ]; then
      tail -n 5000 "$f"
    fi
  done
}
plugin_log() {
  local id lines
  id=$(docker plugin inspect -f '{{.Id}}' "$plugin" 2>/dev/null) || return 0
  lines=$(daemon_log | grep "plugin=$id" | tail -n 15) || true
  if [ -z "$lines" ]; then
    echo "no log lines of the plugin in journald, /var/log/baktainer-dockerd.log or /var/log/docker.log;" \
      "run again with BT_DEMO_DOCKERD_LOG=<the daemon's log file>" >&2
    return 0
  fi
  echo "the plugin's last log lines (the engine logs them at level=error; the real level is inside msg):" >&2
  echo "$lines" >&2
}

if [ "${1:-}" = clean ]; then
  docker rm -f -v "$db" >/dev/null 2>&1 || true # -v: its anonymous data volume too
  docker plugin rm -f "$plugin" >/dev/null 2>&1 || true
  echo "removed the demo database (and its data volume) and the plugin; the archives stay in $data/volumes/$vol"
  exit 0
fi

step "building the managed plugin: make plugin PLUGIN=$plugin"
say "static binary -> image FROM scratch -> rootfs/ -> docker plugin create $plugin (cached)"
make -s -C "$repo" plugin PLUGIN="$plugin"

step "installing it on this engine (data.source=$data, health on 127.0.0.1:$port)"
mkdir -p "$data" # the engine does not create a plugin mount's source
# Settings need a disabled plugin; -f because a plugin with volumes refuses a
# plain disable (docs/PLUGIN.md, engine quirks). Volumes and archives stay.
docker plugin disable -f "$plugin" >/dev/null 2>&1 || true
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "port $port is taken on 127.0.0.1; run again with BT_DEMO_PORT=<free port>" >&2
  exit 1
fi
docker plugin set "$plugin" data.source="$data" docker-socket.source="$socket" \
  BT_HEALTH_PORT="$port" BT_SELECTOR="$selector" BT_CRON="$cron"
say "docker plugin enable $plugin"
docker plugin enable "$plugin" >/dev/null
for i in $(seq 1 60); do
  if health=$(curl -fsS "http://127.0.0.1:$port/health" 2>/dev/null); then break; fi
  if [ "$i" = 60 ]; then
    echo "the plugin's /health did not answer 200:" >&2
    curl -sS "http://127.0.0.1:$port/health" >&2 || true
    plugin_log
    exit 1
  fi
  sleep 0.5
done
docker plugin ls
say "curl -s 127.0.0.1:$port/health"
echo "    $health"

step "a backup volume: docker volume create -d $plugin -o retention.count=5 $vol"
docker volume create -d "$plugin" -o retention.count=5 "$vol" >/dev/null
docker volume inspect -f '    {{.Name}}: driver {{.Driver}}, status {{json .Status}}' "$vol"

step "a labelled Postgres container ($db) with some data"
docker rm -f -v "$db" >/dev/null 2>&1 || true
docker run -d --name "$db" --network none \
  -e POSTGRES_PASSWORD=demo-password -e POSTGRES_DB=shop \
  -l baktainer.backup=true -l baktainer.db.engine=postgres -l baktainer.name=shop \
  -l baktainer.volume="$vol" -l com.baktainer.demo=true \
  "$image" >/dev/null
until docker exec "$db" pg_isready -q -h 127.0.0.1 2>/dev/null; do sleep 0.5; done
docker exec -i "$db" psql -q -U postgres -d shop <<'SQL'
CREATE TABLE products (id serial PRIMARY KEY, name text, price numeric(8,2));
INSERT INTO products (name, price) SELECT 'product ' || g, g * 0.5 FROM generate_series(1, 1000) g;
SQL
echo "    labels: $(docker inspect -f '{{json .Config.Labels}}' "$db")"
echo "    the plugin backs it up every minute (BT_CRON); the first backup is asked for now:"

step "the plugin backs it up: baktainer backup shop --via http://127.0.0.1:$port"
say "(the agent inside the plugin runs pg_dump inside $db and writes onto volume $vol)"
# It prints the archive as consumers of the volume see it: <volume>:<path in the volume>.
where=$("$repo/bin/baktainer" backup shop --via "http://127.0.0.1:$port") || { plugin_log; exit 1; }
rel=${where#"$vol":}
host=$data/volumes/$vol/$rel
echo "    archive, as the volume's consumers see it: $where"
echo "    on the host:                               $host"
ls -l "$(dirname "$host")"

step "reading it through a container that mounts the volume read-only ($vol:/backups:ro)"
say "docker run --rm -v $vol:/backups:ro ... sha256sum -c"
docker run --rm --network none -v "$vol:/backups:ro" --entrypoint sh "$image" -c "
  cd /backups/$(dirname "$rel") && sha256sum -c $(basename "$rel").sha256
  if touch /backups/x 2>/dev/null; then echo 'WRITABLE?!'; exit 1; else echo '    (and it cannot write: read-only)'; fi"
say "docker run --rm -v $vol:/backups:ro ... cat $rel | zstd -dc | head"
docker run --rm --network none -v "$vol:/backups:ro" --entrypoint cat "$image" "/backups/$rel" |
  zstd -dc | grep -m4 -E '^(-- PostgreSQL|CREATE TABLE|COPY)'

step "done: the plugin keeps backing up $db ($cron)"
cat <<EOF
    every attempt (the plugin's agent):  curl -s 127.0.0.1:$port/api/v1/backups
    the archives, on the host:           ls -R $data/volumes/$vol
    the archives, read-only elsewhere:   docker run --rm --network none -v $vol:/backups:ro $image ls -R /backups
    restore one:                         $repo/bin/baktainer restore $host --container NAME
    remove the demo's database, plugin:  scripts/demo.sh clean

    The plugin stays installed with the demo's settings: BT_SELECTOR=$selector (only the
    demo's container) and BT_CRON=$cron. To keep it and let it back up every labelled
    container on its default schedule (BT_CRON's default, 0 0 * * *), clear both:
    back up every labelled container: docker plugin disable -f $plugin && docker plugin set $plugin BT_SELECTOR= BT_CRON= && docker plugin enable $plugin
EOF
