/**
 * The placement controller as the operator runs it: on every cluster, plus — on a cell —
 * the hand-down of registrations to its children over the agent stream.
 */
import type { AgentRegistry } from "../../cell/registry.ts";
import type { Controller } from "../../runtime/mod.ts";
import type { KubeClient } from "../../kube/mod.ts";
import { placementControllers, type PlacementOptions } from "./controller.ts";
import { RegistrationHandDowner } from "./handdown.ts";

/** The placement controllers; with a registry, the hand-down runs until `signal` aborts. */
export function placementsWithHandDown(
  client: KubeClient,
  registry: AgentRegistry | undefined,
  options: PlacementOptions,
): Controller[] {
  const placements = placementControllers(client, options);
  if (registry) {
    const handDown = new RegistrationHandDowner(registry, {
      selfName: options.selfName,
      local: () => placements.registrations.list(),
      inherited: placements.inherited,
      logger: options.logger,
    });
    handDown.start();
    placements.onRegistrationsChanged(() => handDown.changed());
    options.signal.addEventListener("abort", () => handDown.close(), { once: true });
  }
  return placements.controllers;
}
