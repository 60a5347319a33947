// How hosts move through a play, as coroutines in one process: each host walks its own blocks and asks
// the strategy to run each task. `linear` releases a task only when every live host is waiting, picking
// the next task in play order (hosts on other paths wait: lockstep); `free` runs each request as soon as
// a fork is free; `host_pinned` gives each host a fork for its whole run.
import type { Task } from "./model.ts";

/** Runs `n` at a time. */
export class Semaphore {
  #free: number;
  #queue: (() => void)[] = [];
  constructor(n: number) {
    this.#free = Math.max(1, n);
  }
  async use<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((r) => this.#queue.push(r));
    try {
      return await fn();
    } finally {
      const next = this.#queue.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

/** One host's part of a task round. */
export type HostWork = () => Promise<void>;

export interface RoundHooks {
  /** Called once when a task starts for a set of hosts (banner), before any host runs it. */
  start(task: Task, hosts: string[]): void;
  /** Called once the task ran on the hosts of a round. */
  finish(task: Task, hosts: string[]): void;
  /** The task's `throttle`: at most this many hosts at once (0: no limit beyond forks). */
  throttle(task: Task): number;
  /** --step: whether to run the task (for `host`, in strategies that are not lockstep); false skips it. */
  step?(task: Task, host: string | null): Promise<boolean>;
  /**
   * `waiting` says whether hosts still wait for a fork (as each host of a lockstep round gets its fork;
   * for a whole free play with fewer forks than hosts): then a finished host's result is reported after
   * the next host starts, as Ansible's queue loop reports it. `settled` comes once a round (a free play)
   * ran.
   */
  waiting?(any: boolean): void;
  settled?(): void;
  /**
   * Lockstep strategies: whether a waiting host left the play meanwhile (a fatal failure elsewhere,
   * end_play): it is let go without the task, and a round of such hosts alone is never announced.
   */
  left?(host: string): boolean;
}

export interface Strategy {
  /** Runs every host's coroutine to completion. */
  run(hosts: string[], body: (host: string) => Promise<void>): Promise<void>;
  /** Called by a host coroutine: resolves once the task ran for this host. */
  request(host: string, task: Task, work: HostWork): Promise<void>;
  /** Inserts tasks (handlers, included files) to be considered next in play order. */
  insertNext(tasks: Task[]): void;
  /** Lockstep strategies: whether the running round has every host still in the play. */
  readonly wholeRound?: boolean;
  /**
   * An unreachable host leaves the play but keeps its place: resolves true when `resume` takes it back
   * (meta clear_host_errors), false once no other host is left running (the host's play is over).
   */
  park(host: string): Promise<boolean>;
  /** Takes a parked host back where it stopped; nothing when it is not parked. */
  resume(host: string): void;
}

/**
 * The parked hosts of a strategy: Ansible's iterator keeps the place of a host it stops iterating while
 * unreachable, and clear_host_errors makes it iterate that host again from there.
 */
class Parked {
  #hosts = new Map<string, (back: boolean) => void>();
  add(host: string): Promise<boolean> {
    return new Promise((resolve) => this.#hosts.set(host, resolve));
  }
  /** Lets `host` go back into the play; whether it was parked. */
  take(host: string): boolean {
    const resolve = this.#hosts.get(host);
    if (!resolve) return false;
    this.#hosts.delete(host);
    resolve(true);
    return true;
  }
  /** Ends every parked host's play: no host is left to take them back. */
  release(): void {
    const all = [...this.#hosts.values()];
    this.#hosts.clear();
    for (const resolve of all) resolve(false);
  }
}

interface Waiting {
  task: Task;
  work: HostWork;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class LinearStrategy implements Strategy {
  #order: Task[];
  #cursor = 0;
  #waiting = new Map<string, Waiting>();
  #active = new Set<string>();
  /** Each host's place in the batch: a round runs its hosts in that order, whoever asked first. */
  #rank = new Map<string, number>();
  #running = false;
  #forks: Semaphore;
  #hooks: RoundHooks;
  #failure: unknown;
  #whole = false;
  #parked = new Parked();

  constructor(order: Task[], forks: number, hooks: RoundHooks) {
    this.#order = [...order];
    this.#forks = new Semaphore(forks);
    this.#hooks = hooks;
  }

  async run(hosts: string[], body: (host: string) => Promise<void>): Promise<void> {
    for (const h of hosts) this.#active.add(h);
    hosts.forEach((h, i) => this.#rank.set(h, i));
    await Promise.all(hosts.map(async (h) => {
      try {
        await body(h);
      } finally {
        this.#active.delete(h);
        if (this.#active.size === 0) this.#parked.release();
        this.#kick();
      }
    }));
    if (this.#failure) throw this.#failure;
  }

  park(host: string): Promise<boolean> {
    this.#active.delete(host);
    const back = this.#parked.add(host);
    if (this.#active.size === 0) this.#parked.release();
    else this.#kick();
    return back;
  }

  resume(host: string): void {
    // back among the hosts a round waits for: its next request comes after the tasks the others are on
    if (this.#parked.take(host)) this.#active.add(host);
  }

  request(host: string, task: Task, work: HostWork): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.set(host, { task, work, resolve, reject });
      this.#kick();
    });
  }

  insertNext(tasks: Task[]): void {
    this.#order.splice(this.#cursor, 0, ...tasks);
  }

  /**
   * Whether the round now running runs its task on every host still in the play: then no host is on
   * another path whose tasks could come between this round and the next (task pipelining's condition).
   */
  get wholeRound(): boolean {
    return this.#running && this.#whole;
  }

  #kick(): void {
    if (this.#running || this.#waiting.size === 0 || this.#waiting.size < this.#active.size) return;
    const wanted = new Set([...this.#waiting.values()].map((w) => w.task));
    let chosen: Task | undefined;
    for (let pass = 0; pass < 2 && !chosen; pass++) {
      const from = pass === 0 ? this.#cursor : 0;
      const to = pass === 0 ? this.#order.length : this.#cursor;
      for (let i = from; i < to; i++) {
        if (wanted.has(this.#order[i])) {
          chosen = this.#order[i];
          this.#cursor = i + 1;
          break;
        }
      }
    }
    // A task outside the known order (cannot normally happen): run it as is.
    if (!chosen) chosen = [...wanted][0];
    const asked = [...this.#waiting.entries()].filter(([, w]) => w.task === chosen)
      .sort(([a], [b]) => (this.#rank.get(a) ?? 0) - (this.#rank.get(b) ?? 0));
    for (const [h] of asked) this.#waiting.delete(h);
    const batch = asked.filter(([h]) => !this.#hooks.left?.(h));
    // the hosts let go come back with their next request, or end (either kicks again)
    for (const [h, w] of asked) if (!batch.some(([b]) => b === h)) w.resolve();
    if (batch.length === 0) return;
    this.#whole = batch.length === this.#active.size;
    this.#running = true;
    void this.#round(chosen, batch);
  }

  async #round(task: Task, batch: [string, Waiting][]): Promise<void> {
    const hosts = batch.map(([h]) => h);
    const errors = new Map<string, unknown>();
    try {
      if (this.#hooks.step && !(await this.#hooks.step(task, null))) {
        this.#running = false;
        for (const [, w] of batch) w.resolve(); // stepped over: no host runs it, nothing is reported
        return;
      }
      this.#hooks.start(task, hosts);
      const throttle = this.#hooks.throttle(task);
      const limit = throttle > 0 ? new Semaphore(throttle) : undefined;
      let queued = batch.length;
      await Promise.all(batch.map(([h, w]) =>
        (limit ? limit : this.#forks).use(async () => {
          this.#hooks.waiting?.(--queued > 0);
          try {
            await w.work();
          } catch (err) {
            errors.set(h, err);
          }
        })
      ));
      this.#hooks.settled?.();
      this.#hooks.finish(task, hosts);
    } catch (err) {
      this.#failure ??= err;
    }
    this.#running = false;
    for (const [h, w] of batch) {
      if (errors.has(h)) w.reject(errors.get(h));
      else if (this.#failure) w.reject(this.#failure);
      else w.resolve();
    }
  }
}

/** `free`: hosts run ahead independently; forks bound the tasks in flight. */
export class FreeStrategy implements Strategy {
  #forks: Semaphore;
  #hooks: RoundHooks;
  #pinned: boolean;
  #forkCount: number;
  /** Hosts running (pinned: holding their fork) and not parked. */
  #active = new Set<string>();
  #parked = new Parked();
  constructor(forks: number, hooks: RoundHooks, pinned = false) {
    this.#forks = new Semaphore(forks);
    this.#forkCount = forks;
    this.#hooks = hooks;
    this.#pinned = pinned;
  }

  async run(hosts: string[], body: (host: string) => Promise<void>): Promise<void> {
    const running = async (h: string) => {
      this.#active.add(h);
      try {
        await body(h);
      } finally {
        this.#active.delete(h);
        if (this.#active.size === 0) this.#parked.release();
      }
    };
    if (this.#pinned) await Promise.all(hosts.map((h) => this.#forks.use(() => running(h))));
    else {
      // Ansible's free loop queues host after host, each waiting for a fork when there are fewer forks
      // than hosts, and reads the results after: a host's result is reported after the next start.
      this.#hooks.waiting?.(hosts.length > this.#forkCount);
      await Promise.all(hosts.map(running));
      this.#hooks.waiting?.(false);
    }
    this.#hooks.settled?.();
  }

  park(host: string): Promise<boolean> {
    this.#active.delete(host);
    const back = this.#parked.add(host);
    if (this.#active.size === 0) this.#parked.release();
    return back;
  }

  resume(host: string): void {
    if (this.#parked.take(host)) this.#active.add(host);
  }

  async request(host: string, task: Task, work: HostWork): Promise<void> {
    if (this.#hooks.step && !(await this.#hooks.step(task, host))) return;
    const run = async () => {
      this.#hooks.start(task, [host]);
      await work();
      this.#hooks.finish(task, [host]);
    };
    if (this.#pinned) await run();
    else {
      await this.#forks.use(run);
    }
  }

  insertNext(): void {}
}
