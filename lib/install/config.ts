/**
 * The root cluster's LatticeCluster as `lattice install` reads it: one document, a cell,
 * with no parent. Errors name the file and the field, before anything is created.
 */
import { isCellSpec, type LatticeClusterInput, parseClusters } from "../api/mod.ts";

/** Reads and checks the root's LatticeCluster from `text` (read from `source`). */
export function parseRootConfig(text: string, source: string): LatticeClusterInput {
  const clusters = parseClusters(text, source);
  if (clusters.length !== 1) {
    throw new Error(
      `Cannot read ${source}: expected exactly one LatticeCluster (the root), found ${clusters.length}`,
    );
  }
  const root = clusters[0];
  const name = root.metadata.name;
  if (root.spec.cellRef !== undefined) {
    throw new Error(
      `Cannot install from ${source}: spec.cellRef: the root cluster has no parent; ` +
        `remove cellRef (LatticeCluster ${name})`,
    );
  }
  if (!isCellSpec(root.spec)) {
    throw new Error(
      `Cannot install from ${source}: spec.cell: the root cluster provisions the others, ` +
        `so it must be a cell; add spec.cell (LatticeCluster ${name})`,
    );
  }
  return root;
}
