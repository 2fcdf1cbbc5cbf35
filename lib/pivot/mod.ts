/**
 * The pivot: moving one cluster's Cluster API objects from the cell into the child over
 * the agent stream, with clusterctl move semantics, bounded acknowledged batches and
 * persisted progress so either side may crash at any step.
 *
 * The cluster controller calls {@linkcode runPivot}; the agent hands batches to a
 * {@linkcode PivotTarget}; the stream implements {@linkcode PivotTransport}.
 *
 * @module
 */
export type { PivotClient } from "./_client.ts";
export * from "./batches.ts";
export * from "./delete.ts";
export * from "./graph.ts";
export * from "./in_process.ts";
export * from "./object_graph.ts";
export * from "./pause.ts";
export * from "./progress.ts";
export * from "./source.ts";
export * from "./target.ts";
export * from "./types.ts";
export * from "./handoff.ts";
export * from "./wire.ts";
export * from "./stream_transport.ts";
export * from "./agent_handlers.ts";
export * from "./unpivot_agent.ts";
export * from "./unpivot_cell.ts";
