/**
 * The operator workload: Deployment (`lattice operator`, 2 replicas, leader election),
 * its Service (cell ports), PodDisruptionBudget and an ingress NetworkPolicy.
 */
import type { KubeObject } from "../kube/types.ts";
import {
  AGENT_MOUNT_PATH,
  AGENT_SECRET_NAME,
  commonLabels,
  DEFAULT_GRPC_PORT,
  DEFAULT_HTTPS_PORT,
  DEFAULT_IMAGE,
  HEALTH_PORT,
  NAMESPACE,
  OPERATOR_NAME,
  selectorLabels,
} from "./names.ts";

/** Options for {@linkcode operatorObjects}. */
export interface OperatorOptions {
  /** Container image; default ghcr.io/lattice-dev/lattice:<version>. */
  image?: string;
  /** Replicas; default 2 (one leader, one standby). */
  replicas?: number;
  /** `LATTICE_LOG`; default info. */
  logLevel?: string;
  /** Service type of the cell endpoints; default ClusterIP. */
  serviceType?: "LoadBalancer" | "NodePort" | "ClusterIP";
  /** Port of the bootstrap webhook / API proxy; default 8443. */
  httpsPort?: number;
  /** Port of the agent gRPC server; default 50051. */
  grpcPort?: number;
  /**
   * Arguments appended to `operator --leader-elect`, e.g. `--bootstrap-cell --cluster-name
   * bootstrap --cell-host X --https-port N --grpc-port M` for `lattice install`'s bootstrap
   * cell.
   */
  extraArgs?: string[];
}

function deployment(options: OperatorOptions): KubeObject {
  const httpsPort = options.httpsPort ?? DEFAULT_HTTPS_PORT;
  const grpcPort = options.grpcPort ?? DEFAULT_GRPC_PORT;
  const fieldEnv = (name: string, fieldPath: string) => ({
    name,
    valueFrom: { fieldRef: { fieldPath } },
  });
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: OPERATOR_NAME, namespace: NAMESPACE, labels: commonLabels() },
    spec: {
      replicas: options.replicas ?? 2,
      selector: { matchLabels: selectorLabels() },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: { ...commonLabels(), ...selectorLabels() } },
        spec: {
          serviceAccountName: OPERATOR_NAME,
          // The SIGTERM handler releases the Lease and closes streams within this budget.
          terminationGracePeriodSeconds: 30,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            seccompProfile: { type: "RuntimeDefault" },
          },
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [{
                weight: 100,
                podAffinityTerm: {
                  topologyKey: "kubernetes.io/hostname",
                  labelSelector: { matchLabels: selectorLabels() },
                },
              }],
            },
          },
          containers: [{
            name: "operator",
            image: options.image ?? DEFAULT_IMAGE,
            args: ["operator", "--leader-elect", ...(options.extraArgs ?? [])],
            env: [
              fieldEnv("POD_NAME", "metadata.name"),
              fieldEnv("POD_NAMESPACE", "metadata.namespace"),
              // A cell without spec.cell.host advertises its node's name (kind/CAPD).
              fieldEnv("NODE_NAME", "spec.nodeName"),
              { name: "LATTICE_LOG", value: options.logLevel ?? "info" },
              // A cell hands children the image it runs itself.
              { name: "LATTICE_IMAGE", value: options.image ?? DEFAULT_IMAGE },
              { name: "LATTICE_AGENT_DIR", value: AGENT_MOUNT_PATH },
            ],
            ports: [
              { name: "health", containerPort: HEALTH_PORT, protocol: "TCP" },
              { name: "https", containerPort: httpsPort, protocol: "TCP" },
              { name: "grpc", containerPort: grpcPort, protocol: "TCP" },
            ],
            livenessProbe: {
              httpGet: { path: "/healthz", port: "health" },
              initialDelaySeconds: 5,
              periodSeconds: 10,
              failureThreshold: 3,
            },
            readinessProbe: {
              httpGet: { path: "/readyz", port: "health" },
              periodSeconds: 5,
              failureThreshold: 3,
            },
            resources: {
              requests: { cpu: "100m", memory: "128Mi" },
              limits: { memory: "512Mi" },
            },
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ["ALL"] },
            },
            volumeMounts: [
              { name: "agent", mountPath: AGENT_MOUNT_PATH, readOnly: true },
              { name: "tmp", mountPath: "/tmp" },
            ],
          }],
          volumes: [
            // Optional: the root cluster has no parent and so no agent Secret.
            {
              name: "agent",
              secret: { secretName: AGENT_SECRET_NAME, optional: true, defaultMode: 0o400 },
            },
            { name: "tmp", emptyDir: {} },
          ],
        },
      },
    },
  };
}

/** Deployment, Service, PodDisruptionBudget and NetworkPolicy of the operator. */
export function operatorObjects(options: OperatorOptions = {}): KubeObject[] {
  const httpsPort = options.httpsPort ?? DEFAULT_HTTPS_PORT;
  const grpcPort = options.grpcPort ?? DEFAULT_GRPC_PORT;
  const meta = { name: OPERATOR_NAME, namespace: NAMESPACE, labels: commonLabels() };
  const serviceType = options.serviceType ?? "ClusterIP";
  // With NodePort the node port equals the port, so children dial the number the cell
  // listens on and advertises (validation keeps both ports in the node-port range).
  const cellPort = (name: string, port: number) => ({
    name,
    port,
    targetPort: name,
    protocol: "TCP",
    ...(serviceType === "NodePort" ? { nodePort: port } : {}),
  });
  return [
    deployment(options),
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta,
      spec: {
        type: serviceType,
        selector: selectorLabels(),
        ports: [
          cellPort("https", httpsPort),
          cellPort("grpc", grpcPort),
          { name: "metrics", port: HEALTH_PORT, targetPort: "health", protocol: "TCP" },
        ],
      },
    },
    {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: meta,
      spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels() } },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta,
      spec: {
        podSelector: { matchLabels: selectorLabels() },
        // Egress stays open: the apiserver, the parent cell and provider APIs have
        // addresses no static policy knows. Ingress is limited to the served ports.
        policyTypes: ["Ingress"],
        ingress: [{
          ports: [httpsPort, grpcPort, HEALTH_PORT].map((port) => ({ port, protocol: "TCP" })),
        }],
      },
    },
  ];
}
