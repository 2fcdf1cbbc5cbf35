/**
 * `lattice kubeconfig --cluster NAME [--via CELL_URL] [--output FILE]`: a kubeconfig whose
 * server is the cell's proxy path, so plain kubectl reaches a child through the agent stream.
 *
 * Credentials: `--token-file`, else the user of the current context of the source
 * kubeconfig (`--kubeconfig`, `$KUBECONFIG`, `~/.kube/config`) — the identity the cell
 * authenticates with a TokenReview.
 */
import { parse } from "yaml";
import { CliError, type Command, EXIT_USAGE } from "../command.ts";
import { proxyKubeconfig } from "../../proxy/kubeconfig.ts";

interface KubeconfigFile {
  "current-context"?: string;
  contexts?: { name: string; context?: { user?: string } }[];
  users?: { name: string; user?: Record<string, unknown> }[];
}

function sourcePath(
  explicit: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
) {
  if (explicit) return explicit;
  if (env.KUBECONFIG) return env.KUBECONFIG.split(":")[0];
  return env.HOME ? `${env.HOME}/.kube/config` : undefined;
}

async function currentUser(path: string): Promise<Record<string, unknown>> {
  let config: KubeconfigFile;
  try {
    config = parse(await Deno.readTextFile(path)) as KubeconfigFile;
  } catch (cause) {
    throw new CliError(`Cannot read credentials: ${path} is not a readable kubeconfig`, 1, {
      cause,
    });
  }
  const context = config.contexts?.find((c) => c.name === config["current-context"]);
  const user = config.users?.find((u) => u.name === context?.context?.user)?.user;
  if (!user) throw new CliError(`Cannot read credentials: ${path} has no current user`);
  return user;
}

async function readFile(path: string, what: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (cause) {
    throw new CliError(`Cannot read ${what}: ${path} is unreadable`, 1, { cause });
  }
}

/** The `kubeconfig` command. */
export const kubeconfigCommand: Command = {
  name: "kubeconfig",
  summary: "Write a kubeconfig that reaches a child cluster through the cell's proxy",
  usage: "lattice kubeconfig --cluster NAME[/NAME...] [--via CELL_URL] [--output FILE]",
  description: "The server is CELL_URL/clusters/NAME (a/b goes through cell a to its child b).\n" +
    "CELL_URL defaults to $LATTICE_CELL_URL.",
  options: {
    cluster: { type: "string" },
    via: { type: "string" },
    output: { type: "string", short: "o" },
    "token-file": { type: "string" },
    "ca-file": { type: "string" },
    kubeconfig: { type: "string" },
  },
  optionHelp: {
    cluster: "Name of the cluster to reach; a/b for a child of child a",
    via: "URL of the cell whose proxy to use",
    output: "Where to write the kubeconfig (stdout when omitted)",
    "token-file": "File holding the bearer token to use on the cell",
    "ca-file": "CA bundle that signed the cell's serving certificate",
    kubeconfig: "Kubeconfig whose current user is copied when no token is given",
  },
  async run(args, ctx) {
    const v = args.values as Record<string, string | undefined>;
    if (!v.cluster) {
      throw new CliError("Cannot write kubeconfig: --cluster is required", EXIT_USAGE);
    }
    const via = v.via ?? ctx.env.LATTICE_CELL_URL;
    if (!via) {
      throw new CliError(
        "Cannot write kubeconfig: --via CELL_URL (or LATTICE_CELL_URL) is required",
        EXIT_USAGE,
      );
    }
    const clusters = v.cluster.split("/");
    let token: string | undefined;
    let user: Record<string, unknown> | undefined;
    if (v["token-file"]) token = (await readFile(v["token-file"], "token")).trim();
    else {
      const path = sourcePath(v.kubeconfig, ctx.env);
      if (!path) throw new CliError("Cannot read credentials: give --token-file or --kubeconfig");
      user = await currentUser(path);
    }
    const caPem = v["ca-file"] ? await readFile(v["ca-file"], "CA bundle") : undefined;
    let text: string;
    try {
      text = proxyKubeconfig({ cellUrl: via, clusters, token, user, caPem });
    } catch (cause) {
      throw new CliError((cause as Error).message, EXIT_USAGE, { cause });
    }
    if (!v.output) {
      ctx.stdout(text.trimEnd());
      return 0;
    }
    // It holds a credential: readable by its owner only.
    await Deno.writeTextFile(v.output, text, { mode: 0o600 });
    // `mode` applies only when the file is created; an existing file is narrowed too.
    await Deno.chmod(v.output, 0o600);
    ctx.stderr(
      `Wrote ${v.output} (server ${via.replace(/\/+$/, "")}/clusters/${
        clusters.join("/clusters/")
      })`,
    );
    return 0;
  },
};
