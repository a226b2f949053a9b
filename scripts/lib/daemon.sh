# shellcheck shell=bash
# Sourced by the scripts that start long-lived daemons (dockerd, the registry, the
# S3 server).

# close_inherited_fds closes every descriptor above 2 of the current shell. A daemon
# outlives whoever started it, and would hold what they hold open for ever: a
# script's own lock, and a caller's `flock /tmp/baktainer-docker.lock` (the lock
# every Docker test waits for, which flock(1) leaves open in its command). Call it
# in the subshell that then execs the daemon.
close_inherited_fds() {
  local fd
  for fd in /proc/"$BASHPID"/fd/*; do
    fd=${fd##*/}
    if [ "$fd" -gt 2 ]; then
      eval "exec $fd>&-" 2>/dev/null || true
    fi
  done
}
