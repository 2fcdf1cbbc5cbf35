/**
 * A simulated control-plane machine: runs a control plane's post-bootstrap commands the way
 * kubeadm/cloud-init would on a real node, so the real `lattice join` talks to the real
 * bootstrap webhook. The "machine" is a folder: absolute paths the commands use
 * (/etc/lattice, /etc/kubernetes, /usr/local/bin) are mapped into it.
 */
import { NODE_TOOLS } from "../capi/join.ts";
import type { Logger } from "../log/mod.ts";

/** A file CAPI writes on the machine before bootstrap. */
export interface MachineFile {
  path: string;
  content: string;
  permissions?: string;
}

/** Options for {@linkcode runPostBootstrap}. */
export interface PostBootstrapOptions {
  /** Folder playing the machine's root file system. */
  root: string;
  /** Files written before the commands run (kubeadm's `files`). */
  files: MachineFile[];
  /** The commands (postKubeadmCommands / postRKE2Commands), run in order by `sh -c`. */
  commands: string[];
  /** The admin kubeconfig kubeadm leaves at /etc/kubernetes/admin.conf. */
  adminKubeconfig: string;
  logger: Logger;
  /** Per-command timeout; default 10 min (the join has its own bounded retries). */
  timeoutMs?: number;
  /** Extra environment for the commands. */
  env?: Record<string, string>;
  /** A kubectl for the machine (kubeadm and RKE2 nodes carry one); none when omitted. */
  kubectl?: string;
}

/** Absolute paths of a node that the simulated machine maps into its root folder. */
export const MAPPED_PREFIXES = [
  "/etc/lattice",
  "/etc/kubernetes",
  "/etc/rancher",
  "/usr/local/bin",
  "/var/lib/lattice",
  "/var/lib/rancher",
] as const;

/** Rewrites the mapped absolute paths in `text` to live under `root`. */
export function mapPaths(text: string, root: string): string {
  let out = text;
  for (const prefix of MAPPED_PREFIXES) {
    out = out.replace(new RegExp(`(^|[\\s'"=])${prefix}(?=[/\\s'"]|$)`, "g"), `$1${root}${prefix}`);
  }
  return out;
}

/** The outcome of the commands: the log of everything they printed. */
export interface PostBootstrapResult {
  ok: boolean;
  /** Index of the failed command, when one failed. */
  failedCommand?: number;
  log: string;
}

/** Writes the files, then runs the commands one by one; stops at the first failure. */
export async function runPostBootstrap(
  options: PostBootstrapOptions,
): Promise<PostBootstrapResult> {
  const { root } = options;
  for (const prefix of MAPPED_PREFIXES) await Deno.mkdir(`${root}${prefix}`, { recursive: true });
  // Where kubeadm and RKE2 leave the admin kubeconfig and kubectl.
  for (const path of [NODE_TOOLS.kubeadm.kubeconfig, NODE_TOOLS.rke2.kubeconfig]) {
    await Deno.mkdir(`${root}${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
    await Deno.writeTextFile(`${root}${path}`, options.adminKubeconfig, { mode: 0o600 });
  }
  if (options.kubectl) {
    for (const path of ["/usr/local/bin/kubectl", NODE_TOOLS.rke2.kubectl]) {
      await Deno.mkdir(`${root}${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
      await Deno.symlink(options.kubectl, `${root}${path}`).catch((error) => {
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      });
    }
  }
  for (const file of options.files) {
    const path = mapPaths(file.path, root);
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    const mode = file.permissions ? parseInt(file.permissions, 8) : 0o644;
    await Deno.writeTextFile(path, file.content, { mode });
  }
  let log = "";
  for (const [i, command] of options.commands.entries()) {
    const mapped = mapPaths(command, root);
    options.logger.info("Running post-bootstrap command (simulated machine)", { index: i });
    const child = new Deno.Command("sh", {
      args: ["-c", mapped],
      cwd: root,
      env: {
        ...options.env,
        PATH: `${root}/usr/local/bin:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
        KUBECONFIG: `${root}/etc/kubernetes/admin.conf`,
        LATTICE_STATE_DIR: `${root}/var/lib/lattice`,
      },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(options.timeoutMs ?? 600_000),
    });
    const out = await child.output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    log += `$ ${command}\n${text}`;
    if (!out.success) {
      await Deno.writeTextFile(`${root}/cloud-init-output.log`, log);
      return { ok: false, failedCommand: i, log };
    }
  }
  await Deno.writeTextFile(`${root}/cloud-init-output.log`, log);
  return { ok: true, log };
}
