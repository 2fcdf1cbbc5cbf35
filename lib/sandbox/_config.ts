/** Command lines of a plane's servers and its admin kubeconfig. */
import { stringify } from "yaml";
import type { PlaneCerts } from "./_certs.ts";

/** Inputs of {@link etcdArgs}. */
export interface EtcdArgsInput {
  dir: string;
  etcdPort: number;
  peerPort: number;
}

/** etcd flags: a single member on loopback ports, tuned for throw-away data. */
export function etcdArgs({ dir, etcdPort, peerPort }: EtcdArgsInput): string[] {
  const client = `http://127.0.0.1:${etcdPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return [
    `--data-dir=${dir}/etcd`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    // An explicit peer port: etcd's default 2380 would collide between planes.
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=default=${peer}`,
    // The data dies with the plane, so durability buys nothing and fsync costs start time.
    "--unsafe-no-fsync=true",
    "--log-level=warn",
  ];
}

/** Inputs of {@link apiServerArgs}. */
export interface ApiServerArgsInput {
  dir: string;
  etcdEndpoint: string;
  apiPort: number;
  files: { ca: string; servingCert: string; servingKey: string; saKey: string; saPub: string };
  watchCache: boolean;
}

/** kube-apiserver flags: RBAC, client-certificate auth, service-account tokens. */
export function apiServerArgs(input: ApiServerArgsInput): string[] {
  const { dir, etcdEndpoint, apiPort, files } = input;
  return [
    `--etcd-servers=${etcdEndpoint}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    `--secure-port=${apiPort}`,
    // Unused with explicit certificate files, but keeps the default /var/run path out.
    `--cert-dir=${dir}/pki`,
    `--tls-cert-file=${files.servingCert}`,
    `--tls-private-key-file=${files.servingKey}`,
    `--client-ca-file=${files.ca}`,
    "--authorization-mode=RBAC",
    "--service-account-issuer=https://kubernetes.default.svc",
    `--service-account-key-file=${files.saPub}`,
    `--service-account-signing-key-file=${files.saKey}`,
    "--service-cluster-ip-range=10.0.0.0/24",
    "--allow-privileged=true",
    // No kube-controller-manager runs, so no namespace ever gets its "default"
    // ServiceAccount; the admission plugin would then refuse every pod.
    "--disable-admission-plugins=ServiceAccount",
    // The endpoint reconciler would publish 127.0.0.1 as the kubernetes service's
    // endpoint, which validation rejects (loopback), logging an error every few seconds.
    "--endpoint-reconciler-type=none",
    "--profiling=false",
    `--watch-cache=${input.watchCache}`,
  ];
}

/** The admin kubeconfig, credentials embedded so the file stands alone. */
export function renderKubeconfig(name: string, server: string, certs: PlaneCerts): string {
  const b64 = (pem: string) => btoa(pem);
  const user = `${name}-admin`;
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name,
      cluster: { server, "certificate-authority-data": b64(certs.caCertPem) },
    }],
    users: [{
      name: user,
      user: {
        "client-certificate-data": b64(certs.adminCertPem),
        "client-key-data": b64(certs.adminKeyPem),
      },
    }],
    contexts: [{ name, context: { cluster: name, user } }],
    "current-context": name,
    preferences: {},
  }, { lineWidth: 0 });
}
