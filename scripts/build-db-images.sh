#!/usr/bin/env bash
# Builds the database test images locally (no registry is reachable on the test
# machines): a debootstrapped Debian bookworm rootfs with the database servers,
# imported once as a base image, then one thin image per engine whose entrypoint
# follows the official image's conventions (see scripts/images/db/).
#
# Idempotent and quick the second time (scripts/lib/debian-images.sh).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib/debian-images.sh
. "$here/lib/debian-images.sh"

packages=postgresql,postgresql-contrib,mariadb-server,mariadb-client,redis-server,redis-tools,sqlite3,procps,ca-certificates
# The packages' own post-install scripts create clusters and data we do not want in
# the image: the entrypoints initialise data directories the way the official images do.
base_tag=$(debian_base "$packages" bookworm-db baktainer-test/dbbase \
  'var/lib/postgresql/15' 'etc/postgresql/15' 'var/lib/mysql/*' 'var/lib/redis/*')

# Rebuild the engine images when any of their files or the base change.
hash=$(files_hash "$base_tag" "$here/images/db")
# tag, then the directory of its Dockerfile under scripts/images/db
for spec in postgres:15=postgres mariadb:10.11=mariadb mysql:10.11-mysqlclient=mysql redis:7=redis sqlite:3=sqlite; do
  thin_image "baktainer-test/${spec%%=*}" "$here/images/db/${spec#*=}/Dockerfile" "$here/images/db" "$base_tag" "$hash"
done
log "images ready"
