#!/usr/bin/env bash
# Shows baktainer backing up a labelled Postgres container on this machine's engine:
# starts the container with some data, backs it up, and opens the archive with stock tools.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$repo/bin/baktainer
out=${BT_BACKUP_DIR:-$repo/demo-backups}
name=baktainer-demo-db

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "starting a labelled Postgres container ($name)"
docker rm -f "$name" >/dev/null 2>&1 || true
docker run -d --name "$name" --network none \
  -e POSTGRES_PASSWORD=demo-password -e POSTGRES_DB=shop \
  -l baktainer.backup=true -l baktainer.db.engine=postgres -l baktainer.name=shop \
  baktainer-test/postgres:15 >/dev/null
until docker exec "$name" pg_isready -q -h 127.0.0.1 2>/dev/null; do sleep 0.5; done
docker exec -i "$name" psql -q -U postgres -d shop <<'SQL'
CREATE TABLE products (id serial PRIMARY KEY, name text, price numeric(8,2));
INSERT INTO products (name, price) SELECT 'product ' || g, g * 0.5 FROM generate_series(1, 1000) g;
SQL
echo "labels: $(docker inspect -f '{{json .Config.Labels}}' "$name")"

step "baktainer backup $name   (BT_BACKUP_DIR=$out)"
archive=$(BT_BACKUP_DIR=$out "$bin" backup "$name")
echo "archive: $archive"
ls -l "$(dirname "$archive")"

step "checking it with stock tools"
(cd "$(dirname "$archive")" && sha256sum -c "$(basename "$archive").sha256")
zstd -dc "$archive" | grep -m3 -E '^(CREATE TABLE|COPY)'
echo "open it yourself:  zstd -dc $archive | less"
echo "restore it:        $bin restore $archive --container <a postgres container>"

step "cleaning up the demo container (the archive stays in $out)"
docker rm -f "$name" >/dev/null
