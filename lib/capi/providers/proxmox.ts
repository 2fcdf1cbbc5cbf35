/**
 * Proxmox VE (CAPMOX v0.9, infrastructure.cluster.x-k8s.io/v1alpha2). Proxmox has no load
 * balancer, so the control-plane endpoint is a virtual IP held by a kube-vip static pod.
 */
import { stringify } from "yaml";
import type { BootstrapFile, GenerationContext, InfraProvider } from "../types.ts";
import { configOf } from "./_config.ts";

/** kube-vip image announcing the control-plane virtual IP. */
export const KUBE_VIP_IMAGE = "ghcr.io/kube-vip/kube-vip:v0.8.9";
/** Port of the Kubernetes API behind the virtual IP. */
export const API_PORT = 6443;
/** kube-vip's manifest on kubeadm control-plane nodes. */
const KUBEADM_VIP_MANIFEST = "/etc/kubernetes/manifests/kube-vip.yaml";

/** The kube-vip static pod (ARP mode, leader election among control-plane nodes). */
export function kubeVipManifest(vip: string, kubeconfig: string): string {
  const env = {
    vip_arp: "true",
    port: String(API_PORT),
    vip_cidr: "32",
    cp_enable: "true",
    cp_namespace: "kube-system",
    vip_leaderelection: "true",
    vip_leasename: "plndr-cp-lock",
    address: vip,
  };
  return stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "kube-vip", namespace: "kube-system" },
    spec: {
      hostNetwork: true,
      hostAliases: [{ ip: "127.0.0.1", hostnames: ["kubernetes"] }],
      containers: [{
        name: "kube-vip",
        image: KUBE_VIP_IMAGE,
        args: ["manager"],
        env: Object.entries(env).map(([name, value]) => ({ name, value })),
        securityContext: { capabilities: { add: ["NET_ADMIN", "NET_RAW"] } },
        volumeMounts: [{ mountPath: "/etc/kubernetes/admin.conf", name: "kubeconfig" }],
      }],
      volumes: [{ name: "kubeconfig", hostPath: { path: kubeconfig } }],
    },
  });
}

function controlPlaneFiles(ctx: GenerationContext, bootstrap: "kubeadm" | "rke2"): BootstrapFile[] {
  const vip = configOf(ctx, "proxmox").controlPlaneEndpoint;
  const [path, kubeconfig] = bootstrap === "rke2"
    ? ["/var/lib/rancher/rke2/agent/pod-manifests/kube-vip.yaml", "/etc/rancher/rke2/rke2.yaml"]
    : [KUBEADM_VIP_MANIFEST, "/etc/kubernetes/admin.conf"];
  return [{
    path,
    owner: "root:root",
    permissions: "0644",
    content: kubeVipManifest(vip, kubeconfig),
  }];
}

/**
 * Since Kubernetes 1.29, admin.conf only gains its rights after `kubeadm init` finishes,
 * but the VIP must be up before: on the init node (the only one with
 * /run/kubeadm/kubeadm.yaml) kube-vip starts on super-admin.conf.
 */
function controlPlanePreCommands(_ctx: GenerationContext, bootstrap: "kubeadm" | "rke2"): string[] {
  if (bootstrap !== "kubeadm") return [];
  return [
    "if [ -f /run/kubeadm/kubeadm.yaml ]; then sed -i " +
    "'s#path: /etc/kubernetes/admin.conf#path: /etc/kubernetes/super-admin.conf#' " +
    `${KUBEADM_VIP_MANIFEST}; fi`,
  ];
}

/** The Proxmox provider. */
export const proxmoxProvider: InfraProvider = {
  name: "proxmox",
  apiVersion: "infrastructure.cluster.x-k8s.io/v1alpha2",
  clusterKind: "ProxmoxCluster",
  machineTemplateKind: "ProxmoxMachineTemplate",
  clusterSpec(ctx) {
    const config = configOf(ctx, "proxmox");
    return {
      controlPlaneEndpoint: { host: config.controlPlaneEndpoint, port: API_PORT },
      dnsServers: [...config.dnsServers],
      ipv4Config: {
        addresses: [...config.ipv4Pool.addresses],
        prefix: config.ipv4Pool.prefix,
        gateway: config.ipv4Pool.gateway,
      },
      credentialsRef: { name: config.credentialsSecret, namespace: ctx.namespace },
      ...(config.allowedNodes ? { allowedNodes: [...config.allowedNodes] } : {}),
    };
  },
  machineSpec(ctx, role) {
    const config = configOf(ctx, "proxmox");
    const cp = role === "control-plane";
    return {
      sourceNode: config.sourceNode,
      templateID: config.templateId,
      full: true,
      numSockets: 1,
      numCores: cp ? config.cpCores : config.workerCores,
      memoryMiB: cp ? config.cpMemoryMiB : config.workerMemoryMiB,
      disks: {
        bootVolume: { disk: "scsi0", sizeGb: cp ? config.cpDiskSize : config.workerDiskSize },
      },
      network: {
        networkDevices: [{
          name: "net0",
          bridge: config.bridge,
          model: "virtio",
          defaultIPv4: true,
        }],
      },
      ...(config.allowedNodes ? { allowedNodes: [...config.allowedNodes] } : {}),
    };
  },
  // No cloud controller on Proxmox: the kubelet takes its provider ID from the VM's
  // cloud-init instance id, which CAPMOX sets to the VM's UUID.
  kubeletArgs: () => ({ "provider-id": "proxmox://'{{ ds.meta_data.instance_id }}'" }),
  controlPlaneFiles,
  controlPlanePreCommands,
};
