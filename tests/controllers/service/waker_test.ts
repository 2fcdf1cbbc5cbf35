import { deepStrictEqual } from "node:assert/strict";
import { peerWaker, type ServiceObject } from "../../../lib/controllers/service/mod.ts";
import { serviceDoc } from "./_mesh.ts";

const svc = (
  resources: NonNullable<Parameters<typeof serviceDoc>[2]>["resources"],
  deleting = false,
) => {
  const doc = serviceDoc("shop", "web", { resources }) as unknown as ServiceObject;
  return deleting
    ? { ...doc, metadata: { ...doc.metadata, deletionTimestamp: "2026-01-01T00:00:00Z" } }
    : doc;
};

Deno.test("a service's change wakes the peers it declares now and declared before", () => {
  const wakes = peerWaker();
  deepStrictEqual(wakes(svc({ api: { direction: "outbound" } })), ["shop/api"]);
  // api removed, search (another namespace) added: both must re-evaluate the pair.
  deepStrictEqual(
    wakes(svc({ search: { direction: "inbound", namespace: "find" } })),
    ["shop/api", "find/search"],
  );
  // Non-service resources and itself wake nobody.
  deepStrictEqual(wakes(svc({ db: { type: "postgres" }, web: { direction: "both" } })), [
    "find/search",
  ]);
  deepStrictEqual(wakes(svc({ api: { direction: "both" } }, true)), []);
});
