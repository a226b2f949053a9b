#!/bin/sh
# The entrypoint of a Docker-in-Docker Swarm node (scripts/swarm-nodes.sh).
# Arguments are extra dockerd flags. Environment:
#   DIND_CGROUP_PARENT  the cgroup the node's containers go under (one per node)
#   DIND_STORAGE_DRIVER overlay2 (the data root is a bind mount of a host directory
#                       on a filesystem overlayfs accepts) or vfs
#   DIND_HOST_SOCKET    a second API socket, in a directory the host bind-mounts
set -eu

# Plugins' propagated mounts and volume mounts need a shared root.
mount --make-rshared /

# Debian's iptables defaults to nf_tables; the node's own network namespace has
# no rules yet, so whichever backend the kernel offers is usable. Prefer nft,
# fall back to legacy when the kernel has no nf_tables.
if ! iptables-nft -L -n >/dev/null 2>&1 && iptables-legacy -L -n >/dev/null 2>&1; then
  update-alternatives --set iptables /usr/sbin/iptables-legacy >/dev/null
  update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy >/dev/null
fi

# A pid file left by a node container that was stopped, not removed.
rm -f /var/run/docker.pid /run/docker/containerd/containerd.pid

set -- --storage-driver="${DIND_STORAGE_DRIVER:-overlay2}" \
  --cgroup-parent="${DIND_CGROUP_PARENT:-/dind}" \
  -H unix:///var/run/docker.sock "$@"
if [ -n "${DIND_HOST_SOCKET:-}" ]; then
  mkdir -p "$(dirname "$DIND_HOST_SOCKET")"
  set -- "$@" -H "unix://$DIND_HOST_SOCKET"
fi
exec dockerd "$@"
