#!/usr/bin/env bash
# Installs the baktainer managed plugin on every node of a Swarm, or upgrades it
# there, with one global job: `docker service create --mode global-job` runs one
# task per node, and each task drives its own node's engine through the mounted
# Docker socket. Run it on a manager:
#
#   scripts/swarm-rollout.sh REGISTRY/baktainer:TAG [KEY=VALUE...]
#
# On a node without the plugin: creates the data directory, installs REF under the
# alias, applies the KEY=VALUE settings, enables it. On a node with it: disables it
# (-f: volumes stay), upgrades it to REF unless it is at REF already, sets the mount
# sources it had again (after an upgrade the engine would mount config.json's
# defaults: docs/PLUGIN.md, quirk 6) and the KEY=VALUE settings, enables it; a
# failed upgrade enables the old version again and fails that node. Either
# way it then checks the plugin serves volumes (creates and removes a probe volume:
# a plugin that cannot start refuses it, saying why). Exits non-zero when any node
# failed, after printing every node's log.
#
# Environment:
#   BT_ROLLOUT_IMAGE   an image with the docker CLI and sh (default docker:cli; the
#                      tests use baktainer-test/docker-cli, scripts/build-dind-image.sh)
#   BT_ROLLOUT_ALIAS   the plugin's name on the nodes (default baktainer)
#   BT_ROLLOUT_DATA    data.source for new installs (default /var/lib/baktainer)
#   BT_ROLLOUT_SOCKET  the nodes' Docker socket (default /var/run/docker.sock)
#   BT_ROLLOUT_TIMEOUT seconds to wait for every node (default 600)
set -euo pipefail
ref=${1:?usage: swarm-rollout.sh REGISTRY/baktainer:TAG [KEY=VALUE...]}
shift
image=${BT_ROLLOUT_IMAGE:-docker:cli}
alias=${BT_ROLLOUT_ALIAS:-baktainer}
data=${BT_ROLLOUT_DATA:-/var/lib/baktainer}
socket=${BT_ROLLOUT_SOCKET:-/var/run/docker.sock}
timeout=${BT_ROLLOUT_TIMEOUT:-600}
log() { echo "swarm-rollout: $*" >&2; }

# What each node runs (POSIX sh: docker:cli is Alpine). Arguments: the settings.
# shellcheck disable=SC2016 # expanded by the node's shell, not here
job='set -eu
node=$(docker info --format "{{.Name}}")
say() { echo "$node: $*"; }
probe=baktainer-rollout-probe
if docker plugin inspect "$ALIAS" >/dev/null 2>&1; then
  have=$(docker plugin inspect -f "{{.PluginReference}}" "$ALIAS")
  mounts=$(docker plugin inspect -f "{{range .Settings.Mounts}}{{.Name}}={{.Source}} {{end}}" "$ALIAS")
  src() { for m in $mounts; do case "$m" in "$1"=*) echo "${m#*=}";; esac; done; }
  data=$(src data); sock=$(src docker-socket)
  docker plugin disable -f "$ALIAS" >/dev/null 2>&1 || true
  if [ "$have" = "$REF" ]; then
    say "already at $REF"
  else
    say "upgrading from $have to $REF"
    if ! docker plugin upgrade --skip-remote-check --grant-all-permissions "$ALIAS" "$REF"; then
      docker plugin set "$ALIAS" "data.source=${data:-$DATA}" "docker-socket.source=${sock:-$SOCKET}" || true
      docker plugin enable "$ALIAS" >/dev/null || true
      say "FAILED to upgrade to $REF; $have is enabled again"
      exit 1
    fi
  fi
  docker plugin set "$ALIAS" "data.source=${data:-$DATA}" "docker-socket.source=${sock:-$SOCKET}" "$@"
else
  say "installing $REF (data.source=$DATA)"
  # The engine does not create a plugin mount source; a bind mount of it does.
  docker run --rm --network none -v "$DATA:/data" --entrypoint sh "$IMAGE" -c true
  docker plugin install --disable --alias "$ALIAS" --grant-all-permissions "$REF" \
    "data.source=$DATA" "docker-socket.source=$SOCKET" "$@"
fi
docker plugin enable "$ALIAS" >/dev/null
docker volume create -d "$ALIAS" "$probe" >/dev/null
docker volume rm "$probe" >/dev/null
say "$ALIAS is enabled at $REF and serves volumes"'

name=baktainer-rollout-$(date +%s)
log "rolling $ref out to every node ($(docker node ls -q | wc -l) nodes) with global job $name"
docker service create --detach --quiet --name "$name" --mode global-job --restart-condition none \
  --mount "type=bind,source=$socket,target=/var/run/docker.sock" \
  --env "REF=$ref" --env "ALIAS=$alias" --env "DATA=$data" --env "SOCKET=$socket" --env "IMAGE=$image" \
  --entrypoint sh "$image" -c "$job" rollout "$@" >/dev/null
trap 'docker service rm "$name" >/dev/null 2>&1 || true' EXIT

# A global job is done when every node's task has ended.
deadline=$((SECONDS + timeout))
while :; do
  states=$(docker service ps "$name" --format '{{.CurrentState}}')
  if [ -n "$states" ] && ! grep -qvE '^(Complete|Failed|Rejected|Shutdown)' <<<"$states"; then
    break
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    log "not done after ${timeout}s:"
    docker service ps --no-trunc "$name" >&2
    exit 1
  fi
  sleep 1
done
docker service logs "$name" 2>&1
failed=$(docker service ps "$name" --format '{{.Node}} {{.CurrentState}} {{.Error}}' | grep -vE ' Complete ' || true)
if [ -n "$failed" ]; then
  log "failed on: $failed"
  exit 1
fi
log "done: every node runs $ref"
