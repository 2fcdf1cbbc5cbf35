/**
 * The process_* metrics every Prometheus client library exports (client_golang's process
 * collector): resident and virtual memory, CPU seconds, start time, open and max file
 * descriptors — read from /proc on scrape where it exists — plus the JavaScript heap.
 */
import process from "node:process";
import type { Registry } from "./metrics.ts";

const startSeconds = Date.now() / 1000 - performance.now() / 1000;

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/** Registers the process metrics on `registry`; their values are read at each scrape. */
export function registerProcessMetrics(registry: Registry): void {
  const rss = registry.gauge("process_resident_memory_bytes", "Resident memory size in bytes.");
  const vms = registry.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.");
  const cpu = registry.counter(
    "process_cpu_seconds_total",
    "Total user and system CPU time spent in seconds.",
  );
  const start = registry.gauge(
    "process_start_time_seconds",
    "Start time of the process since unix epoch in seconds.",
  );
  const fds = registry.gauge("process_open_fds", "Number of open file descriptors.");
  const maxFds = registry.gauge("process_max_fds", "Maximum number of open file descriptors.");
  const heapUsed = registry.gauge("nodejs_heap_size_used_bytes", "JavaScript heap in use.");
  const heapTotal = registry.gauge("nodejs_heap_size_total_bytes", "JavaScript heap size.");
  registry.onCollect(() => {
    const memory = Deno.memoryUsage();
    rss.set({}, memory.rss);
    heapUsed.set({}, memory.heapUsed);
    heapTotal.set({}, memory.heapTotal);
    const usage = process.cpuUsage();
    cpu.set({}, (usage.user + usage.system) / 1e6);
    start.set({}, Math.round(startSeconds * 1000) / 1000);
    const status = readText("/proc/self/status");
    const vm = status && /^VmSize:\s+(\d+) kB/m.exec(status);
    if (vm) vms.set({}, Number(vm[1]) * 1024);
    try {
      let open = 0;
      for (const _ of Deno.readDirSync("/proc/self/fd")) open++;
      fds.set({}, open);
    } catch { /* not Linux */ }
    const limits = readText("/proc/self/limits");
    const max = limits && /^Max open files\s+(\d+)/m.exec(limits);
    if (max) maxFds.set({}, Number(max[1]));
  });
}
