// The `awx_display` stdout callback: what ansible-runner (and AWX, Automation Platform, ansible-navigator
// on top of it) reads back from a run. The screen text is the wrapped callback's (default unless
// ORIGINAL_STDOUT_CALLBACK names another); each callback event is framed and recorded by _awx_events.ts
// with the event data runner's own callback gives with ansible-core 2.14.
import {
  type AsyncView,
  type Callback,
  CENSORED,
  type PlayView,
  type ResultEvent,
  type StatsView,
  taskArgsText,
  type TaskView,
  type WarningSource,
} from "./types.ts";
import { KNOWN_MODULES } from "../_known_modules.ts";
import { AwxEvents, type Data, isoNow } from "./_awx_events.ts";
import { asyncLine } from "./default.ts";

export { AwxDisplay, AwxEvents } from "./_awx_events.ts";

/** Ansible's own task keywords-as-actions: never looked up as plugins, so not resolved. */
const UNRESOLVED = new Set([
  "meta",
  "include",
  "include_tasks",
  "include_role",
  "import_tasks",
  "import_role",
]);

/**
 * The fully qualified name Ansible resolves an action to (task.resolved_action): ansible-core's own
 * modules as ansible.builtin.*, a collection's by the name written, a library/ module by its short name.
 */
export function resolvedAction(written: string): string | null {
  const core = /^ansible\.(builtin|legacy)\.(.+)$/.exec(written);
  const short = core ? core[2] : written;
  if (UNRESOLVED.has(short)) return null;
  if (!short.includes(".") && KNOWN_MODULES.has(short)) return `ansible.builtin.${short}`;
  return core?.[1] === "legacy" ? short : written;
}

interface TaskContext extends Data {
  task: string;
  task_uuid: string;
  task_action: string;
  resolved_action: string | null;
  task_args: string;
}

const TASK_KEYS = [
  "task",
  "task_path",
  "task_uuid",
  "task_action",
  "task_args",
  "resolved_action",
  "role",
  "resolved_role",
];

export interface AwxDisplayOptions {
  /** --diff (or diff_always): ok results report their diffs in events of their own. */
  diff?: boolean;
  /** Whether the host is the implicit localhost, whose address is 127.0.0.1. */
  isImplicit?: (host: string) => boolean;
  /** display_args_to_stdout: events carry the task's args (`task_args`), Python's str() of each value. */
  displayArgs?: { pyStr: (v: unknown) => string };
}

/** Runner's display callback: the wrapped callback's output, cut into events with their data. */
export class AwxDisplayCallback implements Callback {
  #inner: Callback;
  #ev: AwxEvents;
  #o: AwxDisplayOptions;
  #playbookUuid: string;
  /** Ansible's uuid per task and play object (mito's ids), and the ones already announced. */
  #uuids = new Map<string, string>();
  #seenTasks = new Map<string, number>();
  #seenPlays = new Map<string, number>();
  #hostStart = new Map<string, Date>();
  /** A free strategy's play: its tasks start once per host. */
  #free = false;
  #prefixes = new Map<number, "TASK" | "RUNNING HANDLER">();
  /** Tasks announced by the executor whose first host has not started yet. */
  #unclaimed = new Set<number>();

  constructor(inner: Callback, events: AwxEvents, opts: AwxDisplayOptions) {
    this.#inner = inner;
    this.#ev = events;
    this.#o = opts;
    this.#playbookUuid = events.uuid();
    events.activate();
  }

  #uuidOf(kind: "task" | "play" | "async", id: number | string): string {
    const key = `${kind}:${id}`;
    let u = this.#uuids.get(key);
    if (!u) this.#uuids.set(key, u = this.#ev.uuid());
    return u;
  }

  /** A uuid seen before gets "_2", "_3", ... (free strategy, serial batches, a task run again). */
  #dedupe(seen: Map<string, number>, u: string): string {
    const n = seen.get(u);
    seen.set(u, (n ?? 0) + 1);
    return n === undefined ? u : `${u}_${n + 1}`;
  }

  #taskContext(task: TaskView): TaskContext {
    const ctx: TaskContext = {
      task: task.ownName || task.action,
      task_uuid: this.#uuidOf("task", task.id),
      task_action: task.action,
      resolved_action: resolvedAction(task.action),
      // the task's args only with display_args_to_stdout, and a no_log task's only as the censored text
      task_args: !this.#o.displayArgs
        ? ""
        : task.argsHidden
        ? CENSORED
        : taskArgsText(task, this.#o.displayArgs.pyStr),
    };
    if (task.path) ctx.task_path = task.path;
    if (task.role) {
      if (task.resolvedRole && task.resolvedRole !== task.role) ctx.resolved_role = task.resolvedRole;
      ctx.role = task.role;
    }
    return ctx;
  }

  #setTask(task: TaskView): void {
    this.#ev.dropGlobal(TASK_KEYS);
    this.#ev.setGlobal(this.#taskContext(task));
  }

  /** Runner's censoring of what escaped clean_copy: a no_log result, and no_log items of a loop. */
  #res(result: Data): Data {
    let res = result;
    if (res._ansible_no_log) res = { censored: CENSORED };
    if (Array.isArray(res.results) && res.results.length) {
      res = {
        ...res,
        results: res.results.map((x) =>
          typeof x === "object" && x !== null && (x as Data)._ansible_no_log ? { censored: CENSORED } : x
        ),
      };
    }
    return res;
  }

  #timing(host: string): Data {
    const start = this.#hostStart.get(host);
    if (!start) return { start: null, end: null, duration: null };
    const end = this.#ev.now();
    return { start: isoNow(start), end: isoNow(end), duration: (end.getTime() - start.getTime()) / 1000 };
  }

  playbookStart(file: string): void {
    this.#ev.dropGlobal(["play", "play_uuid", "play_pattern", ...TASK_KEYS]);
    this.#ev.setGlobal({ playbook: file, playbook_uuid: this.#playbookUuid });
    this.#ev.event("playbook_on_start", { uuid: this.#playbookUuid }, () => this.#inner.playbookStart(file));
  }

  playStart(play: PlayView): void {
    this.#free = ["free", "host_pinned"].includes(play.strategy.replace(/^ansible\.builtin\./, ""));
    const pattern = play.pattern ?? "";
    const uuid = this.#dedupe(this.#seenPlays, this.#uuidOf("play", play.id));
    const name = play.name.trim() || pattern;
    this.#ev.dropGlobal(TASK_KEYS);
    this.#ev.setGlobal({ play: name, play_uuid: uuid, play_pattern: pattern });
    this.#ev.event("playbook_on_play_start", { name, pattern, uuid }, () => this.#inner.playStart(play));
  }

  taskStart(task: TaskView, prefix: "TASK" | "RUNNING HANDLER"): void {
    this.#prefixes.set(task.id, prefix);
    if (this.#free) this.#unclaimed.add(task.id);
    this.#taskStartEvent(task, prefix, () => this.#inner.taskStart(task, prefix));
  }

  #taskStartEvent(task: TaskView, prefix: "TASK" | "RUNNING HANDLER", show: () => void): void {
    this.#setTask(task);
    const raw = this.#uuidOf("task", task.id);
    // A handler's start keeps its uuid; a task's repeats get a suffix.
    const handler = prefix === "RUNNING HANDLER";
    const uuid = handler ? raw : this.#dedupe(this.#seenTasks, raw);
    this.#ev.event(
      "playbook_on_task_start",
      { ...this.#taskContext(task), name: task.name, is_conditional: handler, uuid },
      show,
    );
  }

  runnerStart(host: string, task: TaskView): void {
    // The free strategies start a task for each host on its own (the default callback shows nothing then):
    // mito announces it once, runner's callback reports a start per host.
    if (this.#free && !this.#unclaimed.delete(task.id)) {
      this.#taskStartEvent(task, this.#prefixes.get(task.id) ?? "TASK", () => {});
    }
    this.#hostStart.set(host, this.#ev.now());
    this.#ev.event(
      "runner_on_start",
      { ...this.#taskContext(task), host, uuid: this.#ev.uuid() },
      () => this.#inner.runnerStart(host, task),
    );
  }

  result(ev: ResultEvent): void {
    const task = ev.task;
    const implicit = this.#o.isImplicit?.(ev.host) === true;
    const base: Data = {
      ...this.#taskContext(task),
      host: ev.host,
      remote_addr: implicit ? "127.0.0.1" : ev.host,
    };
    let res = ev.result;
    let data: Data;
    if (ev.status === "ok") {
      if (/^(ansible\.(builtin|legacy)\.)?(setup|gather_facts)$/.test(task.action)) {
        // runner leaves the environment out: the job already has it, with its secrets filtered
        const facts = res.ansible_facts as Data | undefined;
        if (facts && "ansible_env" in facts) {
          const rest = { ...facts };
          delete rest.ansible_env;
          res = { ...res, ansible_facts: rest };
        }
      }
      data = { ...base, res: this.#res(res), ...this.#timing(ev.host), event_loop: task.loopWith ?? null };
    } else if (ev.status === "failed") {
      data = {
        ...base,
        res: this.#res(res),
        ...this.#timing(ev.host),
        ignore_errors: ev.ignoreErrors ? true : null,
        event_loop: task.loopWith ?? null,
      };
    } else if (ev.status === "skipped") {
      data = { ...base, ...this.#timing(ev.host), event_loop: task.loopWith ?? null };
    } else {
      data = { ...base, ...this.#timing(ev.host), res: this.#res(res) };
    }
    data.uuid = this.#ev.uuid();
    const name = { ok: "runner_on_ok", failed: "runner_on_failed", skipped: "runner_on_skipped" }[
      ev.status as string
    ] ?? "runner_on_unreachable";
    // Ansible reports an ok result's diff first, as an event of its own (the items of a loop had theirs)
    if (ev.status === "ok" && this.#o.diff && "diff" in ev.result) {
      this.#fileDiff(ev);
      ev = { ...ev, diffShown: true };
    }
    this.#ev.event(name, data, () => this.#inner.result(ev));
  }

  itemResult(ev: ResultEvent): void {
    const name = `runner_item_on_${ev.status}`;
    const data = {
      ...this.#taskContext(ev.task),
      host: ev.host,
      res: this.#res(ev.result),
      uuid: this.#ev.uuid(),
    };
    // every ok item of a task in diff mode has its diff event, a diff or not
    if (ev.status === "ok" && this.#o.diff) {
      this.#fileDiff(ev);
      ev = { ...ev, diffShown: true };
    }
    this.#ev.event(name, data, () => this.#inner.itemResult(ev));
  }

  #fileDiff(ev: ResultEvent): void {
    const data = {
      ...this.#taskContext(ev.task),
      host: ev.host,
      diff: ev.result.diff ?? null,
      uuid: this.#ev.uuid(),
    };
    this.#ev.event("runner_on_file_diff", data, () => this.#inner.fileDiff?.(ev));
  }

  retry(ev: ResultEvent): void {
    const data = {
      ...this.#taskContext(ev.task),
      host: ev.host,
      res: this.#res(ev.result),
      uuid: this.#ev.uuid(),
    };
    this.#ev.event("runner_retry", data, () => this.#inner.retry(ev));
  }

  asyncStatus(host: string, task: TaskView, e: AsyncView): void {
    // mito's poller reports the job's state, not its whole status result
    const res: Data = { ansible_job_id: e.jid };
    if (e.started !== undefined) res.started = e.started;
    if (e.finished !== undefined) res.finished = e.finished;
    // Ansible polls through an async_status task of its own, made for the job: its polls carry that task
    const ctx: Data = e.kind === "poll"
      ? {
        task: "async_status",
        task_uuid: this.#uuidOf("async", e.jid),
        task_action: "async_status",
        resolved_action: null,
        task_args: "",
        task_path: "",
      }
      : this.#taskContext(task);
    const data = { ...ctx, host, res, jid: e.jid, uuid: this.#ev.uuid() };
    this.#ev.event(`runner_on_async_${e.kind}`, data, () => {
      if (this.#inner.asyncStatus) this.#inner.asyncStatus(host, task, e);
      else this.#inner.verbose(asyncLine(host, e), 0);
    });
  }

  include(file: string, hosts: string[], item?: unknown): void {
    this.#ev.event(
      "playbook_on_include",
      { included_file: file, uuid: this.#ev.uuid() },
      () => this.#inner.include(file, hosts, item),
    );
  }

  notify(handler: string, host: string): void {
    this.#ev.event(
      "playbook_on_notify",
      { host, handler, uuid: this.#ev.uuid() },
      () => this.#inner.notify?.(handler, host),
    );
  }

  noHostsMatched(): void {
    this.#ev.event(
      "playbook_on_no_hosts_matched",
      { uuid: this.#ev.uuid() },
      () => this.#inner.noHostsMatched(),
    );
  }

  noHostsRemaining(): void {
    this.#ev.event(
      "playbook_on_no_hosts_remaining",
      { uuid: this.#ev.uuid() },
      () => this.#inner.noHostsRemaining(),
    );
  }

  warning(message: string, from?: WarningSource): void {
    this.#inner.warning(message, from);
  }

  verbose(message: string, level: number): void {
    this.#inner.verbose(message, level);
  }

  stats(stats: StatsView): void {
    this.#ev.dropGlobal(["play", "play_uuid", "play_pattern", ...TASK_KEYS]);
    const per = (pick: (h: StatsView["hosts"][string]) => number) => {
      const out: Record<string, number> = {};
      for (const [host, s] of Object.entries(stats.hosts)) if (pick(s)) out[host] = pick(s);
      return out;
    };
    const data = {
      changed: per((s) => s.changed),
      dark: per((s) => s.unreachable),
      failures: per((s) => s.failures),
      ignored: per((s) => s.ignored),
      ok: per((s) => s.ok),
      processed: per(() => 1),
      rescued: per((s) => s.rescued),
      skipped: per((s) => s.skipped),
      artifact_data: stats.custom._run ?? {},
      uuid: this.#ev.uuid(),
    };
    this.#ev.event("playbook_on_stats", data, () => this.#inner.stats(stats));
  }

  close(): void {
    this.#inner.close();
  }
}
