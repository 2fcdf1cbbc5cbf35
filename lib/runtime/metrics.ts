/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered in
 * the text exposition format. Enough for /metrics without a dependency.
 */

/** Label values by label name. */
export type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  return Object.keys(labels).sort().map((k) => `${k}="${escapeLabel(labels[k])}"`).join(",");
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function series(name: string, key: string, extra = ""): string {
  const all = [key, extra].filter(Boolean).join(",");
  return all ? `${name}{${all}}` : name;
}

interface Metric {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  render(): string[];
}

/** One number per label set: what counters and gauges share. */
abstract class LabelledValues implements Metric {
  abstract readonly type: "counter" | "gauge";
  protected readonly values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string) {}
  /** Adds `n` (default 1; a gauge's may be negative). */
  inc(labels: Labels = {}, n = 1): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + n);
  }
  /** Creates the series at 0 when absent, so it is exported before the first change. */
  touch(labels: Labels = {}): void {
    const key = labelKey(labels);
    if (!this.values.has(key)) this.values.set(key, 0);
  }
  /** The current value, for tests. */
  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
  render(): string[] {
    return [...this.values].map(([k, v]) => `${series(this.name, k)} ${v}`);
  }
}

/** A monotonically increasing count. */
export class Counter extends LabelledValues {
  readonly type = "counter";
  /** Sets the total (for counters read from elsewhere on scrape, e.g. CPU seconds). */
  set(labels: Labels, value: number): void {
    this.values.set(labelKey(labels), value);
  }
}

/** A value that goes up and down. */
export class Gauge extends LabelledValues {
  readonly type = "gauge";
  /** Sets the value. */
  set(labels: Labels, value: number): void {
    this.values.set(labelKey(labels), value);
  }
}

/** Default buckets (seconds), as client_golang's. */
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A distribution of observations in cumulative buckets. */
export class Histogram implements Metric {
  readonly type = "histogram";
  #series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[] = DEFAULT_BUCKETS,
  ) {}
  /** Records one observation. */
  observe(labels: Labels, value: number): void {
    const key = labelKey(labels);
    let s = this.#series.get(key);
    if (!s) this.#series.set(key, s = { counts: this.buckets.map(() => 0), sum: 0, count: 0 });
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) s.counts[i]++;
    s.sum += value;
    s.count++;
  }
  /** Creates the series with zero observations, so it is exported before the first one. */
  touch(labels: Labels): void {
    const key = labelKey(labels);
    if (!this.#series.has(key)) {
      this.#series.set(key, { counts: this.buckets.map(() => 0), sum: 0, count: 0 });
    }
  }
  /** Number of observations, for tests. */
  count(labels: Labels = {}): number {
    return this.#series.get(labelKey(labels))?.count ?? 0;
  }
  render(): string[] {
    const out: string[] = [];
    for (const [k, s] of this.#series) {
      this.buckets.forEach((b, i) =>
        out.push(`${series(`${this.name}_bucket`, k, `le="${b}"`)} ${s.counts[i]}`)
      );
      out.push(`${series(`${this.name}_bucket`, k, 'le="+Inf"')} ${s.count}`);
      out.push(`${series(`${this.name}_sum`, k)} ${s.sum}`);
      out.push(`${series(`${this.name}_count`, k)} ${s.count}`);
    }
    return out;
  }
}

/** A set of metrics rendered together. Registering a name twice returns the first. */
export class Registry {
  #metrics = new Map<string, Metric>();
  #collectors: (() => void)[] = [];
  #included: Registry[] = [];

  /** Runs `collect` before every render (to set gauges read on scrape, e.g. memory). */
  onCollect(collect: () => void): void {
    this.#collectors.push(collect);
  }

  /** Renders `other`'s metrics after this registry's own (shared process-wide metrics). */
  include(other: Registry): void {
    if (other !== this && !this.#included.includes(other)) this.#included.push(other);
  }

  #get<M extends Metric>(name: string, make: () => M): M {
    const existing = this.#metrics.get(name);
    if (existing) return existing as M;
    const metric = make();
    this.#metrics.set(name, metric);
    return metric;
  }

  /** A counter named `name`. */
  counter(name: string, help: string): Counter {
    return this.#get(name, () => new Counter(name, help));
  }
  /** A gauge named `name`. */
  gauge(name: string, help: string): Gauge {
    return this.#get(name, () => new Gauge(name, help));
  }
  /** A histogram named `name`. */
  histogram(name: string, help: string, buckets?: readonly number[]): Histogram {
    return this.#get(name, () => new Histogram(name, help, buckets));
  }

  /** The Prometheus text exposition of every metric. */
  render(): string {
    return this.#lines(new Set()).join("\n") + "\n";
  }

  #lines(seen: Set<string>): string[] {
    for (const collect of this.#collectors) collect();
    const lines: string[] = [];
    for (const m of this.#metrics.values()) {
      if (seen.has(m.name)) continue;
      seen.add(m.name);
      lines.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`, ...m.render());
    }
    for (const other of this.#included) lines.push(...other.#lines(seen));
    return lines;
  }
}
