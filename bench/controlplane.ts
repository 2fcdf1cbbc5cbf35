/**
 * `deno task bench controlplane`: how long a sandbox control plane (etcd + kube-apiserver)
 * takes to become ready (bare, and with the Lattice + Cluster API CRDs seeded from an etcd
 * template), how much memory one uses, and how long installing those CRDs into a running
 * plane takes.
 */
import { CLUSTER_API_CRD_SETS, installCrds, startControlPlane } from "../lib/sandbox/mod.ts";
import { percentile, runBench } from "./_harness.ts";

const STARTS = 5;

/** VmRSS of a process in MiB (0 when it is gone). */
async function processRssMiB(pid: number): Promise<number> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const kib = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
    return kib / 1024;
  } catch {
    return 0;
  }
}

if (import.meta.main) {
  await runBench("controlplane", async () => {
    const startsMs: number[] = [];
    let rss = 0;
    let rssWithCrds = 0;
    let crdsMs = 0;
    for (let i = 0; i < STARTS; i++) {
      const t0 = performance.now();
      const plane = await startControlPlane({ name: `bench-${i}` });
      startsMs.push(performance.now() - t0);
      try {
        if (i === 0) {
          // Measured idle after start-up, then with the CRDs a Lattice parent needs.
          await new Promise((resolve) => setTimeout(resolve, 2_000));
          rss = (await Promise.all(plane.pids().map(processRssMiB))).reduce((a, b) => a + b, 0);
          const t1 = performance.now();
          await installCrds(plane, { lattice: true, upstream: [...CLUSTER_API_CRD_SETS] });
          crdsMs = performance.now() - t1;
          rssWithCrds = (await Promise.all(plane.pids().map(processRssMiB)))
            .reduce((a, b) => a + b, 0);
        }
      } finally {
        await plane.stop();
      }
    }
    // With the same CRDs asked at start: the plane is seeded from an etcd template (built
    // by the first start if no earlier run left one, so that start is not counted).
    const crds = { lattice: true, upstream: [...CLUSTER_API_CRD_SETS] };
    await (await startControlPlane({ name: "bench-seed", crds })).stop();
    const seededMs: number[] = [];
    for (let i = 0; i < STARTS; i++) {
      const t0 = performance.now();
      const plane = await startControlPlane({ name: `bench-seeded-${i}`, crds });
      seededMs.push(performance.now() - t0);
      await plane.stop();
    }
    return {
      start_p50_ms: percentile(startsMs, 50),
      start_with_capi_crds_seeded_p50_ms: percentile(seededMs, 50),
      start_max_ms: Math.max(...startsMs),
      rss_one_plane_mib: rss,
      rss_one_plane_with_capi_crds_mib: rssWithCrds,
      install_lattice_and_capi_crds_ms: crdsMs,
    };
  });
}
