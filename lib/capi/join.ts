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

/**
 * Shell commands that download the binary and join. Bounded retries: curl retries every
 * error 10 times within 10 minutes; join runs at most {@linkcode JOIN_ATTEMPTS} times with
 * a growing pause, then the command fails so the machine reports the error.
 *
 * `lattice join` must be idempotent: every control-plane node runs these commands, and
 * only the first join to reach the cell consumes the token; later nodes find the cluster
 * already joined and exit 0.
 */
export function joinCommands(clusterName: string, info: BootstrapInfo): string[] {
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
  ].join(" ");
  return [
    download,
    `install -m 0755 ${BINARY_PATH}.download ${BINARY_PATH} && rm -f ${BINARY_PATH}.download`,
    `n=0; until ${join}; do n=$((n+1)); if [ "$n" -ge ${JOIN_ATTEMPTS} ]; then ` +
    `echo "lattice join failed ${JOIN_ATTEMPTS} times" >&2; exit 1; fi; sleep $((n*15)); done`,
  ];
}
