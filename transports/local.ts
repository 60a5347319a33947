// The `local` method: python on the controller machine, over pipes — or, with `via`, a child the parent
// context forks over a socketpair.
import type { ConnectMethod, ConnectSpec } from "./broker.ts";
import { spawnProcess } from "./_process.ts";
import type { FirstStage } from "./_bootstrap.ts";

export interface LocalSpec extends ConnectSpec {
  method: "local";
  /** Environment additions for the interpreter. */
  env?: Record<string, string>;
}

export const localMethod: ConnectMethod = {
  spawn(spec: ConnectSpec, stage: FirstStage) {
    const s = spec as LocalSpec;
    return Promise.resolve(spawnProcess({ argv: stage.argv(s.python), env: s.env }));
  },
  remote(spec: ConnectSpec) {
    const s = spec as LocalSpec;
    return { method: "local", options: { python: s.python ?? "python3", ...(s.env ? { env: s.env } : {}) } };
  },
};
