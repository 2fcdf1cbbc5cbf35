/**
 * What a new control-plane node runs after kubeadm/RKE2 finish: fetch the lattice binary
 * from the parent cell over HTTPS with the cell's CA pinned, then `lattice join`.
 *
 * The one-time token reaches the node only as a file CAPI writes from a Secret
 * (`contentFrom.secret`); it never appears in any spec, command line or log.
 */
import type { BootstrapFile, BootstrapInfo } from "./types.ts";

/** Directory of Lattice's bootstrap files on a node. */
export const LATTICE_DIR = "/etc/lattice";
/** Path of the token file written from the bootstrap Secret. */
export const TOKEN_FILE = `${LATTICE_DIR}/token`;
/** Path of the pinned cell CA. */
export const CA_FILE = `${LATTICE_DIR}/ca.crt`;
/** Where the binary is installed. */
export const BINARY_PATH = "/usr/local/bin/lattice";

/** Where each bootstrap provider leaves the admin kubeconfig and kubectl on a control plane. */
export const NODE_TOOLS = {
  kubeadm: { kubeconfig: "/etc/kubernetes/admin.conf", kubectl: "kubectl" },
  rke2: { kubeconfig: "/etc/rancher/rke2/rke2.yaml", kubectl: "/var/lib/rancher/rke2/bin/kubectl" },
} as const;

/** Attempts of `lattice join` before the node gives up (the cell may still be starting). */
export const JOIN_ATTEMPTS = 5;

/** Quotes `value` for POSIX sh: nothing inside single quotes is expanded. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'"'"'`)}'`;
}

/** Files every control-plane node needs for the join: the pinned CA and the token. */
export function joinFiles(info: BootstrapInfo): BootstrapFile[] {
  return [
    { path: CA_FILE, owner: "root:root", permissions: "0644", content: info.caBundlePem },
    {
      path: TOKEN_FILE,
      owner: "root:root",
      permissions: "0600",
      contentFrom: {
        secret: { name: info.tokenSecretName, key: info.tokenSecretKey ?? "token" },
      },
    },
  ];
}

/** A shell condition, true when the cluster on this node has its own LatticeCluster. */
export function joinedCheck(
  clusterName: string,
  bootstrap: keyof typeof NODE_TOOLS = "kubeadm",
): string {
  const tools = NODE_TOOLS[bootstrap];
  return `${tools.kubectl} --kubeconfig ${tools.kubeconfig} get ` +
    `latticeclusters.lattice.dev ${shellQuote(clusterName)} >/dev/null 2>&1`;
}

/**
 * The shell command that downloads the binary and joins. Bounded retries: curl retries every
 * error 10 times within 10 minutes; join runs at most {@linkcode JOIN_ATTEMPTS} times with a
 * growing pause, then the command fails so the machine reports the error.
 *
 * It is skipped on a cluster that already has its own LatticeCluster: every control-plane
 * node runs these commands, including nodes that replace others long after the join (an
 * upgrade, a repair), when the parent may be gone — such a node must not depend on it. The
 * first node finds no LatticeCluster and joins; `lattice join` is idempotent besides.
 */
export function joinCommands(
  clusterName: string,
  info: BootstrapInfo,
  bootstrap: keyof typeof NODE_TOOLS = "kubeadm",
): string[] {
  const tools = NODE_TOOLS[bootstrap];
  const cell = info.cellUrl.replace(/\/+$/, "");
  const binary = info.binaryUrl !== undefined
    ? shellQuote(info.binaryUrl)
    : `${shellQuote(`${cell}/bootstrap/binary/linux/`)}"$(uname -m)"`;
  const download = [
    "curl --fail --silent --show-error --location --proto =https --tlsv1.2",
    `--cacert ${CA_FILE}`,
    "--connect-timeout 10 --max-time 300",
    "--retry 10 --retry-delay 5 --retry-max-time 600 --retry-all-errors",
    `--output ${BINARY_PATH}.download ${binary}`,
  ].join(" ");
  const join = [
    BINARY_PATH,
    "join",
    `--cell ${shellQuote(cell)}`,
    `--cluster ${shellQuote(clusterName)}`,
    `--token-file ${TOKEN_FILE}`,
    `--ca-file ${CA_FILE}`,
    `--kubeconfig ${tools.kubeconfig}`,
  ].join(" ");
  return [
    `if ${
      joinedCheck(clusterName, bootstrap)
    }; then echo "lattice: ${clusterName} has joined already; nothing to do"; ` +
    `else ${download} && ` +
    `install -m 0755 ${BINARY_PATH}.download ${BINARY_PATH} && rm -f ${BINARY_PATH}.download && ` +
    `n=0 && until ${join}; do n=$((n+1)); if [ "$n" -ge ${JOIN_ATTEMPTS} ]; then ` +
    `echo "lattice join failed ${JOIN_ATTEMPTS} times" >&2; exit 1; fi; sleep $((n*15)); done; fi`,
  ];
}
