#!/usr/bin/env bash
# A multi-node Docker Swarm on one machine, for the tests: each node is a
# Docker-in-Docker container (image baktainer-test/dind, scripts/build-dind-image.sh)
# running its own dockerd with its own data root, all on one user network, joined
# into one swarm (node 1 the manager, the others workers).
#
#   scripts/swarm-nodes.sh up [N]               N nodes (default 3) in one swarm, all Ready (idempotent)
#   scripts/swarm-nodes.sh down                 remove every node, the network, the data (idempotent)
#   scripts/swarm-nodes.sh destroy N            remove node N's container and data root: a lost host
#   scripts/swarm-nodes.sh load N|all IMAGE...  copy images from the main daemon (skipped when present)
#   scripts/swarm-nodes.sh host N               print node N's DOCKER_HOST (a unix socket on this machine)
#   scripts/swarm-nodes.sh ip N                 print node N's address on the network
#   scripts/swarm-nodes.sh hostname N           print node N's hostname (its name in the swarm)
#   scripts/swarm-nodes.sh data N               print the host directory node N sees as /var/lib/baktainer
#   scripts/swarm-nodes.sh gateway              print this machine's address on the network
#
# On this machine, per node N (NAME is $BT_SWARM_NAME, default baktainer-swarm):
#   container and hostname NAME-nodeN, address SUBNET.(10+N)
#   $BT_SWARM_DATA/nodeN/docker    the node's data root (/var/lib/docker; overlay2)
#   $BT_SWARM_DATA/nodeN/baktainer the node's /var/lib/baktainer (the plugin's default data.source)
#   $BT_SWARM_RUN/nodeN/docker.sock the node's Docker API
#   cgroup /NAME-nodeN             where the node's containers' cgroups go
# A registry or any other server on this machine is reachable from the nodes on
# the gateway address; the nodes accept plain-HTTP registries on the network's
# subnet (--insecure-registry).
#
# Why one manager: the drill destroys a worker's host, which must not touch the
# swarm's Raft quorum; three managers would leave two of three after that, one
# stall (two shared cores, image loads) away from an election or a lost quorum.
#
# Environment: BT_SWARM_NAME (baktainer-swarm), BT_SWARM_SUBNET (10.232.0.0/24,
# a /24), BT_SWARM_DATA (/var/lib/baktainer-swarm), BT_SWARM_RUN (/run/baktainer-swarm).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
name=${BT_SWARM_NAME:-baktainer-swarm}
subnet=${BT_SWARM_SUBNET:-10.232.0.0/24}
data=${BT_SWARM_DATA:-/var/lib/baktainer-swarm}
run=${BT_SWARM_RUN:-/run/baktainer-swarm}
image=baktainer-test/dind:latest
label=com.baktainer-test.swarm

log() { echo "swarm-nodes: $*" >&2; }
die() { log "$*"; exit 1; }
# main is the machine's own daemon, whatever DOCKER_HOST says.
main_docker() { env -u DOCKER_HOST docker "$@"; }

case "$subnet" in
  *.*.*.0/24) prefix=${subnet%.0/24} ;;
  *) die "BT_SWARM_SUBNET=$subnet: must be a /24 such as 10.232.0.0/24" ;;
esac

node_name() { echo "$name-node$1"; }
node_ip() { echo "$prefix.$((10 + $1))"; }
node_host() { echo "unix://$run/node$1/docker.sock"; }
node_docker() { local n=$1; shift; docker -H "$(node_host "$n")" "$@"; }
answers() { node_docker "$1" version >/dev/null 2>&1; }
check_node() {
  case "$1" in
    '' | *[!0-9]* | 0) die "node $1: nodes are numbered from 1" ;;
  esac
}

ensure_network() {
  local have
  if have=$(main_docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' "$name" 2>/dev/null); then
    [ "$have" = "$subnet" ] || die "network $name exists with subnet $have, not $subnet: run down first"
    return 0
  fi
  main_docker network create --label "$label=$name" --subnet "$subnet" "$name" >/dev/null
}

# start_node N starts node N's container unless it runs, and waits until its
# dockerd answers on the host socket.
start_node() {
  local n=$1 node state
  node=$(node_name "$n")
  if ! state=$(main_docker container inspect -f '{{.State.Running}}' "$node" 2>/dev/null); then
    state=missing
  fi
  case "$state" in
    true) ;;
    false) main_docker start "$node" >/dev/null ;;
    missing)
      mkdir -p "$data/node$n/docker" "$data/node$n/baktainer" "$run/node$n"
      # --privileged is refused here (no CAP_SYS_RESOURCE): every other capability,
      # no seccomp or AppArmor profile, the host's cgroups (v1) for the inner
      # containers, a /run of its own. See docs/TESTING.md.
      main_docker run -d --name "$node" --hostname "$node" --label "$label=$name" \
        --network "$name" --ip "$(node_ip "$n")" \
        --cap-add ALL --cap-drop SYS_RESOURCE \
        --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
        --tmpfs /run --tmpfs /tmp -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
        -v "$data/node$n/docker:/var/lib/docker" \
        -v "$data/node$n/baktainer:/var/lib/baktainer" \
        -v "$run/node$n:/run/baktainer-swarm" \
        -e DIND_CGROUP_PARENT="/$node" -e DIND_HOST_SOCKET=/run/baktainer-swarm/docker.sock \
        "$image" --insecure-registry "$subnet" >/dev/null
      ;;
  esac
  for _ in $(seq 1 120); do
    if answers "$n"; then
      return 0
    fi
    sleep 0.5
  done
  main_docker logs --tail 30 "$node" >&2 || true
  die "the dockerd of $node did not answer on $(node_host "$n") within 60s (its log is above)"
}

# join_swarm makes node 1 a manager and nodes 2..N its workers; a node in
# another swarm (left over from an earlier rig) leaves it first, and a Down
# entry of the same hostname (a destroyed node) is removed before it joins again.
join_swarm() {
  local count=$1 n state node id token
  if [ "$(node_docker 1 info -f '{{.Swarm.LocalNodeState}}')" != active ]; then
    log "swarm init on $(node_name 1)"
    node_docker 1 swarm init --advertise-addr "$(node_ip 1)" >/dev/null
  fi
  token=$(node_docker 1 swarm join-token -q worker)
  for n in $(seq 2 "$count"); do
    node=$(node_name "$n")
    read -r state id < <(node_docker "$n" info -f '{{.Swarm.LocalNodeState}} {{.Swarm.NodeID}}')
    if [ "$state" = active ] && node_docker 1 node inspect "$id" >/dev/null 2>&1; then
      continue
    fi
    [ "$state" = inactive ] || node_docker "$n" swarm leave --force >/dev/null
    node_docker 1 node ls --format '{{.ID}} {{.Hostname}} {{.Status}}' | while read -r id host status; do
      if [ "$host" = "$node" ] && [ "$status" = Down ]; then
        node_docker 1 node rm --force "$id" >/dev/null
      fi
    done
    log "$node joins the swarm"
    node_docker "$n" swarm join --token "$token" --advertise-addr "$(node_ip "$n")" "$(node_ip 1):2377" >/dev/null
  done
}

wait_ready() {
  local count=$1 ready want
  want=$(for n in $(seq 1 "$count"); do echo "$(node_name "$n") Ready"; done | sort)
  for _ in $(seq 1 120); do
    ready=$(node_docker 1 node ls --format '{{.Hostname}} {{.Status}}' | grep ' Ready$' | sort || true)
    if [ "$(comm -23 <(echo "$want") <(echo "$ready"))" = "" ]; then
      return 0
    fi
    sleep 0.5
  done
  node_docker 1 node ls >&2 || true
  die "not every node of $count is Ready after 60s"
}

up() {
  local count=${1:-3} n
  check_node "$count"
  "$here/build-dind-image.sh"
  ensure_network
  for n in $(seq 1 "$count"); do
    start_node "$n"
  done
  join_swarm "$count"
  wait_ready "$count"
  log "$count nodes in one swarm (manager $(node_name 1); DOCKER_HOST=$(node_host 1))"
}

# remove_cgroups removes the cgroups a node's containers left (cgroup v1: one
# directory per controller). They empty while the killed node's processes exit,
# which takes a moment after `docker rm -f`.
remove_cgroups() {
  local node=$1 dir busy
  for _ in $(seq 1 60); do
    busy=
    for dir in /sys/fs/cgroup/*/"$node" /sys/fs/cgroup/"$node"; do
      if [ -d "$dir" ] && ! find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null; then
        busy=1
      fi
    done
    [ -n "$busy" ] || return 0
    sleep 0.25
  done
  log "the cgroups of $node are still in use after 15s: $(ls -d /sys/fs/cgroup/*/"$node" 2>/dev/null | tr '\n' ' ')"
  return 1
}

destroy() {
  local n=$1 node
  check_node "$n"
  [ "$n" != 1 ] || die "node 1 is the swarm's only manager: destroying it ends the swarm (use down)"
  node=$(node_name "$n")
  log "destroying $node: its container, data root and socket directory"
  main_docker rm -f -v "$node" >/dev/null 2>&1 || true
  rm -rf "${data:?}/node$n" "${run:?}/node$n"
  remove_cgroups "$node"
}

down() {
  local nodes node
  nodes=$(main_docker ps -a --filter "label=$label=$name" --format '{{.Names}}')
  for node in $nodes; do
    main_docker rm -f -v "$node" >/dev/null
  done
  # Every node's cgroups, also those of nodes an interrupted run removed.
  for node in $( (echo "$nodes"; ls -d /sys/fs/cgroup/*/"$name"-node* /sys/fs/cgroup/"$name"-node* 2>/dev/null |
    xargs -r -n1 basename) | sort -u); do
    remove_cgroups "$node"
  done
  if main_docker network inspect "$name" >/dev/null 2>&1; then
    main_docker network rm "$name" >/dev/null
  fi
  rm -rf "${data:?}" "${run:?}"
  log "removed nodes [$(echo "$nodes" | tr '\n' ' ')], network $name, $data and $run"
}

# load copies images from the main daemon into node N unless it has the same image ID.
load() {
  local n=$1 img want have
  shift
  answers "$n" || die "node $n does not answer on $(node_host "$n"): run up first"
  for img in "$@"; do
    want=$(main_docker image inspect -f '{{.Id}}' "$img") || die "image $img is not on the main daemon (make images)"
    have=$(node_docker "$n" image inspect -f '{{.Id}}' "$img" 2>/dev/null || true)
    if [ "$want" != "$have" ]; then
      log "loading $img into $(node_name "$n")"
      main_docker save "$img" | node_docker "$n" load -q >/dev/null
    fi
  done
}

load_cmd() {
  local target=${1:?usage: swarm-nodes.sh load N|all IMAGE...} n
  shift
  if [ "$target" = all ]; then
    for n in $(main_docker ps --filter "label=$label=$name" --format '{{.Names}}' | sed "s/^$name-node//" | sort -n); do
      load "$n" "$@"
    done
  else
    check_node "$target"
    load "$target" "$@"
  fi
}

# One caller at a time.
mkdir -p "$(dirname "$run")"
exec 9>"$run.lock"
flock 9

cmd=${1:-}
shift || true
case "$cmd" in
  up) up "$@" ;;
  down) down ;;
  destroy) destroy "${1:?usage: swarm-nodes.sh destroy N}" ;;
  load) load_cmd "$@" ;;
  host) check_node "${1:-}"; node_host "$1" ;;
  ip) check_node "${1:-}"; node_ip "$1" ;;
  hostname) check_node "${1:-}"; node_name "$1" ;;
  data) check_node "${1:-}"; echo "$data/node$1/baktainer" ;;
  gateway) echo "$prefix.1" ;;
  *)
    echo "usage: $0 up [N] | down | destroy N | load N|all IMAGE... | host N | ip N | hostname N | data N | gateway" >&2
    exit 2
    ;;
esac
