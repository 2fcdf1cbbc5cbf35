/**
 * Fixture of control_plane_test.ts: starts a plane, prints its pids and dir as one JSON
 * line, then waits to be killed (the test SIGKILLs it to prove no server outlives it).
 */
import { startControlPlane } from "../../lib/sandbox/mod.ts";

const plane = await startControlPlane({ name: "orphan" });
console.log(JSON.stringify({ pids: plane.pids(), dir: plane.dir }));
// Keep the event loop alive until killed.
setInterval(() => {}, 60_000);
