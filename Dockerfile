# The Lattice image: the self-contained `lattice` binary (deno compile) on a minimal base.
# It is what the operator Deployment runs and, through a cell's binary endpoint, what new
# nodes download for `lattice join`.
#
#   docker build -t lattice:dev .
#
# `deno compile` downloads the denort runtime and the npm packages, so the build needs
# network access (deno.lock pins every package).
FROM denoland/deno:2.9.6 AS build
# clusterctl, which `lattice capi-init` (the Job of every new cluster) runs.
ARG TARGETARCH=amd64
ARG CLUSTERCTL_VERSION=v1.14.0
ADD https://github.com/kubernetes-sigs/cluster-api/releases/download/${CLUSTERCTL_VERSION}/clusterctl-linux-${TARGETARCH} /out/clusterctl
RUN chmod 0755 /out/clusterctl
WORKDIR /src
COPY . .
RUN deno compile -A --output /out/lattice main.ts

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/clusterctl /usr/local/bin/clusterctl
COPY --from=build /out/lattice /lattice
USER 65532:65532
ENTRYPOINT ["/lattice"]
