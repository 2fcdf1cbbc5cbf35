/**
 * A cluster with the REAL Flux controllers (source- and kustomize-controller run by the
 * sandbox's Flux kubelet), a cluster repository whose `leaf/` folder the cluster's Flux
 * applies, a service repository (payments), both served by `git http-backend`, and the
 * placement controller running against the cluster.
 */
import { stringify } from "yaml";
import { KubeClient, type KubeObject } from "../../lib/kube/mod.ts";
import { FluxInstaller } from "../../lib/flux/mod.ts";
import { FluxKubelet } from "../../lib/sandbox/flux_kubelet.ts";
import { type GitServer, startGitServer } from "../../lib/sandbox/git_server.ts";
import { commitRepo, createServiceRepo, writeFiles } from "../../lib/sandbox/service_repo.ts";
import type { ControlPlane } from "../../lib/sandbox/mod.ts";
import {
  type InheritedRegistration,
  placementControllers,
  type Placements,
  registrationsHash,
  storeInherited,
} from "../../lib/controllers/placement/mod.ts";
import { Buffer } from "node:buffer";

/** The running environment. */
export interface PlacementEnv {
  client: KubeClient;
  server: GitServer;
  fleetDir: string;
  serviceUrl: string;
  commits: Record<string, string>;
  placements: Placements;
  /** Writes leaf/placements/<name>.yaml (or removes it with `undefined`) and commits. */
  place(name: string, spec: Record<string, unknown> | undefined): Promise<void>;
  /** Stores `set` as what the parent handed down. */
  inherit(set: InheritedRegistration[]): Promise<void>;
  stop(): Promise<void>;
}

const kustomization = (resources: string[]) =>
  stringify({ apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources });

/** Starts the environment on `plane`. */
export async function startPlacementEnv(plane: ControlPlane): Promise<PlacementEnv> {
  const client = KubeClient.fromKubeconfig(plane.kubeconfig);
  const root = await Deno.makeTempDir({ prefix: "lattice-placements-" });
  const fleetDir = `${root}/fleet`;
  const commits = await createServiceRepo(`${root}/payments`, "payments");
  await Deno.mkdir(fleetDir);
  await new Deno.Command("git", { args: ["-C", fleetDir, "init", "-q", "-b", "main"] }).output();
  await writeFiles(fleetDir, "leaf", { "kustomization.yaml": kustomization(["placements"]) });
  await writeFiles(fleetDir, "leaf/placements", { "kustomization.yaml": kustomization([]) });
  await commitRepo(fleetDir, "leaf");
  const server = await startGitServer({ projectRoot: root });
  const abort = new AbortController();
  const kubelet = new FluxKubelet(client, {
    cluster: "leaf",
    kubeconfigPath: plane.kubeconfigPath,
    dir: `${root}/flux`,
    pollMs: 500,
  });
  kubelet.start();
  for (const ns of ["lattice-system"]) {
    await client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  }
  await new FluxInstaller(client, { pollMs: 500 }).install({
    version: "2.9.3",
    repoUrl: `${server.url}/fleet`,
    branch: "main",
    path: "leaf",
    gitCredentials: Buffer.from(""),
    components: [],
    interval: "3s",
    suspend: false,
    force: false,
  });
  const placements = placementControllers(client, {
    selfName: "leaf",
    signal: abort.signal,
    render: { interval: "10s" },
  });
  const running = Promise.all(placements.controllers.map((c) => c.run(abort.signal)));
  const placed = new Set<string>();
  return {
    client,
    server,
    fleetDir,
    serviceUrl: `${server.url}/payments`,
    commits,
    placements,
    async place(name, spec) {
      const file = `${fleetDir}/leaf/placements/${name}.yaml`;
      if (spec) {
        placed.add(name);
        const doc: KubeObject = {
          apiVersion: "lattice.dev/v1alpha1",
          kind: "LatticeServicePlacement",
          metadata: { name },
          spec,
        };
        await Deno.writeTextFile(file, stringify(doc));
      } else {
        placed.delete(name);
        await Deno.remove(file);
      }
      await Deno.writeTextFile(
        `${fleetDir}/leaf/placements/kustomization.yaml`,
        kustomization([...placed].sort().map((n) => `${n}.yaml`)),
      );
      await commitRepo(fleetDir, `placements: ${name}`);
    },
    async inherit(set) {
      await storeInherited(client, set, registrationsHash(set));
    },
    async stop() {
      abort.abort();
      await running.catch(() => {});
      await kubelet.stop();
      await server.stop();
      client.close();
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
}
