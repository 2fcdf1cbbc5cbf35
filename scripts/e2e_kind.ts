/**
 * `deno task e2e`: the end-to-end flow against kind and REAL Cluster API with its Docker
 * provider (CAPD), for machines with a Docker engine. The same promise as
 * tests/e2e/fleet_test.ts, with real machines instead of the CAPI simulator:
 *
 * 1. build the Lattice image (or take --image) and check docker, kind, clusterctl, kubectl;
 * 2. `lattice install` of examples/kind-root.yaml with Calico as the fleet's CNI: kind
 *    bootstrap cluster, clusterctl init, Lattice as bootstrap cell, root provisioned by CAPD;
 *    its join applies Calico, a Job installs Cluster API, it is pivoted onto itself, and the
 *    kind cluster is deleted;
 * 3. root provisions examples/kind-workload.yaml the same way (Calico handed on by root);
 * 4. workload scales its own workers 2 → 3 through its own Cluster API;
 * 5. kubectl reaches workload through root's API proxy;
 * 6. root upgrades its own Kubernetes 1.33.1 → 1.34.0 through its own Cluster API;
 * 7. everything is deleted (unless --keep).
 *
 * It prints a timeline of the phases. It has never run on the machines this project is
 * developed on (no Docker engine there); docs/testing.md says so.
 */
import { parseArgs } from "node:util";
import { parseClusters } from "../lib/api/mod.ts";
import { install } from "../lib/install/install.ts";
import {
  DEFAULT_KIND_NAME,
  DOCKER_DEFAULT_CNI,
  keepLoadingImage,
  KindBootstrap,
  removeImageArchives,
} from "../lib/install/kind.ts";
import { E2E_PREREQUISITES, missingPrerequisites } from "../lib/install/prerequisites.ts";
import { provisionCluster } from "../lib/install/provision.ts";
import { AGENT_SECRET_KEYS } from "../lib/bundle/names.ts";
import { PhaseTracker, timeline } from "../lib/sandbox/sandbox_progress.ts";
import { runTool } from "../lib/tools/run.ts";
import { kubectlThroughProxy, scaleWorkers, upgradeKubernetes } from "../tests/e2e/_flow.ts";
import { read } from "../tests/e2e/_fleet.ts";
import { KubeClient } from "../lib/kube/mod.ts";
import { LATTICE_CLUSTER_REF } from "../lib/api/refs.ts";

/** The version root upgrades to (a kindest/node image must exist for it). */
export const UPGRADE_TO = "1.34.0";
/** Label CAPD and kind put on every node container of a cluster. */
const KIND_CLUSTER_LABEL = "io.x-k8s.kind.cluster";

const MINUTE = 60_000;
const ROOT = new URL("../", import.meta.url).pathname;

async function example(file: string) {
  const path = `${ROOT}examples/${file}`;
  return parseClusters(await Deno.readTextFile(path), path)[0];
}

/** The IP of a Docker container on the kind network (the host reaches it directly). */
async function containerIp(name: string): Promise<string> {
  const out = await runTool("docker", [
    "inspect",
    "--format",
    '{{with index .NetworkSettings.Networks "kind"}}{{.IPAddress}}{{end}}',
    name,
  ]);
  return out.stdout.trim();
}

/** Removes every container of the clusters `names` (root and workload live on after kind). */
async function removeClusters(names: string[]): Promise<void> {
  for (const name of names) {
    const ids = (await runTool("docker", [
      "ps",
      "-aq",
      "--filter",
      `label=${KIND_CLUSTER_LABEL}=${name}`,
    ])).stdout.split("\n").filter(Boolean);
    if (ids.length > 0) await runTool("docker", ["rm", "-f", "-v", ...ids]);
  }
  await runTool("kind", ["delete", "cluster", "--name", DEFAULT_KIND_NAME], { allowFailure: true });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      image: { type: "string" },
      keep: { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(
      "deno task e2e [--image IMAGE] [--keep]\n\n" +
        "Runs the end-to-end flow on kind + Cluster API's Docker provider.\n" +
        "  --image  Lattice image to use instead of building one from this checkout\n" +
        "  --keep   Leave the clusters running at the end",
    );
    return 0;
  }
  const missing = await missingPrerequisites(E2E_PREREQUISITES);
  if (missing.length > 0) {
    console.error("Cannot run the kind end-to-end test; missing prerequisites:");
    for (const m of missing) console.error(`  - ${m}`);
    console.error("The local end-to-end test (deno task test) needs none of these.");
    return 1;
  }
  const started = performance.now();
  const marks: [string, number][] = [];
  const mark = (what: string) => marks.push([what, performance.now() - started]);
  const print = (line: string) => console.log(line);
  const dir = await Deno.makeTempDir({ prefix: "lattice-e2e-kind-" });
  const root = await example("kind-root.yaml");
  const workload = await example("kind-workload.yaml");
  const tracker = new PhaseTracker();
  let ok = false;
  try {
    let image = values.image;
    if (!image) {
      image = `lattice:e2e-${Date.now()}`;
      print(`Building ${image} from ${ROOT}`);
      await runTool("docker", ["build", "-t", image, "."], { cwd: ROOT });
      mark("image built");
    }
    const prepare = { image, loadImage: true, cniManifest: DOCKER_DEFAULT_CNI, workDir: dir };

    const installed = await install({
      root,
      backend: new KindBootstrap(root, prepare),
      kubeconfigOut: `${dir}/root.kubeconfig`,
      timeoutMs: 45 * MINUTE,
      print,
    });
    mark("root installed, bootstrap deleted");

    print(`Applying LatticeCluster workload to root`);
    // The image exists only in this Docker engine; CNI and Cluster API come with the join.
    let loader: { stop(): Promise<void> } | undefined;
    const workloadKubeconfig = await provisionCluster({
      parentKubeconfig: installed.kubeconfig,
      cluster: workload,
      prepare: () => {
        loader = keepLoadingImage(image, workload.metadata.name, print);
        return Promise.resolve();
      },
      kubeconfigOut: `${dir}/workload.kubeconfig`,
      timeoutMs: 45 * MINUTE,
      tracker,
      print,
    }).finally(() => loader?.stop().then(removeImageArchives));
    mark("workload Ready (pivoted)");

    print("workload scales its own workers 2 → 3");
    // Git (root's copy) says so too: while root is connected its copy wins over an edit made
    // on the child alone (docs/adr/gitops-after-pivot.md).
    const rootClient = KubeClient.fromKubeconfig(installed.kubeconfig);
    try {
      await rootClient.patch(LATTICE_CLUSTER_REF, "workload", { spec: { nodes: { workers: 3 } } });
    } finally {
      rootClient.close();
    }
    await scaleWorkers(workloadKubeconfig, "workload", 3, 20 * MINUTE);
    mark("workload scaled");

    // The cell's host (root's node name) comes from the endpoint the workload's agent
    // dials; this machine reaches the node by IP and checks the certificate by name.
    const secret = await read(
      workloadKubeconfig,
      { group: "", version: "v1", plural: "secrets", kind: "Secret", namespaced: true },
      "lattice-agent",
      "lattice-system",
    ) as { data?: Record<string, string> } | undefined;
    const endpoint = atob(secret?.data?.[AGENT_SECRET_KEYS.endpoint] ?? "");
    const host = endpoint.replace(/:\d+$/, "");
    if (!host) throw new Error("Cannot find root's cell endpoint in workload's agent Secret");
    const https = root.spec.cell?.ports?.https ?? 8443;
    print(`kubectl reaches workload through root's proxy (${host}:${https})`);
    const nodes = await kubectlThroughProxy({
      cellKubeconfig: installed.kubeconfig,
      cellName: "root",
      cellUrl: `https://${await containerIp(host)}:${https}`,
      tlsServerName: host,
      clusterKubeconfig: workloadKubeconfig,
      cluster: "workload",
      dir,
      kubectl: (path, args) =>
        runTool("kubectl", ["--kubeconfig", path, ...args], { allowFailure: true }),
      timeoutMs: 5 * MINUTE,
    });
    if (nodes !== 4) throw new Error(`Expected 4 nodes through the proxy, saw ${nodes}`);
    mark("proxied kubectl");

    print(`root upgrades its own Kubernetes to ${UPGRADE_TO}`);
    await upgradeKubernetes(installed.kubeconfig, "root", UPGRADE_TO, 30 * MINUTE);
    mark("root upgraded");

    print("\nTimeline:");
    for (const line of [...installed.timeline, ...timeline(tracker.history, tracker.elapsedMs())]) {
      print(`  ${line}`);
    }
    ok = true;
  } catch (error) {
    console.error(`\nkind end-to-end run failed: ${(error as Error).message}`);
    console.error(`Kubeconfigs and logs: ${dir}`);
  } finally {
    for (const [what, ms] of marks) print(`  ${what.padEnd(36)} +${(ms / 1000).toFixed(0)}s`);
    if (values.keep) {
      print(`Clusters kept; kubeconfigs in ${dir}`);
    } else {
      await removeClusters([workload.metadata.name, root.metadata.name]).catch((error) =>
        console.error(`Cannot remove every cluster: ${(error as Error).message}`)
      );
    }
  }
  return ok ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
