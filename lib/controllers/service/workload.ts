/**
 * The workload objects of a LatticeService, as pure functions: ServiceAccount (its
 * identity), Deployment (the stable track), Service, ConfigMap of its files and a
 * HorizontalPodAutoscaler when `replicas.max > replicas.min`. Canary objects are in
 * canary.ts.
 */
import type { LatticeServiceSpec } from "../../api/mod.ts";
import type { KubeObject, OwnerReference } from "../../kube/mod.ts";
import { expand, type ExpandContext } from "./expand.ts";
import { MANAGED_BY_LABEL, MESH_MANAGER, SERVICE_LABEL, TRACK_LABEL } from "./names.ts";

/** What the workload compiler needs of a service. */
export interface WorkloadInput {
  name: string;
  namespace: string;
  spec: LatticeServiceSpec;
  owner?: OwnerReference;
  /** Resolves `${resources.KEY.port}`. */
  portOf?: ExpandContext["portOf"];
}

/** Labels of every object of a service. */
export function serviceLabels(name: string): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MESH_MANAGER, [SERVICE_LABEL]: name };
}

/** Labels of a track's pods. */
export function podLabels(name: string, track: "stable" | "canary"): Record<string, string> {
  return { [SERVICE_LABEL]: name, [TRACK_LABEL]: track, "app.kubernetes.io/name": name };
}

/** Common metadata of a generated object. */
export function objectMeta(input: WorkloadInput, name = input.name) {
  return {
    name,
    namespace: input.namespace,
    labels: serviceLabels(input.name),
    ...(input.owner ? { ownerReferences: [input.owner] } : {}),
  };
}

const FILES_VOLUME = "lattice-files";

/** Name of the ConfigMap holding a service's files. */
export function filesConfigMapName(service: string): string {
  return `${service}-files`;
}

function fileKey(container: string, i: number): string {
  return `${container}-${i}`;
}

function ctxOf(input: WorkloadInput): ExpandContext {
  return {
    name: input.name,
    namespace: input.namespace,
    resources: input.spec.resources,
    portOf: input.portOf,
  };
}

function probe(p: { httpGet: { path: string; port: number } } | undefined) {
  return p ? { httpGet: { path: p.httpGet.path, port: p.httpGet.port } } : undefined;
}

/** The pod template of a track, images replaced by `images` (canary). */
export function podTemplate(
  input: WorkloadInput,
  track: "stable" | "canary",
  images: Record<string, { image: string }> = {},
): Record<string, unknown> {
  const ctx = ctxOf(input);
  const ports = Object.values(input.spec.service?.ports ?? {});
  const containers = Object.entries(input.spec.containers).map(([name, c]) => ({
    name,
    image: images[name]?.image ?? c.image,
    ...(c.command ? { command: c.command } : {}),
    ...(c.args ? { args: c.args } : {}),
    ...(c.variables
      ? {
        env: Object.entries(c.variables).map(([k, v]) => ({ name: k, value: expand(v, ctx) })),
      }
      : {}),
    ...(c.resources ? { resources: c.resources } : {}),
    ...(ports.length > 0
      ? {
        ports: ports.map((p) => ({
          containerPort: p.targetPort ?? p.port,
          protocol: p.protocol ?? "TCP",
        })),
      }
      : {}),
    ...(c.livenessProbe ? { livenessProbe: probe(c.livenessProbe) } : {}),
    ...(c.readinessProbe ? { readinessProbe: probe(c.readinessProbe) } : {}),
    ...(c.files?.length
      ? {
        volumeMounts: c.files.map((f, i) => ({
          name: FILES_VOLUME,
          mountPath: f.target,
          subPath: fileKey(name, i),
          readOnly: true,
        })),
      }
      : {}),
  }));
  const items = Object.entries(input.spec.containers).flatMap(([name, c]) =>
    (c.files ?? []).map((f, i) => ({
      key: fileKey(name, i),
      path: fileKey(name, i),
      ...(f.mode ? { mode: parseInt(f.mode, 8) } : {}),
    }))
  );
  return {
    metadata: { labels: podLabels(input.name, track) },
    spec: {
      serviceAccountName: input.name,
      containers,
      ...(items.length > 0
        ? {
          volumes: [{
            name: FILES_VOLUME,
            configMap: { name: filesConfigMapName(input.name), items },
          }],
        }
        : {}),
    },
  };
}

/** Whether a HorizontalPodAutoscaler manages the stable replicas. */
export function autoscaled(spec: LatticeServiceSpec): boolean {
  const r = spec.replicas;
  return r?.max !== undefined && r.max > r.min && r.min >= 1;
}

/** The stable Deployment. */
export function deployment(input: WorkloadInput): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: objectMeta(input),
    spec: {
      ...(autoscaled(input.spec) ? {} : { replicas: input.spec.replicas?.min ?? 1 }),
      selector: { matchLabels: { [SERVICE_LABEL]: input.name, [TRACK_LABEL]: "stable" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: podTemplate(input, "stable"),
    },
  };
}

/** Every workload object of the service except the canary's. */
export function workloadObjects(input: WorkloadInput): KubeObject[] {
  const out: KubeObject[] = [{
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: objectMeta(input),
  }];
  const files = Object.entries(input.spec.containers).flatMap(([name, c]) =>
    (c.files ?? []).map((f, i) =>
      [fileKey(name, i), f.noExpand ? f.content : expand(f.content, ctxOf(input))] as const
    )
  );
  if (files.length > 0) {
    out.push({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: objectMeta(input, filesConfigMapName(input.name)),
      data: Object.fromEntries(files),
    });
  }
  out.push(deployment(input));
  const ports = Object.entries(input.spec.service?.ports ?? {});
  if (ports.length > 0) {
    out.push({
      apiVersion: "v1",
      kind: "Service",
      metadata: objectMeta(input),
      spec: {
        selector: { [SERVICE_LABEL]: input.name },
        ports: ports.map(([name, p]) => ({
          name,
          port: p.port,
          targetPort: p.targetPort ?? p.port,
          protocol: p.protocol ?? "TCP",
        })),
      },
    });
  }
  if (autoscaled(input.spec)) {
    out.push({
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: objectMeta(input),
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: input.name },
        minReplicas: input.spec.replicas!.min,
        maxReplicas: input.spec.replicas!.max!,
        metrics: [{
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } },
        }],
      },
    });
  }
  return out;
}
