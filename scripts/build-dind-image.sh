#!/usr/bin/env bash
# Builds the images of the multi-node Swarm tests from Debian packages only (no
# registry is reachable on the test machines), from a debootstrapped bookworm
# rootfs with Debian's docker.io, iptables and ca-certificates, imported once as
# a base image:
#   baktainer-test/dind        a Docker-in-Docker Swarm node (scripts/swarm-nodes.sh):
#                              the base plus its entrypoint (scripts/images/dind/)
#   baktainer-test/docker-cli  the rollout job's image (scripts/swarm-rollout.sh), what
#                              docker:cli is to users: FROM scratch with the base's
#                              docker CLI, dash as sh and the C library (~48 MB, so
#                              loading it into every node is quick)
#
# Idempotent and quick the second time (scripts/lib/debian-images.sh). Talks to the
# daemon DOCKER_HOST names.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib/debian-images.sh
. "$here/lib/debian-images.sh"

packages=docker.io,iptables,ca-certificates,tini,procps
# Nothing of the build host's daemon belongs in a node.
base_tag=$(debian_base "$packages" bookworm-dind baktainer-test/dindbase \
  'var/lib/docker/*' 'var/lib/containerd/*' 'usr/share/doc/*' 'usr/share/man/*' 'usr/share/locale/*')

hash=$(files_hash "$base_tag" "$here/images/dind")
# tag, then its Dockerfile under scripts/images/dind
for spec in dind:latest=Dockerfile docker-cli:latest=cli.Dockerfile; do
  thin_image "baktainer-test/${spec%%=*}" "$here/images/dind/${spec#*=}" "$here/images/dind" "$base_tag" "$hash"
done
log "images ready"
