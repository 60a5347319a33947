// What `mitogen_get_stack` answers: the hops a task's plan opens, in Mitogen's result shape, without
// connecting. It describes the plan the runner really uses, so it cannot drift from it.
import type { ConnectPlan } from "./plan.ts";

const SECRET = /pass(word)?$/i;

/** `[{"kwargs": {...}, "method": "ssh"}, …]`, keys sorted, passwords masked. */
export function describePlan(plan: ConnectPlan): { kwargs: Record<string, unknown>; method: string }[] {
  return plan.hops.map((hop) => {
    const kwargs: Record<string, unknown> = {};
    for (const k of Object.keys(hop).sort()) {
      if (k === "method" || k === "via") continue;
      const v = hop[k];
      kwargs[k] = SECRET.test(k) && typeof v === "string" ? "********" : v;
    }
    return { kwargs, method: hop.method };
  });
}
