# The deckmod image: the static, position-independent deckmod binary and a
# CA bundle on an empty base. No shell, no libc, no package manager; it runs
# as a non-root user. Modules whose hooks are shell scripts need an image
# built FROM this one that adds their interpreter and tools.
#
# The build context holds only what is copied (scripts/build-image.sh
# prepares it):
#   deckmod               scripts/build-release.sh --pie (static-pie, ASLR on)
#   ca-certificates.crt   the CA bundle for registries reached over HTTPS
# Build: scripts/build-image.sh [--push REGISTRY/REPO:TAG] [--archive FILE]
FROM scratch

COPY --chmod=0555 deckmod /usr/bin/deckmod
COPY --chmod=0444 ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
# Where hooks write (the chart mounts an emptyDir here; the root filesystem
# may be read-only).
COPY --chown=65532:65532 tmp /tmp

ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
# A numeric user: there is no /etc/passwd to look a name up in.
USER 65532:65532
EXPOSE 9650
ENTRYPOINT ["/usr/bin/deckmod"]
CMD ["operator", "--help"]
