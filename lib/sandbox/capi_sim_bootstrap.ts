/**
 * Runs a control plane's post-bootstrap commands on the simulated first machine: reads the
 * files (resolving `contentFrom.secret` like CAPI's bootstrap provider) and the commands
 * from a KubeadmControlPlane or RKE2ControlPlane.
 */
import type { KubeClient, KubeObject } from "../kube/mod.ts";
import type { Logger } from "../log/mod.ts";
import { resolveBinaries } from "./binaries.ts";
import type { ControlPlane } from "./control_plane.ts";
import {
  type MachineFile,
  type PostBootstrapResult,
  runPostBootstrap,
} from "./capi_sim_machine.ts";

type Spec = Record<string, unknown>;

interface FileSpec {
  path: string;
  permissions?: string;
  content?: string;
  contentFrom?: { secret?: { name: string; key: string } };
}

/** Options for {@linkcode bootstrapMachine}. */
export interface BootstrapMachineOptions {
  /** Client of the plane holding the CAPI objects (and the token Secret). */
  management: KubeClient;
  /** The KubeadmControlPlane / RKE2ControlPlane. */
  controlPlane: KubeObject;
  namespace: string;
  /** The cluster's own plane. */
  plane: ControlPlane;
  logger: Logger;
  env?: Record<string, string>;
}

/** Where the files and commands are in each control-plane kind's spec. */
export function bootstrapSpec(controlPlane: KubeObject): { files: FileSpec[]; commands: string[] } {
  const spec = (controlPlane.spec ?? {}) as Spec;
  if (controlPlane.kind === "RKE2ControlPlane") {
    const agent = spec as { files?: FileSpec[]; postRKE2Commands?: string[] };
    return { files: agent.files ?? [], commands: agent.postRKE2Commands ?? [] };
  }
  const config = (spec.kubeadmConfigSpec ?? {}) as {
    files?: FileSpec[];
    postKubeadmCommands?: string[];
  };
  return { files: config.files ?? [], commands: config.postKubeadmCommands ?? [] };
}

/** Writes the files and runs the commands on a simulated machine inside the plane's dir. */
export async function bootstrapMachine(
  options: BootstrapMachineOptions,
): Promise<PostBootstrapResult> {
  const { files, commands } = bootstrapSpec(options.controlPlane);
  const secretRef = await options.management.resourceFor("v1", "Secret");
  const resolved: MachineFile[] = [];
  for (const file of files) {
    let content = file.content ?? "";
    const from = file.contentFrom?.secret;
    if (from) {
      const secret = await options.management.get<{ data?: Record<string, string> }>(
        secretRef,
        from.name,
        options.namespace,
      );
      const value = secret.data?.[from.key];
      if (value === undefined) {
        throw new Error(`Cannot write ${file.path}: Secret ${from.name} has no key ${from.key}`);
      }
      content = new TextDecoder().decode(Uint8Array.from(atob(value), (c) => c.charCodeAt(0)));
    }
    resolved.push({ path: file.path, content, permissions: file.permissions });
  }
  return await runPostBootstrap({
    root: `${options.plane.dir}/machine-0`,
    files: resolved,
    commands,
    adminKubeconfig: options.plane.kubeconfig,
    logger: options.logger,
    env: options.env,
    kubectl: (await resolveBinaries()).kubectl,
  });
}
