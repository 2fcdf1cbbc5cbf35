/**
 * A real Kubernetes control plane (etcd + kube-apiserver, no Docker) on free loopback ports:
 * what the integration tests and `lattice sandbox` run clusters on.
 */
import { type Binaries, resolveBinaries } from "./binaries.ts";
import { generatePlaneCerts } from "./_certs.ts";
import { freePorts } from "./_ports.ts";
import { markOwner, sweepStaleDirs } from "./_sweep.ts";
import { logTail, startSupervised, type Supervised } from "./_process.ts";
import { compact, type Failure, waitReady } from "./_health.ts";
import { copyTree, type EtcdTemplate, etcdTemplate, type TemplateBuilder } from "./_template.ts";
import { installCrds, type InstallCrdsOptions, waitCrdsReady } from "./crds.ts";
import { kubectl } from "./kubectl.ts";
import { apiServerArgs, etcdArgs, renderKubeconfig } from "./_config.ts";

/** A running control plane. */
export interface ControlPlane {
  /** Name used in the kubeconfig's cluster/context and in messages. */
  name: string;
  /** https://localhost:PORT; the serving cert is valid for localhost and 127.0.0.1. */
  server: string;
  /** Admin kubeconfig file (client certificate in system:masters). */
  kubeconfigPath: string;
  /** The same kubeconfig, as YAML text. */
  kubeconfig: string;
  /** The cluster CA (PEM). */
  caCertPem: string;
  /** The admin client certificate (PEM), for HTTP clients that take PEM directly. */
  clientCertPem: string;
  /** The admin client key (PKCS#8 PEM). */
  clientKeyPem: string;
  /** http://127.0.0.1:PORT */
  etcdEndpoint: string;
  /** Temp dir holding certificates, etcd data and logs; removed by stop(). */
  dir: string;
  /** Process ids of the live servers (etcd, kube-apiserver). */
  pids(): number[];
  /** Kills kube-apiserver and starts it again on the same etcd and port; waits for /readyz. */
  restartApiServer(): Promise<void>;
  /**
   * Compacts etcd to its current revision, so older resource versions answer 410 Gone from
   * anything served by etcd (with `watchCache: false`, watches too; with the watch cache
   * on, watches from recent versions are still answered from the cache).
   */
  compactEtcd(): Promise<void>;
  /** Kills every process and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startControlPlane}. */
export interface ControlPlaneOptions {
  /** Plane name (default `plane-N`). */
  name?: string;
  /** Binaries to run (default: {@link resolveBinaries}). */
  binaries?: Binaries;
  /** How long to wait for /readyz (default 90 s; a busy 2-core machine needs headroom). */
  startTimeoutMs?: number;
  /**
   * kube-apiserver's watch cache (default on). Off, watches are served by etcd itself, so
   * after {@link ControlPlane.compactEtcd} a watch from an old resourceVersion gets 410 —
   * what watcher tests of the relist path need.
   */
  watchCache?: boolean;
  /** Extra kube-apiserver flags, e.g. `["--v=4"]`. */
  apiServerArgs?: string[];
  /** Parent of the plane's temp dir (default: the system temp dir). */
  tempRoot?: string;
  /**
   * CRDs that are Established before the plane is returned. The plane's etcd is seeded
   * from a template in which they are already installed (built on first use with
   * {@link installCrds}, then cached in the temp root per CRD set and binaries), which
   * takes milliseconds instead of the seconds `installCrds` costs on every plane.
   */
  crds?: InstallCrdsOptions;
}

let planeCount = 0;
const START_ATTEMPTS = 3;

/**
 * Starts etcd and kube-apiserver with RBAC, a service-account signing key, a serving
 * certificate for localhost and an admin credential, and waits until /readyz answers ok.
 * On failure, the error names the process that failed and shows the tail of its log.
 */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const name = options.name ?? `plane-${++planeCount}`;
  const binaries = options.binaries ?? await resolveBinaries();
  const timeoutMs = options.startTimeoutMs ?? 90_000;
  const dir = await Deno.makeTempDir({ dir: options.tempRoot, prefix: `lattice-${name}-` });
  try {
    await markOwner(dir);
    const tempRoot = dir.slice(0, dir.lastIndexOf("/"));
    await sweepStaleDirs(tempRoot);
    const template = options.crds
      ? await etcdTemplate(tempRoot, options.crds, {
        binaries,
        builder: templateBuilder({ ...options, binaries, name: `${name}-template` }),
      })
      : undefined;
    const certs = await generatePlaneCerts();
    const pki = `${dir}/pki`;
    await Deno.mkdir(pki);
    const files = {
      ca: `${pki}/ca.crt`,
      servingCert: `${pki}/apiserver.crt`,
      servingKey: `${pki}/apiserver.key`,
      saKey: `${pki}/sa.key`,
      saPub: `${pki}/sa.pub`,
    };
    await Promise.all([
      Deno.writeTextFile(files.ca, certs.caCertPem),
      Deno.writeTextFile(files.servingCert, certs.servingCertPem),
      Deno.writeTextFile(files.servingKey, certs.servingKeyPem, { mode: 0o600 }),
      Deno.writeTextFile(files.saKey, certs.serviceAccountKeyPem, { mode: 0o600 }),
      Deno.writeTextFile(files.saPub, certs.serviceAccountPublicPem),
    ]);
    const client = Deno.createHttpClient({
      caCerts: [certs.caCertPem],
      cert: certs.adminCertPem,
      key: certs.adminKeyPem,
    });
    try {
      for (let attempt = 1;; attempt++) {
        const [etcdPort, peerPort, apiPort] = freePorts(3);
        const etcdEndpoint = `http://127.0.0.1:${etcdPort}`;
        const server = `https://localhost:${apiPort}`;
        const etcdCmd = [binaries.etcd, ...etcdArgs({ dir, etcdPort, peerPort })];
        const apiCmd = [
          binaries.kubeApiserver,
          ...apiServerArgs({
            dir,
            etcdEndpoint,
            apiPort,
            files,
            watchCache: options.watchCache ?? true,
          }),
          ...(options.apiServerArgs ?? []),
        ];
        if (template) await copyTree(`${template.dir}/member`, `${dir}/etcd/member`);
        // Both start at once: kube-apiserver retries etcd until it answers, which is
        // quicker than waiting for etcd's health first.
        const etcd = await startSupervised("etcd", etcdCmd, `${dir}/etcd.log`);
        const api = await startSupervised("kube-apiserver", apiCmd, `${dir}/kube-apiserver.log`)
          .catch(async (e) => {
            await etcd.kill();
            throw e;
          });
        let failure: Failure | undefined;
        try {
          failure = await waitReady(client, server, { etcd, api, etcdEndpoint, timeoutMs });
          if (failure === undefined) {
            const kubeconfig = renderKubeconfig(name, server, certs);
            const kubeconfigPath = `${dir}/kubeconfig`;
            await Deno.writeTextFile(kubeconfigPath, kubeconfig, { mode: 0o600 });
            if (template) await seededCrdsReady(kubeconfigPath, template, binaries, timeoutMs);
            return runningPlane({
              name,
              server,
              kubeconfig,
              kubeconfigPath,
              caCertPem: certs.caCertPem,
              clientCertPem: certs.adminCertPem,
              clientKeyPem: certs.adminKeyPem,
              etcdEndpoint,
              dir,
            }, { etcd, api, apiCmd, client, timeoutMs });
          }
        } catch (e) {
          await Promise.all([api.kill(), etcd.kill()]);
          throw e;
        }
        await Promise.all([api.kill(), etcd.kill()]);
        const tail = await logTail(failure.process.logPath);
        if (attempt < START_ATTEMPTS && /address already in use/.test(tail)) {
          // Lost a port to another process: start afresh on new ports. etcd's data dir
          // records its peer URL, so it must go too.
          await Promise.all(
            [`${dir}/etcd`, etcd.logPath, api.logPath].map((p) =>
              Deno.remove(p, { recursive: true }).catch(() => {})
            ),
          );
          continue;
        }
        throw new Error(
          `Cannot start control plane "${name}": ${failure.process.name} ${failure.reason}; ` +
            `last lines of its log:\n${tail}`,
        );
      }
    } catch (e) {
      client.close();
      throw e;
    }
  } catch (e) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw e;
  }
}

interface Runtime {
  etcd: Supervised;
  api: Supervised;
  apiCmd: string[];
  client: Deno.HttpClient;
  timeoutMs: number;
}

/** The seeded CRDs are served once /readyz is ok; this proves it rather than trusting it. */
async function seededCrdsReady(
  kubeconfigPath: string,
  template: EtcdTemplate,
  binaries: Binaries,
  timeoutMs: number,
): Promise<void> {
  await waitCrdsReady({ kubeconfigPath }, template.crdNames, { binaries, timeoutMs });
}

/** Builds etcd templates with a plane of the same options (minus the CRDs). */
function templateBuilder(options: ControlPlaneOptions): TemplateBuilder {
  return {
    async build(crds) {
      const plane = await startControlPlane({ ...options, crds: undefined });
      try {
        await installCrds(plane, crds);
        const listed = await kubectl(plane, ["get", "customresourcedefinitions", "-o", "name"], {
          binaries: options.binaries,
        });
        const rt = runtimes.get(plane)!;
        return {
          crdNames: listed.stdout.split("\n").map((l) => l.trim()).filter(Boolean),
          etcdDataDir: `${plane.dir}/etcd`,
          async stopCleanly() {
            await rt.api.kill();
            // SIGTERM lets etcd close its database cleanly before the copy.
            await rt.etcd.kill(15_000);
          },
          stop: () => plane.stop(),
        };
      } catch (e) {
        await plane.stop();
        throw e;
      }
    },
  };
}

// Internals of running planes, for the template builder.
const runtimes = new WeakMap<ControlPlane, Runtime>();

type PlaneData = Omit<ControlPlane, "pids" | "restartApiServer" | "compactEtcd" | "stop">;

function runningPlane(data: PlaneData, rt: Runtime): ControlPlane {
  let stopping: Promise<void> | undefined;
  let restarting: Promise<void> | undefined;
  const plane: ControlPlane = {
    ...data,
    pids: () => [rt.etcd, rt.api].filter((p) => p.running()).map((p) => p.pid),
    restartApiServer() {
      if (stopping) return Promise.reject(new Error(`Cannot restart "${data.name}": stopped`));
      restarting = (async () => {
        await rt.api.kill();
        rt.api = await startSupervised("kube-apiserver", rt.apiCmd, rt.api.logPath);
        const failure = await waitReady(rt.client, data.server, {
          etcd: rt.etcd,
          api: rt.api,
          etcdEndpoint: data.etcdEndpoint,
          timeoutMs: rt.timeoutMs,
        });
        if (failure) {
          throw new Error(
            `Cannot restart kube-apiserver of "${data.name}": ${failure.process.name} ` +
              `${failure.reason}; last lines of ${failure.process.logPath}:\n` +
              await logTail(failure.process.logPath),
          );
        }
      })();
      return restarting;
    },
    compactEtcd: () => compact(data.etcdEndpoint),
    stop() {
      stopping ??= (async () => {
        await restarting?.catch(() => {});
        await Promise.all([rt.api.kill(), rt.etcd.kill()]);
        rt.client.close();
        await Deno.remove(data.dir, { recursive: true }).catch((e) => {
          if (!(e instanceof Deno.errors.NotFound)) throw e;
        });
      })();
      return stopping;
    },
  };
  runtimes.set(plane, rt);
  return plane;
}
