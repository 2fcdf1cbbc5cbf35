/**
 * What the join finds and leaves on the node and in the cluster: whether the cluster is
 * already joined (the agent Secret holds a valid certificate from the pinned CA), and the
 * key kept on disk while a join is in flight so an interrupted join can resume with it.
 */
import { AGENT_SECRET_KEYS, AGENT_SECRET_NAME, NAMESPACE } from "../bundle/mod.ts";
import { getOrUndefined } from "../kube/errors.ts";
import type { KubeClient } from "../kube/client.ts";
import type { KubeObject } from "../kube/types.ts";
import {
  certificateIdentity,
  certificateNotAfter,
  decodeBase64,
  importPrivateKeyPem,
  verifyCertificate,
} from "../pki/mod.ts";
import { SECRET_REF } from "../kube/refs.ts";

/** The cluster's current join, when there is a valid one. */
export interface ExistingJoin {
  cluster: string;
  notAfter: Date;
}

/**
 * Reads the agent Secret: undefined when absent or incomplete; throws when the cluster
 * was joined under another name (joining it again would give it two identities).
 */
export async function existingJoin(
  client: KubeClient,
  cluster: string,
  caPem: string,
): Promise<ExistingJoin | undefined> {
  const secret = await getOrUndefined(() =>
    client.get<KubeObject & { data?: Record<string, string> }>(
      SECRET_REF,
      AGENT_SECRET_NAME,
      NAMESPACE,
    )
  );
  if (!secret) return undefined;
  const crt = secret.data?.[AGENT_SECRET_KEYS.certificate];
  if (!crt || !secret.data?.[AGENT_SECRET_KEYS.privateKey]) return undefined;
  const certPem = decodeBase64(crt);
  const identity = certificateIdentity(certPem);
  if (identity !== cluster) {
    throw new Error(
      `Cannot join as ${cluster}: this cluster is already joined as ${identity} ` +
        `(Secret ${NAMESPACE}/${AGENT_SECRET_NAME})`,
    );
  }
  // A certificate from another CA or an expired one means the join must run again.
  if (!(await verifyCertificate(caPem, certPem))) return undefined;
  return { cluster, notAfter: certificateNotAfter(certPem) };
}

/** Reads a key kept by an interrupted join, if it is there and usable. */
export async function readKeptKey(path: string): Promise<string | undefined> {
  let pem: string;
  try {
    pem = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new Error(`Cannot read the kept join key ${path}`, { cause: error });
  }
  try {
    await importPrivateKeyPem(pem);
    return pem;
  } catch {
    return undefined;
  }
}

/** Keeps the key (mode 0600) until the join completes. */
export async function keepKey(path: string, pem: string): Promise<void> {
  const dir = path.slice(0, path.lastIndexOf("/"));
  if (dir) await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await Deno.writeTextFile(path, pem, { mode: 0o600 });
}

/** Removes the kept key once it is stored in the agent Secret. */
export async function forgetKey(path: string): Promise<void> {
  await Deno.remove(path).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
}
