// Which local interpreter a call on the controller goes to. One interpreter runs its calls one after
// another, so the local work of many hosts (connection: local, local_action, delegate_to: localhost)
// shares a few of them, as Ansible lets up to `forks` local actions run at once (Mitogen's single
// interpreter per account serialises them: its documented limit). A host keeps its lane while that lane
// is idle (its modules stay imported there); when it is busy the call goes to an idle one, so a play of
// many local hosts is not held to the hosts that happen to share a lane.
import type { ConnectPlan } from "./plan.ts";

/** A plan on its lane, held until the call ends. */
export interface LaneHold {
  plan: ConnectPlan;
  done(): void;
}

export class LocalLanes {
  /** Calls in flight on each lane. */
  #busy: number[];
  /** Each host's lane: the one its last call went to. */
  #of = new Map<string, number>();
  /** Each host's calls in flight. */
  #hostBusy = new Map<string, number>();
  #laned = new WeakMap<ConnectPlan, Map<number, ConnectPlan>>();

  /** `count` lanes at least, and as many as the forks (the calls a strategy has in flight at once). */
  constructor(count: number) {
    this.#busy = new Array(Math.max(1, count)).fill(0);
  }

  /**
   * Takes a lane for a call of `host` on `plan` (any plan not starting on the controller is given back
   * as it is). `follows`: the call runs after the host's previous one in its interpreter (a task sent
   * ahead), so it stays on that lane. So does any call of a host with a call in flight (loop items sent
   * ahead of their replies): one interpreter runs them in the order they were sent, two would not.
   */
  take(plan: ConnectPlan, host: string, follows: boolean): LaneHold {
    if (plan.hops[0]?.method !== "local") return { plan, done: () => {} };
    const home = this.#home(plan, host);
    let n = home;
    if (!follows && !this.#hostBusy.get(host) && this.#busy[home] > 0) {
      const idle = this.#busy.indexOf(0);
      if (idle >= 0) n = idle;
    }
    this.#of.set(host, n);
    this.#busy[n]++;
    this.#hostBusy.set(host, (this.#hostBusy.get(host) ?? 0) + 1);
    let held = true;
    return {
      plan: this.#on(plan, n),
      done: () => {
        if (!held) return;
        held = false;
        this.#busy[n]--;
        const left = this.#hostBusy.get(host)! - 1;
        if (left) this.#hostBusy.set(host, left);
        else this.#hostBusy.delete(host);
      },
    };
  }

  /** The plan `host`'s next call that follows its previous one would run on. */
  current(plan: ConnectPlan, host: string): ConnectPlan {
    if (plan.hops[0]?.method !== "local") return plan;
    return this.#on(plan, this.#home(plan, host));
  }

  /** The host's lane: where its last call went, else the one its plan names (plan.ts spreads hosts). */
  #home(plan: ConnectPlan, host: string): number {
    const n = this.#of.get(host) ?? Number(plan.hops[0].lane ?? 0);
    return n < this.#busy.length ? n : 0;
  }

  /** `plan` with its first hop on lane `n` (lane 0 has no mark, as plan.ts leaves it). */
  #on(plan: ConnectPlan, n: number): ConnectPlan {
    if (Number(plan.hops[0].lane ?? 0) === n) return plan;
    let byLane = this.#laned.get(plan);
    if (!byLane) this.#laned.set(plan, byLane = new Map());
    let out = byLane.get(n);
    if (!out) {
      const { lane: _lane, ...first } = plan.hops[0];
      const hops = [n ? { ...first, lane: n } : first, ...plan.hops.slice(1)];
      out = { ...plan, hops, key: JSON.stringify([plan.host, hops]) };
      byLane.set(n, out);
    }
    return out;
  }
}
