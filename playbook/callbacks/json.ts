// The `json` stdout callback: one JSON document at the end, shaped like Ansible's json callback.
import type { Callback, PlayView, ResultEvent, StatsView, TaskView, WarningSource } from "./types.ts";
import type { Display } from "./display.ts";
import { pyJson } from "./_pyjson.ts";

interface TaskEntry {
  task: { name: string; id: string; path: string; duration: { start: string; end?: string } };
  hosts: Record<string, Record<string, unknown>>;
}
interface PlayEntry {
  play: { name: string; id: string; path: string; duration: { start: string; end?: string } };
  tasks: TaskEntry[];
}

const now = () => new Date().toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");

/** Ids in the uuid shape Ansible prints, unique per run. */
function uuid(runId: string, n: number): string {
  return `${runId}-${n.toString(16).padStart(12, "0")}`;
}

export class JsonCallback implements Callback {
  #d: Display;
  #plays: PlayEntry[] = [];
  #lockstep = true;
  #pending = new Map<string, TaskEntry>();
  #runId: string;
  #indent: number;

  constructor(display: Display, opts: { indent?: number } = {}) {
    this.#d = display;
    this.#indent = opts.indent ?? 4;
    const hex = () => Math.floor(Math.random() * 0x10000).toString(16).padStart(4, "0");
    this.#runId = `${hex()}${hex()}-${hex()}-${hex()}-${hex()}`;
  }

  playbookStart(): void {}

  playStart(play: PlayView): void {
    this.#lockstep = !["free", "host_pinned"].includes(play.strategy.replace(/^ansible\.builtin\./, ""));
    this.#plays.push({
      play: { name: play.name, id: uuid(this.#runId, play.id), path: play.path, duration: { start: now() } },
      tasks: [],
    });
  }

  #newTask(task: TaskView): TaskEntry {
    return {
      task: { name: task.name, id: uuid(this.#runId, task.id), path: task.path, duration: { start: now() } },
      hosts: {},
    };
  }

  taskStart(task: TaskView): void {
    this.#d.beginTask();
    if (!this.#lockstep) return;
    this.#plays[this.#plays.length - 1]?.tasks.push(this.#newTask(task));
  }

  runnerStart(host: string, task: TaskView): void {
    if (this.#lockstep) return;
    const entry = this.#newTask(task);
    this.#pending.set(`${host}\0${task.id}`, entry);
    this.#plays[this.#plays.length - 1]?.tasks.push(entry);
  }

  result(ev: ResultEvent): void {
    const play = this.#plays[this.#plays.length - 1];
    if (!play) return;
    const key = `${ev.host}\0${ev.task.id}`;
    const entry = this.#pending.get(key) ?? play.tasks[play.tasks.length - 1];
    if (!entry) return;
    const r: Record<string, unknown> = { ...ev.result };
    if (ev.status === "failed") r.failed = true;
    if (ev.status === "skipped") r.skipped = true;
    r.action = ev.task.action;
    entry.hosts[ev.host] = r;
    const end = now();
    entry.task.duration.end = end;
    play.play.duration.end = end;
    this.#pending.delete(key);
  }

  itemResult(): void {}
  retry(): void {}
  include(): void {}
  noHostsMatched(): void {}
  noHostsRemaining(): void {}
  warning(message: string, from?: WarningSource): void {
    this.#d.warning(message, from);
  }
  verbose(): void {}

  stats(stats: StatsView): void {
    const summary: Record<string, unknown> = {};
    for (const h of Object.keys(stats.hosts).sort()) summary[h] = { ...stats.hosts[h] };
    const custom: Record<string, unknown> = { ...stats.custom };
    const global = (custom._run as Record<string, unknown>) ?? {};
    delete custom._run;
    // Machine-readable: exact values, written as given; ensure_ascii (as Ansible's json callback) is
    // also what keeps a target's control characters, C1 included, from reaching a terminal raw.
    this.#d.write(
      pyJson(
        { plays: this.#plays, stats: summary, custom_stats: custom, global_custom_stats: global },
        this.#indent,
        { ascii: true },
      ) + "\n",
    );
  }

  close(): void {}
}
