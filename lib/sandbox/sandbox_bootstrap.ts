/**
 * `lattice install`'s bootstrap played by the sandbox: the bootstrap plane with the real
 * operator as a bootstrap cell, and the CAPI simulator in place of Cluster API (it starts a
 * real plane as the root, with Cluster API's CRDs as `clusterctl init` leaves them, so
 * readying the root needs nothing more). Used to test the install flow on real planes.
 */
import type { BootstrapBackend } from "../install/install.ts";
import type { Logger } from "../log/mod.ts";
import { Sandbox, type StartOperator } from "./sandbox.ts";

/** Options of {@linkcode SandboxBootstrap}. */
export interface SandboxBootstrapOptions {
  startOperator: StartOperator;
  /** Where the sandbox writes its state. */
  dir: string;
  logger?: Logger;
}

/** The sandbox as an install backend; {@linkcode sandbox} stays up for the root. */
export class SandboxBootstrap implements BootstrapBackend {
  readonly description = "sandbox bootstrap plane, Cluster API simulated";
  readonly #opts: SandboxBootstrapOptions;
  #sandbox?: Sandbox;

  constructor(options: SandboxBootstrapOptions) {
    this.#opts = options;
  }

  /** The running sandbox (the root's plane lives on after the bootstrap is deleted). */
  get sandbox(): Sandbox | undefined {
    return this.#sandbox;
  }

  async create(print: (line: string) => void): Promise<string> {
    this.#sandbox ??= await Sandbox.up({
      clusters: [],
      dir: this.#opts.dir,
      startOperator: this.#opts.startOperator,
      logger: this.#opts.logger,
      print: (line) => print(`  ${line}`),
    });
    return this.#sandbox.bootstrap.kubeconfig;
  }

  async prepareRoot(_kubeconfig: string, _root: unknown, print: (line: string) => void) {
    print("  The root's machines and its Cluster API are played by the CAPI simulator");
    await Promise.resolve();
  }

  async destroy(): Promise<void> {
    await this.#sandbox?.deleteBootstrap();
  }
}
