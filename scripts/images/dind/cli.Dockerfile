ARG BASE
FROM ${BASE} AS debian
# The Swarm rollout job's image in the tests (scripts/swarm-rollout.sh): what
# docker:cli gives users, from the node's own Debian packages: the docker CLI
# and a POSIX sh (dash), with the C library they link, and nothing else.
FROM scratch
COPY --from=debian /usr/bin/dash /bin/sh
COPY --from=debian /usr/bin/docker /usr/bin/docker
COPY --from=debian /usr/lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libc.so.6
COPY --from=debian /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 /lib64/ld-linux-x86-64.so.2
ENV PATH=/usr/bin:/bin HOME=/
ENTRYPOINT ["/bin/sh"]
