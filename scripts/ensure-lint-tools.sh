#!/usr/bin/env bash
# Provides the linters `make lint` runs besides gofmt and go vet, built from their Go
# modules at pinned versions and cached outside the repository
# ($BAKTAINER_CACHE/lint, default /var/cache/baktainer/lint):
#
#   staticcheck  honnef.co/go/tools
#   govulncheck  golang.org/x/vuln, with the vulnerability database built from the
#                golang.org/x/vulndb module (its data/osv files, indexed by the
#                module's own cmd/indexdb): vuln.go.dev is not reachable from every
#                machine, the module proxy is. Bump VULNDB_VERSION for newer reports.
#
# The tools are built with the toolchain the Makefile exports (GOTOOLCHAIN), because
# govulncheck can only load packages of the Go it was built with. Idempotent; prints
# "STATICCHECK=... GOVULNCHECK=... VULNDB=..." for the Makefile.
set -euo pipefail

STATICCHECK_VERSION=v0.8.2
GOVULNCHECK_VERSION=v1.9.0
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018

goversion=$(go env GOVERSION)
cache=${BAKTAINER_CACHE:-/var/cache/baktainer}/lint
bin=$cache/bin-$goversion
db=$cache/vulndb-$VULNDB_VERSION
mkdir -p "$bin"

build() { # build NAME MODULE/CMD@VERSION
  local stamp="$bin/.$1-${2##*@}"
  if [ ! -x "$bin/$1" ] || [ ! -e "$stamp" ]; then
    echo "ensure-lint-tools: building $1 (${2##*@}, $goversion), once" >&2
    # Outside any module, so the tool's own go.mod decides its dependencies.
    (cd / && GOFLAGS= GOBIN="$bin" go install "$2")
    touch "$stamp"
  fi
}
build staticcheck "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
build govulncheck "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION"

if [ ! -e "$db/index/db.json" ]; then
  build indexdb "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION"
  echo "ensure-lint-tools: indexing the vulnerability database ($VULNDB_VERSION), once" >&2
  src=$(cd / && GOFLAGS= go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$src/data/osv" ] || { echo "ensure-lint-tools: no data/osv in $src" >&2; exit 1; }
  tmp=$(mktemp -d "$cache/vulndb.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  "$bin/indexdb" -vulns "$src/data/osv" -out "$tmp/db"
  rm -rf "$db"
  mv "$tmp/db" "$db"
fi
echo "STATICCHECK=$bin/staticcheck GOVULNCHECK=$bin/govulncheck VULNDB=file://$db"
