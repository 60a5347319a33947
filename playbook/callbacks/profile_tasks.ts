// The `profile_tasks` aggregate callback (ansible.posix.profile_tasks): a timestamp line as each task
// starts, and at the end the tasks with the time each took, slowest first (PROFILE_TASKS_SORT_ORDER,
// PROFILE_TASKS_TASK_OUTPUT_LIMIT).
import type { TaskView } from "./types.ts";
import type { Display } from "./display.ts";
import { IgnoringCallback } from "./_base.ts";
import { strftime } from "../template/_strftime.ts";

const two = (n: number) => String(n).padStart(2, "0");

/** Seconds as h:mm:ss.mmm, each part truncated. */
export function secondsToStr(seconds: number): string {
  const ms = Math.floor(seconds * 1000);
  const h = Math.floor(ms / 3_600_000), m = Math.floor(ms / 60_000) % 60, s = Math.floor(ms / 1000) % 60;
  return `${h}:${two(m)}:${two(s)}.${String(ms % 1000).padStart(3, "0")}`;
}

/** The message, a space, then `fill` up to column 79 (at least 3), and a space. */
export function filled(msg: string, fill = "*"): string {
  if (msg) msg += " ";
  const width = Math.max(3, 79 - [...msg].length);
  return `${msg}${fill.repeat(width)} `;
}

export interface ProfileOptions {
  /** PROFILE_TASKS_SORT_ORDER: descending (default), ascending or none (the order they ran). */
  sortOrder: "descending" | "ascending" | "none";
  /** PROFILE_TASKS_TASK_OUTPUT_LIMIT: how many tasks the summary lists (default 20; undefined: all). */
  outputLimit?: number;
  /** The clock, in milliseconds. */
  now?: () => number;
  /** The timestamp line as each task starts (default true); the summary alone is mito's run-end table. */
  timestamps?: boolean;
}

/** The callback's options from its environment variables, refusing values it does not know. */
export function profileOptions(
  env: Record<string, string | undefined>,
  prefix: "PROFILE_TASKS" | "PROFILE_ROLES",
): { options: ProfileOptions; problems: string[] } {
  const problems: string[] = [];
  const order = env[`${prefix}_SORT_ORDER`] ?? "descending";
  const sortOrder = ["descending", "ascending", "none"].includes(order)
    ? order as ProfileOptions["sortOrder"]
    : (problems.push(`${prefix}_SORT_ORDER must be descending, ascending or none, not '${order}'`),
      "descending");
  const limitText = env[`${prefix}_TASK_OUTPUT_LIMIT`] ?? "20";
  let outputLimit: number | undefined = 20;
  if (limitText === "all") outputLimit = undefined;
  else if (/^\s*\d+\s*$/.test(limitText)) outputLimit = Number(limitText);
  else problems.push(`${prefix}_TASK_OUTPUT_LIMIT must be a number or 'all', not '${limitText}'`);
  return { options: { sortOrder, outputLimit }, problems };
}

/** The timestamp line shown as each task starts: the time, the last task's duration, the run's so far. */
export class TaskClock {
  readonly now: () => number;
  #t0: number;
  #tn: number;
  constructor(now: () => number = Date.now) {
    this.now = now;
    this.#t0 = this.#tn = now();
  }
  line(): string {
    const now = this.now();
    const line = `${strftime("%A %d %B %Y  %H:%M:%S %z", new Date(now), false)} (${
      secondsToStr((now - this.#tn) / 1000)
    })${" ".repeat(7)}${secondsToStr((now - this.#t0) / 1000)}`;
    this.#tn = now;
    return filled(line);
  }
}

interface Timing {
  started: number;
  elapsed: number;
  name: string;
  path?: string;
}

export class ProfileTasksCallback extends IgnoringCallback {
  #d: Display;
  #o: ProfileOptions;
  #now: () => number;
  #clock: TaskClock;
  #current: string | undefined;
  #stats = new Map<string, Timing>();

  constructor(display: Display, opts: ProfileOptions) {
    super();
    this.#d = display;
    this.#o = opts;
    this.#clock = new TaskClock(opts.now);
    this.#now = this.#clock.now;
  }

  #stop(): void {
    if (this.#current === undefined) return;
    const t = this.#stats.get(this.#current)!;
    t.elapsed += (this.#now() - t.started) / 1000;
  }

  override taskStart(task: TaskView): void {
    if (this.#o.timestamps !== false) this.#d.display(this.#clock.line());
    else this.#clock.line();
    this.#stop();
    const key = String(task.id);
    this.#current = key;
    const t = this.#stats.get(key);
    if (t) t.started = this.#now();
    else this.#stats.set(key, { started: this.#now(), elapsed: 0, name: task.name });
    if (this.#d.verbosity >= 2 && task.path) this.#stats.get(key)!.path = task.path;
  }

  override stats(): void {
    this.#d.display(this.#clock.line());
    this.#d.display(filled("", "="));
    this.#stop();
    this.#current = undefined;
    let rows = [...this.#stats.values()];
    if (this.#o.sortOrder !== "none") {
      const sign = this.#o.sortOrder === "descending" ? -1 : 1;
      rows = rows.sort((a, b) => sign * (a.elapsed - b.elapsed));
    }
    if (this.#o.outputLimit !== undefined) rows = rows.slice(0, this.#o.outputLimit);
    const width = this.#d.columns - 9;
    for (const r of rows) {
      let msg = padWith(`${r.name} `, width, "-") + ` ${r.elapsed.toFixed(2)}s`.padStart(9, "-");
      if (r.path) msg += "\n" + padWith(`${r.path} `, this.#d.columns, "-");
      this.#d.display(msg);
    }
  }
}

/** str.format's `{:-<N}`: left-aligned, filled to N code points. */
export function padWith(s: string, width: number, fill: string): string {
  return s + fill.repeat(Math.max(0, width - [...s].length));
}
