/**
 * Folder-internal: the pivot's deadlines come from the runtime's one timing module.
 */
export { DeadlineExceeded, withDeadline } from "../runtime/clock.ts";
