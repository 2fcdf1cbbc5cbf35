/** LatticeClusters read from multi-document YAML, each validated by its zod schema. */
import { parseAllDocuments } from "yaml";
import { type LatticeClusterInput, LatticeClusterSchema } from "./lattice_cluster.ts";
import { validate } from "./validate.ts";

/** Reads LatticeClusters from YAML text; errors name the document and field. */
export function parseClusters(text: string, source: string): LatticeClusterInput[] {
  const out: LatticeClusterInput[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    const value = doc.toJS();
    if (value === null || value === undefined) return;
    const result = validate(LatticeClusterSchema, value);
    if (!result.ok) {
      throw new Error(
        `Cannot read ${source} (document ${i + 1}):\n  ${result.errors.join("\n  ")}`,
      );
    }
    out.push(value as LatticeClusterInput);
  });
  return out;
}
