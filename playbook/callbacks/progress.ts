// The live task progress a terminal shows while a task runs: which task, how many of its hosts are done
// out of how many, how long it has run, and the slowest hosts still running. The callback only keeps
// that state from the executor's events and says when it changed; drawing it is the caller's (one status
// line on stderr, see cli/_progress.ts), and the line itself is a pure function of the state and a time.
import type { PlayView, ResultEvent, TaskView } from "./types.ts";
import { IgnoringCallback } from "./_base.ts";
import { escapeControls } from "./display.ts";

export interface TaskProgress {
  /** As the banner names it ("role : name"), with RUNNING HANDLER or TASK. */
  label: string;
  started: number;
  /** Hosts the task runs on (as many as have started it, when the executor does not say). */
  total: number;
  done: number;
  /** Hosts still running it, and since when. */
  running: Map<string, number>;
}

/** How many of the slowest running hosts the line names. */
export const SLOWEST_SHOWN = 3;

function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, "0")}`;
}

/**
 * One line, e.g. `TASK [install] 3/10 hosts  0:12  running: web7 0:12, web2 0:11, db1 0:05, …` (the
 * slowest first), cut on the right to fit `width` columns, control characters escaped (a task's name may
 * come from templating a target's facts).
 */
export function taskProgressLine(p: TaskProgress, now: number, width = 80): string {
  const slowest = [...p.running].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, SLOWEST_SHOWN)
    .map(([host, since]) => `${host} ${clock(now - since)}`);
  const more = p.running.size > SLOWEST_SHOWN ? ", …" : "";
  const running = slowest.length ? `  running: ${slowest.join(", ")}${more}` : "";
  // Before any host has started (or been counted), there is no count worth showing yet.
  const count = p.total ? ` ${p.done}/${p.total} hosts` : "";
  const line = escapeControls(`${p.label}${count}  ${clock(now - p.started)}${running}`);
  const room = Math.max(width - 1, 8);
  return line.length > room ? `${line.slice(0, room - 1)}…` : line;
}

/** Keeps the running task's progress from the executor's events; `changed` is called on every change. */
export class ProgressCallback extends IgnoringCallback {
  readonly #now: () => number;
  readonly #changed: (p: TaskProgress | undefined) => void;
  #task: (TaskProgress & { id: number }) | undefined;

  constructor(changed: (p: TaskProgress | undefined) => void, now: () => number = () => performance.now()) {
    super();
    this.#changed = changed;
    this.#now = now;
  }

  /** The task running now, if any. */
  get current(): TaskProgress | undefined {
    return this.#task;
  }

  override taskStart(task: TaskView, prefix: "TASK" | "RUNNING HANDLER"): void {
    this.#task = {
      id: task.id,
      label: `${prefix} [${task.name}]`,
      started: this.#now(),
      total: 0,
      done: 0,
      running: new Map(),
    };
    this.#changed(this.#task);
  }

  /** The hosts a lockstep round runs the task on (the executor's taskHosts event). */
  override taskHosts(hosts: string[]): void {
    if (this.#task) this.#task.total = Math.max(this.#task.total, hosts.length);
    this.#changed(this.#task);
  }

  override runnerStart(host: string, task: TaskView): void {
    const t = this.#task;
    if (!t || t.id !== task.id || t.running.has(host)) return;
    t.running.set(host, this.#now());
    t.total = Math.max(t.total, t.done + t.running.size);
    this.#changed(t);
  }

  override result(ev: ResultEvent): void {
    const t = this.#task;
    if (!t || t.id !== ev.task.id || !t.running.delete(ev.host)) return;
    t.done++;
    this.#changed(t);
  }

  /** A new play: the last task's line goes (its vars_prompt may ask before any task starts). */
  override playStart(_play: PlayView): void {
    this.stats();
  }

  override stats(): void {
    this.#task = undefined;
    this.#changed(undefined);
  }

  override close(): void {
    this.stats();
  }
}
