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

Deno.test("a status-only change wakes no peer; a new service wakes those that declare it", () => {
  const present = new Set<string>();
  const wakes = peerWaker((key) => present.has(key));
  const doc = (ns: string, name: string, resources: Record<string, object>) =>
    serviceDoc(ns, name, { resources }) as unknown as ServiceObject;
  present.add("shop/web");
  const web = doc("shop", "web", { api: { direction: "outbound" } });
  deepStrictEqual(wakes(web), ["shop/api"]);
  // Its status was written: the declarations are the same, no peer re-evaluates.
  deepStrictEqual(wakes({ ...web, status: { agreedCount: 0 } } as ServiceObject), []);
  // api appears without declaring web: web's pending reason changes, so web wakes.
  present.add("shop/api");
  deepStrictEqual(wakes(doc("shop", "api", {})), ["shop/web"]);
  // web is deleted (no deletionTimestamp in a DELETED event): api re-evaluates.
  present.delete("shop/web");
  deepStrictEqual(wakes(web), ["shop/api"]);
});
