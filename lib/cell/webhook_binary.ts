/**
 * The running lattice binary, served to children that cannot reach the internet. Only a
 * compiled binary serves itself; from source there is no single file to hand out.
 */
import type { Context, Env, Hono } from "hono";
import { basename } from "node:path";
import { StatusError } from "./errors.ts";

/** Where the binary comes from, and what to say when there is none. */
export interface BinarySource {
  /** The file to serve, or undefined when none is available. */
  path?: string;
  /** Why there is none (shown to the caller in a 503). */
  unavailableReason?: string;
}

/** The binary of this process: `Deno.execPath()` when compiled, else an explanation. */
export function selfBinary(configuredPath?: string): BinarySource {
  if (configuredPath) return { path: configuredPath };
  const exe = Deno.execPath();
  if (/^deno(\.exe)?$/.test(basename(exe))) {
    return {
      unavailableReason: "the cell runs from source (deno), not a compiled lattice binary; " +
        "configure a binary path or run the compiled binary",
    };
  }
  return { path: exe };
}

/** A file's size and SHA-256 (hex), cached while its size and mtime stay the same. */
export class ChecksumCache {
  #cached?: { key: string; size: number; sha256: string };

  /** Size and SHA-256 of `path`, computed at most once per version of the file. */
  async checksum(path: string): Promise<{ size: number; sha256: string }> {
    const info = await Deno.stat(path);
    const key = `${path}:${info.size}:${info.mtime?.getTime()}`;
    if (this.#cached?.key === key) return this.#cached;
    const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
    const sha256 = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0"))
      .join("");
    this.#cached = { key, size: info.size, sha256 };
    return this.#cached;
  }
}

/**
 * Adds GET /api/lattice/binary and GET /bootstrap/binary/linux/{arch} (the path kubeadm's
 * postKubeadmCommands fetch, see lib/capi/join.ts; only this build's arch is served).
 */
export function binaryRoutes<E extends Env>(
  app: Hono<E>,
  source: BinarySource | undefined,
): void {
  const checksums = new ChecksumCache();
  const serve = async (c: Context) => {
    const path = source?.path;
    if (!path) {
      const why = source?.unavailableReason ?? "no binary is configured";
      throw new StatusError(503, `Cannot serve the lattice binary: ${why}`);
    }
    const { size, sha256 } = await checksums.checksum(path);
    const file = await Deno.open(path, { read: true });
    return c.body(file.readable, 200, {
      "content-type": "application/octet-stream",
      "content-length": String(size),
      "x-checksum-sha256": sha256,
      "content-disposition": 'attachment; filename="lattice"',
    });
  };
  app.get("/api/lattice/binary", serve);
  app.get("/bootstrap/binary/linux/:arch", (c) => {
    if (c.req.param("arch") !== Deno.build.arch || Deno.build.os !== "linux") {
      throw new StatusError(404, `Cannot serve the lattice binary: only linux/${Deno.build.arch}`);
    }
    return serve(c);
  });
}
