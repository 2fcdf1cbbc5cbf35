/**
 * `lattice join`: run once by kubeadm on a new control-plane node. Registers with the
 * parent cell and installs Lattice into the local cluster; safe to run again.
 */
import { JOIN_FIELD_MANAGER } from "../../bundle/mod.ts";
import { RegisterError } from "../../join/register.ts";
import { joinCluster } from "../../join/join.ts";
import { KubeClient } from "../../kube/client.ts";
import { createLogger, type Level } from "../../log/mod.ts";
import { type CliContext, CliError, type Command, stringOption } from "../command.ts";

/** Kubeconfig of a kubeadm control-plane node, used when --kubeconfig and KUBECONFIG are unset. */
export const DEFAULT_KUBECONFIG = "/etc/kubernetes/admin.conf";
/** Directory where an in-flight join keeps its key. */
export const DEFAULT_STATE_DIR = "/var/lib/lattice";

async function readFile(path: string, what: string, flag: string): Promise<string> {
  try {
    const text = (await Deno.readTextFile(path)).trim();
    if (!text) throw new Error("empty");
    return text;
  } catch (error) {
    throw new CliError(
      `Cannot read the ${what} from ${path}: ${(error as Error).message}.\n` +
        `What to do: check the path given to --${flag} (kubeadm writes it from the bootstrap Secret).`,
      1,
      { cause: error },
    );
  }
}

/** The failure text the person (or kubeadm's log) reads: what happened, then what to do. */
export function explainJoinFailure(error: unknown, cellUrl: string): string {
  const message = (error as Error).message ?? String(error);
  if (error instanceof RegisterError) {
    if (error.status === 401) {
      return `${message}\nWhat to do: ask the parent cell for a new bootstrap token for this ` +
        "cluster (an unused token is reissued when it expires), write it to --token-file and re-run.";
    }
    if (error.status === 0) {
      return `${message}\nWhat to do: check that ${cellUrl} is reachable from this node ` +
        "(DNS, outbound HTTPS, proxy) and that --ca-file is the cell's CA, then re-run.";
    }
    if (error.status === 400 || error.status === 413) {
      return `${message}\nWhat to do: check --cluster matches the LatticeCluster name on the cell.`;
    }
    if (error.status === 502) {
      return `${message}\nWhat to do: the answer did not come from the cell whose CA is ` +
        "pinned; check --cell and --ca-file.";
    }
    return `${message}\nWhat to do: the cell is not ready or overloaded; re-run later.`;
  }
  if (message.includes("does not serve")) {
    return `${message}\nWhat to do: install the API this object needs first (for Cilium ` +
      "LB-IPAM objects: Cilium with its CRDs; or remove spec.networking), then re-run.";
  }
  if (message.startsWith("Cannot join as")) {
    return `${message}\nWhat to do: this cluster already has an identity; do not join it twice.`;
  }
  return `${message}\nWhat to do: check the local API server (--kubeconfig) and re-run ` +
    "lattice join; it resumes where it stopped.";
}

/** The `join` command. */
export const joinCommand: Command = {
  name: "join",
  summary: "Register a new cluster with its parent cell (run by kubeadm, once)",
  usage: "lattice join --cell URL --cluster NAME --token-file F --ca-file F [--kubeconfig P]",
  description: "Generates this cluster's key pair and CSR locally, registers with the cell " +
    "(its CA pinned), and applies the returned bundle with server-side apply. Running it " +
    "again on a joined cluster changes nothing.",
  options: {
    cell: { type: "string" },
    cluster: { type: "string" },
    "token-file": { type: "string" },
    "ca-file": { type: "string" },
    kubeconfig: { type: "string" },
    "state-dir": { type: "string" },
    "log-level": { type: "string" },
  },
  optionHelp: {
    cell: "HTTPS URL of the parent cell's bootstrap webhook",
    cluster: "Name of this cluster",
    "token-file": "File holding the one-time bootstrap token",
    "ca-file": "CA bundle of the parent cell (pinned)",
    kubeconfig: `Kubeconfig of the local API server (default $KUBECONFIG or ${DEFAULT_KUBECONFIG})`,
    "state-dir":
      `Where an in-flight join keeps its key (default $LATTICE_STATE_DIR or ${DEFAULT_STATE_DIR})`,
    "log-level": "debug, info, warn or error (default info)",
  },
  async run(args, ctx: CliContext) {
    const cellUrl = stringOption(args, "cell", true);
    const cluster = stringOption(args, "cluster", true);
    if (!/^https:\/\//.test(cellUrl)) {
      throw new CliError(`--cell must be an https:// URL, got ${cellUrl}`, 2);
    }
    const token = await readFile(
      stringOption(args, "token-file", true),
      "bootstrap token",
      "token-file",
    );
    const caPem = await readFile(stringOption(args, "ca-file", true), "cell CA", "ca-file");
    const kubeconfig = stringOption(args, "kubeconfig") ?? ctx.env.KUBECONFIG ?? DEFAULT_KUBECONFIG;
    const stateDir = stringOption(args, "state-dir") ?? ctx.env.LATTICE_STATE_DIR ??
      DEFAULT_STATE_DIR;
    const logger = createLogger({
      level: (stringOption(args, "log-level") ?? ctx.env.LATTICE_LOG ?? "info") as Level,
      format: "text",
      sink: ctx.stderr,
    });
    let client: KubeClient;
    try {
      client = await KubeClient.fromKubeconfigFile(kubeconfig, {
        fieldManager: JOIN_FIELD_MANAGER,
      });
    } catch (error) {
      throw new CliError(
        `${
          (error as Error).message
        }\nWhat to do: pass --kubeconfig with the local cluster's admin kubeconfig.`,
        1,
        { cause: error },
      );
    }
    try {
      const result = await joinCluster(client, {
        cellUrl,
        cluster,
        token,
        caPem,
        keyFile: `${stateDir}/join-${cluster}.key`,
        logger,
      });
      const until = result.certificateNotAfter.toISOString();
      ctx.stdout(
        result.outcome === "already-joined"
          ? `Cluster ${cluster} is already joined (agent certificate valid until ${until}); nothing to do.`
          : `Joined cluster ${cluster} to ${cellUrl}: applied ${result.applied} objects; ` +
            `agent certificate valid until ${until}.`,
      );
      return 0;
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(`lattice join failed: ${explainJoinFailure(error, cellUrl)}`, 1, {
        cause: error,
      });
    } finally {
      client.close();
    }
  },
};
