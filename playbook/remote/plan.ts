// From a task's request to the Broker hops that reach its target: the connection translator's stack
// (playbook/connection/spec.ts, built with the transport's defaults) in the Broker's option names, plus
// what only running needs: the interpreter discovery, local lanes, remote_tmp and how `raw` can go
// without Python. Pure, so it is tested without connecting. Its key is what connections are reused by.
import type { ConnectSpec } from "../../transports/broker.ts";
import type { SshOptions } from "../../transports/ssh.ts";
import { buildStack, connectSpec, controllerUser, endsInBecome, StackError } from "../connection/mod.ts";
import type { ModuleRequest } from "../runner.ts";
import type { DirectExec } from "./raw.ts";
import { requestStackInput } from "./stack.ts";

export { parseVia } from "../connection/mod.ts";

// A hop is a ConnectSpec without `via`: the runner links each hop to the context of the one before.
type HopSpec = ConnectSpec;

export interface ConnectPlan {
  key: string;
  host: string;
  hops: HopSpec[];
  /** Index of the become hop, whose failures are task failures rather than unreachable hosts. */
  becomeIndex?: number;
  /** The interpreter was found by discovery (`auto`), so its path is reported as a fact. */
  discovered: boolean;
  /** How `raw` reaches the target without Python, when no become hop is involved. */
  direct?: DirectExec;
}

/** The translator's error: the runner reports the same words as `mito stack`. */
export { StackError as ConnectionPlanError };

// Ansible's discovery, in the order it prefers on Linux: the first interpreter present wins. Run by the
// login shell, so it costs no extra round trip.
const DISCOVERY =
  '"$(command -v /usr/bin/python3 || command -v python3 || command -v /usr/libexec/platform-python' +
  ' || command -v /usr/bin/python || command -v python)"';

const AUTO = /^auto(_silent|_legacy(_silent)?)?$/;

/**
 * Each delegating host gets one of a few local interpreters, so local actions run side by side: its home
 * lane, where its calls go while it is idle (the runner may have more lanes: see _lanes.ts).
 */
export const LOCAL_LANES = 4;

function lane(host: string): number {
  let h = 2166136261;
  for (let i = 0; i < host.length; i++) h = Math.imul(h ^ host.charCodeAt(i), 16777619);
  return (h >>> 0) % LOCAL_LANES;
}

/** An ssh hop's options as the ssh transport takes them (raw runs its command over them directly). */
export function sshOptionsOf(hop: HopSpec): SshOptions {
  const { method: _m, python: _p, maskName: _n, ...ssh } = hop;
  return ssh as unknown as SshOptions;
}

export function planConnection(req: ModuleRequest, defaults: Record<string, unknown>): ConnectPlan {
  const stack = buildStack(requestStackInput(req, defaults, "transport"));
  const hops = stack.map((hop): HopSpec => {
    const python = hop.python_path ?? "auto";
    return { ...connectSpec(hop), python: AUTO.test(python) ? DISCOVERY : python };
  });
  // mitogen_sudo & co. as the connection: the controller's own interpreter first, then the become.
  if (["sudo", "su", "doas"].includes(hops[0].method)) {
    hops.unshift({ method: "local", python: hops[0].python });
  }
  // become to the login user itself is no hop (buildStack leaves it out)
  const becomeIndex = req.become.become && endsInBecome(stack) ? hops.length - 1 : undefined;
  const target = becomeIndex === undefined ? stack.at(-1)! : stack.at(-2)!;
  const discovered = AUTO.test(target.python_path ?? "auto");
  let direct: DirectExec | undefined;
  if (hops.length === 1 && hops[0].method === "local") direct = { method: "local" };
  if (hops.length === 1 && hops[0].method === "ssh") direct = { method: "ssh", ssh: sshOptionsOf(hops[0]) };
  // Local work of many hosts (local_action, delegate_to: localhost, connection: local) goes to a few
  // interpreters instead of one that would run it in turn; the same host always gets the same one.
  if (hops[0].method === "local") {
    const n = lane(req.host);
    if (n) hops[0] = { ...hops[0], lane: n };
  }
  if (defaults.remote_tmp !== undefined) { for (const h of hops) h.remoteTmp = String(defaults.remote_tmp); }
  const key = JSON.stringify([req.targetHost, hops]);
  return { key, host: req.targetHost, hops, becomeIndex, discovered, direct };
}

/** Plans a HostRunner keeps before it starts again from none (a run has few distinct ways in). */
const PLAN_CACHE_MAX = 256;

/**
 * planConnection, remembered: a loop's items and a play's tasks mostly reach a host the same way, and
 * building the stack again cost more than the rest of an item's request (ssh arguments split, every hop's
 * options). A plan is a pure function of the request's target and host, its connection variables, its
 * become settings, ansible.cfg's defaults and the controller's user, so those are the key, taken only when
 * they are plain data: a vaulted or unsafe value, or a `mitogen_via` (which reads other hosts' variables),
 * is planned afresh every time. Callers only read a plan.
 */
export class PlanCache {
  #plans = new Map<string, ConnectPlan>();

  plan(req: ModuleRequest, defaults: Record<string, unknown>): ConnectPlan {
    const key = planKey(req, defaults);
    if (key === undefined) return planConnection(req, defaults);
    let plan = this.#plans.get(key);
    if (plan === undefined) {
      plan = planConnection(req, defaults); // a request that cannot be planned throws, and is not kept
      if (this.#plans.size >= PLAN_CACHE_MAX) this.#plans.clear();
      this.#plans.set(key, plan);
    }
    return plan;
  }
}

/** The key of everything planConnection reads from `req` and `defaults`, or undefined when not plain. */
function planKey(req: ModuleRequest, defaults: Record<string, unknown>): string | undefined {
  const cv = req.connectionVars;
  const via = cv.mitogen_via;
  if (via !== undefined && via !== null && via !== "") return undefined;
  const inputs = [req.host, req.targetHost, cv, req.become, defaults, controllerUser()];
  return inputs.every(plain) ? JSON.stringify(inputs) : undefined;
}

/** Data that JSON.stringify keeps as it is: no class instances, no undefined in lists, finite numbers. */
function plain(v: unknown): boolean {
  if (v === null || typeof v === "string" || typeof v === "boolean") return true;
  if (typeof v === "number") return Number.isFinite(v);
  if (Array.isArray(v)) return v.every((x) => x !== undefined && plain(x));
  if (typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    // an unset key (undefined) reads as absent both in the key and in the stack
    return Object.values(v as Record<string, unknown>).every((x) => x === undefined || plain(x));
  }
  return false;
}
