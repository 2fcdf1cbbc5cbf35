/**
 * Real headless Chromium (Debian's `chromium`) driven over the Chrome DevTools Protocol
 * from Deno: one browser process per session, one page, evaluate/wait/screenshot/keys.
 * Used by the fleet page's end-to-end test and its benchmark.
 */

/** The chromium executable: CHROMIUM_PATH, else `chromium` or `chromium-browser` on PATH. */
export async function chromiumPath(): Promise<string | undefined> {
  const candidates = [
    Deno.env.get("CHROMIUM_PATH"),
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
  ];
  for (const c of candidates) {
    if (!c) continue;
    try {
      await Deno.stat(c);
      return c;
    } catch { /* next */ }
  }
  return undefined;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/** A browser with one page. */
export class Browser {
  readonly #proc: Deno.ChildProcess;
  readonly #ws: WebSocket;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Set<(method: string, params: Record<string, unknown>) => void>();
  readonly #dir: string;
  #id = 0;
  #session = "";

  private constructor(proc: Deno.ChildProcess, ws: WebSocket, dir: string) {
    this.#proc = proc;
    this.#ws = ws;
    this.#dir = dir;
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data as string) as {
        id?: number;
        result?: unknown;
        error?: { message: string };
        method?: string;
        params?: Record<string, unknown>;
      };
      if (msg.id !== undefined) {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(msg.error.message));
        else p?.resolve(msg.result);
      } else if (msg.method) {
        for (const l of this.#listeners) l(msg.method, msg.params ?? {});
      }
    };
  }

  /** Starts headless chromium (certificate errors ignored: the cell's CA is self-made). */
  static async launch(options: { width?: number; height?: number } = {}): Promise<Browser> {
    const exe = await chromiumPath();
    if (!exe) throw new Error("Cannot start the browser: chromium is not installed");
    const dir = await Deno.makeTempDir({ prefix: "lattice-chromium-" });
    const proc = new Deno.Command(exe, {
      args: [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--ignore-certificate-errors",
        "--no-first-run",
        "--no-default-browser-check",
        "--remote-debugging-port=0",
        `--user-data-dir=${dir}`,
        `--window-size=${options.width ?? 1400},${options.height ?? 900}`,
        "about:blank",
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const reader = proc.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const deadline = Date.now() + 60_000;
    let url: string | undefined;
    while (!url && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      url = /DevTools listening on (ws:\/\/\S+)/.exec(text)?.[1];
    }
    // Keep draining stderr so chromium never blocks on a full pipe.
    (async () => {
      try {
        while (!(await reader.read()).done) { /* drain */ }
      } catch { /* closed */ }
    })();
    if (!url) {
      proc.kill("SIGKILL");
      await proc.status;
      throw new Error(`Cannot start chromium: ${text.slice(-2000)}`);
    }
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error("Cannot connect to chromium's DevTools"));
    });
    const browser = new Browser(proc, ws, dir);
    const { targetId } = await browser.send<{ targetId: string }>("Target.createTarget", {
      url: "about:blank",
    });
    const { sessionId } = await browser.send<{ sessionId: string }>("Target.attachToTarget", {
      targetId,
      flatten: true,
    });
    browser.#session = sessionId;
    await browser.page("Page.enable");
    await browser.page("Runtime.enable");
    return browser;
  }

  /** A browser-level DevTools command. */
  send<T>(method: string, params: Record<string, unknown> = {}, session?: string): Promise<T> {
    const id = ++this.#id;
    const done = new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    });
    this.#ws.send(
      JSON.stringify({ id, method, params, ...(session ? { sessionId: session } : {}) }),
    );
    return done;
  }

  /** A command to the page. */
  page<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    return this.send<T>(method, params, this.#session);
  }

  /** Navigates and waits for the load event. */
  async goto(url: string): Promise<void> {
    const loaded = new Promise<void>((resolve) => {
      const l = (method: string) => {
        if (method === "Page.loadEventFired") {
          this.#listeners.delete(l);
          resolve();
        }
      };
      this.#listeners.add(l);
    });
    await this.page("Page.navigate", { url });
    await loaded;
  }

  /** Evaluates an expression in the page (awaiting promises) and returns its value. */
  async eval<T>(expression: string): Promise<T> {
    const r = await this.page<{
      result: { value?: T };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    }>("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) {
      throw new Error(
        `Page error: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`,
      );
    }
    return r.result.value as T;
  }

  /** Polls `expression` until truthy; returns its value. */
  async waitFor<T>(expression: string, timeoutMs = 30_000, what = expression): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await this.eval<T>(expression).catch(() => undefined);
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Presses a key (e.g. `ArrowDown`, `Enter`, `Tab`) on the focused element. */
  async key(key: string, code = key, keyCode = 0, text?: string): Promise<void> {
    const base = { key, code, windowsVirtualKeyCode: keyCode, nativeVirtualKeyCode: keyCode };
    await this.page("Input.dispatchKeyEvent", {
      type: "keyDown",
      ...base,
      ...(text ? { text } : {}),
    });
    await this.page("Input.dispatchKeyEvent", { type: "keyUp", ...base });
  }

  /** Types text into the focused element. */
  async type(text: string): Promise<void> {
    await this.page("Input.insertText", { text });
  }

  /** A PNG screenshot of the page. */
  async screenshot(path: string): Promise<void> {
    const { data } = await this.page<{ data: string }>("Page.captureScreenshot", {
      format: "png",
    });
    await Deno.writeFile(path, Uint8Array.from(atob(data), (c) => c.charCodeAt(0)));
  }

  /** Ends the browser and removes its profile. */
  async close(): Promise<void> {
    for (const p of this.#pending.values()) p.reject(new Error("browser closed"));
    this.#pending.clear();
    try {
      this.#ws.close();
    } catch { /* closed */ }
    try {
      this.#proc.kill("SIGKILL");
    } catch { /* gone */ }
    await this.#proc.status;
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}

/** Key codes of the keys the tests press. */
export const KEYS = {
  ArrowDown: 40,
  ArrowUp: 38,
  ArrowRight: 39,
  ArrowLeft: 37,
  Enter: 13,
  Tab: 9,
} as const;
