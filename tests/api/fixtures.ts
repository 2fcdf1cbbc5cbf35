/**
 * LatticeCluster documents shared by the API tests, the CRD tests and the benchmarks.
 */
import type { LatticeClusterInput } from "../../lib/api/mod.ts";

/** A complete, valid LatticeCluster as in the spec (aws, cell, flux, networking). */
export function validClusterDocument(): LatticeClusterInput {
  return {
    apiVersion: "lattice.dev/v1alpha1",
    kind: "LatticeCluster",
    metadata: { name: "us-prod-1", labels: { env: "prod", region: "us-west", tier: "1" } },
    spec: {
      provider: {
        kubernetes: {
          version: "1.31.0",
          bootstrap: "kubeadm",
          certSANs: ["us-prod-1.example.com"],
        },
        config: {
          aws: {
            region: "us-west-2",
            cpInstanceType: "t3.large",
            workerInstanceType: "t3.xlarge",
            cpRootVolumeSize: 100,
            workerRootVolumeSize: 200,
            sshKeyName: "lattice-key",
          },
        },
      },
      nodes: { controlPlane: 3, workers: 10 },
      networking: { default: { cidr: "172.18.255.1/32" } },
      cellRef: "us",
      cell: { enabled: true, host: "172.18.255.1", service: { type: "LoadBalancer" } },
      flux: { version: "2.2.0", interval: "5m", suspend: false },
    },
  };
}

/** The smallest valid LatticeCluster: docker, one control-plane node, no workers. */
export function minimalClusterDocument(name = "dev"): LatticeClusterInput {
  return {
    apiVersion: "lattice.dev/v1alpha1",
    kind: "LatticeCluster",
    metadata: { name },
    spec: {
      provider: { kubernetes: { version: "1.31.0" }, config: { docker: {} } },
      nodes: { controlPlane: 1, workers: 0 },
    },
  };
}

/** Deep copy of `doc` with `edit` applied to the copy. */
export function edited<T>(doc: T, edit: (copy: T) => void): T {
  const copy = structuredClone(doc);
  edit(copy);
  return copy;
}
