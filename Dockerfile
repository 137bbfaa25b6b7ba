# Sibyl: a static binary in a distroless image, run as a non-root user,
# with its data on a volume.
#
#   docker build -t sibyl .
#   docker run -p 9042:9042 -v sibyl-data:/var/lib/sibyl sibyl
#
# The default command listens on the address of eth0, the container's
# network interface (a node must advertise a concrete address: 0.0.0.0 is
# refused). In Kubernetes the pod IP is passed as --listen-address; see
# deploy/kubernetes/sibyl.yaml. cmd/sibyl/deploy_test.go checks that the
# command line below is one `sibyl` accepts.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/sibyl ./cmd/sibyl

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/sibyl /usr/local/bin/sibyl
# 65532 is distroless's "nonroot" user; the volume must be writable by it.
USER 65532:65532
VOLUME ["/var/lib/sibyl"]
# CQL, internode messaging, gossip (TCP and UDP), admin API and /metrics.
EXPOSE 9042 7000 7001 7001/udp 7199
ENTRYPOINT ["/usr/local/bin/sibyl"]
CMD ["serve", "--data-dir", "/var/lib/sibyl", "--listen-interface", "eth0", "--log-format", "json"]
