// The `awx_display` stdout callback: what ansible-runner (and AWX, Automation Platform, ansible-navigator
// on top of it) reads back from a run. The screen text is the wrapped callback's (default unless
// ORIGINAL_STDOUT_CALLBACK names another); around the text of each event go two invisible markers
// (ESC[K, base64 JSON chunks each followed by ESC[<n>D, ESC[K), the first naming the event's uuid, the
// second empty; the event's data goes into AWX_ISOLATED_DATA_DIR/job_events/<uuid>-partial.json before
// its first marker. Runner cuts stdout at the markers, numbers the events and lines, and merges each
// partial file into artifacts/<ident>/job_events/<counter>-<uuid>.json.
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { Buffer } from "node:buffer";
import type { Callback, PlayView, ResultEvent, StatsView, TaskView } from "./types.ts";
import { Display, type DisplayOptions } from "./display.ts";
import { KNOWN_MODULES } from "../_known_modules.ts";

/** The text runner's callback puts in place of a no_log result. */
export const CENSORED =
  "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

/** Runner's marker line width: base64 cut into chunks of this many characters. */
const CHUNK = 78;

type Data = Record<string, unknown>;

/** Python's datetime.now(timezone.utc).isoformat(): microseconds and "+00:00". */
function isoNow(at: Date = new Date()): string {
  return at.toISOString().replace(/\.(\d{3})Z$/, ".$1000+00:00");
}

/** Python's json.dumps with its default separators, for the markers' payload. */
function pyDumps(v: Data): string {
  const keys = Object.keys(v);
  return `{${keys.map((k) => `${JSON.stringify(k)}: ${JSON.stringify(v[k])}`).join(", ")}}`;
}

/** One marker: the payload as base64 in cursor-restoring chunks, invisible on a terminal. */
export function marker(payload: Data): string {
  const b64 = Buffer.from(pyDumps(payload), "utf8").toString("base64");
  let out = "\x1b[K";
  for (let at = 0; at < b64.length; at += CHUNK) {
    const chunk = b64.slice(at, at + CHUNK);
    out += `${chunk}\x1b[${chunk.length}D`;
  }
  return out + "\x1b[K";
}

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
  // Ansible's own task keywords-as-actions are never looked up as plugins.
  if (UNRESOLVED.has(short)) return null;
  if (!short.includes(".") && KNOWN_MODULES.has(short)) return `ansible.builtin.${short}`;
  return core?.[1] === "legacy" ? short : written;
}

export interface AwxEventsOptions {
  /** AWX_ISOLATED_DATA_DIR: where the partial event files go (none written without it). */
  dataDir?: string;
  out: (text: string) => void;
  err: (text: string) => void;
  /** The environment's JOB_ID, AD_HOC_COMMAND_ID, PROJECT_UPDATE_ID, RUNNER_OMIT_EVENTS, ... */
  env?: Record<string, string | undefined>;
  /** Python's str() of a value: MAX_EVENT_RES measures a result by its length. */
  pyStr?: (v: unknown) => string;
  pid?: number;
  uuid?: () => string;
  now?: () => Date;
}

const FAILED_EVENTS = new Set(["runner_on_failed", "runner_on_async_failed", "runner_on_item_failed"]);
const TRUE = (v: string | undefined) => (v ?? "False").toLowerCase() === "true";

/**
 * The event context and the writer of markers and partial files. Everything shown goes through
 * `write`: inside an event as it is, outside one (a warning, a verbose line) as an event of its own, as
 * runner's callback does for Display output outside its callback methods.
 */
export class AwxEvents {
  #o: AwxEventsOptions;
  /** Playbook, play and task of the moment, in every event's data. */
  #global: Data = {};
  #inEvent = false;
  /** Until the callback is loaded, text goes out as it is (runner makes each line a verbose event). */
  #active = false;
  /** Display flags of the text about to be written outside an event ({warning: true}, ...). */
  #flags: Data = {};
  #madeDir = false;

  constructor(opts: AwxEventsOptions) {
    this.#o = opts;
  }

  uuid(): string {
    return this.#o.uuid ? this.#o.uuid() : crypto.randomUUID();
  }

  now(): Date {
    return this.#o.now ? this.#o.now() : new Date();
  }

  /** The callback is loaded: from now on everything shown is part of an event. */
  activate(): void {
    this.#active = true;
  }

  setGlobal(data: Data): void {
    Object.assign(this.#global, data);
  }

  dropGlobal(keys: string[]): void {
    for (const k of keys) delete this.#global[k];
  }

  /** Runs `show` with Display flags for any text it writes outside an event. */
  flagged(flags: Data, show: () => void): void {
    if (this.#inEvent) return show();
    const saved = this.#flags;
    this.#flags = { ...saved, ...flags };
    try {
      show();
    } finally {
      this.#flags = saved;
    }
  }

  /** Text from the display: in the open event, else in an event of its own. */
  write(text: string, stderr: boolean): void {
    const sink = stderr ? this.#o.err : this.#o.out;
    if (this.#inEvent || !this.#active) return sink(text);
    const uuid = this.uuid();
    sink(this.#begin({ ...this.#global, ...this.#flags, uuid }));
    sink(text);
    sink(marker({}));
  }

  /** One callback event: its data recorded, its markers around whatever `show` writes. */
  event(event: string, data: Data, show: () => void): void {
    if (this.#inEvent) {
      // Nested callback events do not happen in Ansible; keep the text, lose nothing.
      show();
      return;
    }
    this.#o.out(this.#begin({ ...this.#global, ...data, event }));
    this.#inEvent = true;
    try {
      show();
    } finally {
      this.#inEvent = false;
      this.#o.out(marker({}));
    }
  }

  /** runner's get_begin_dict: the event name, parent link and data; the partial file; the marker. */
  #begin(ctx: Data): string {
    const data = { ...ctx };
    let event = data.event as string | undefined;
    delete data.event;
    if (!event) {
      event = ["debug", "verbose", "deprecated", "warning", "system_warning", "error"].find((k) => data[k]) ??
        "verbose";
    }
    const uuid = String(data.uuid ?? this.uuid());
    const env = this.#o.env ?? {};
    const dict: Data = { event };
    // AWX names the job an event belongs to through the environment
    for (
      const [key, name] of [["job_id", "JOB_ID"], ["ad_hoc_command_id", "AD_HOC_COMMAND_ID"], [
        "project_update_id",
        "PROJECT_UPDATE_ID",
      ]]
    ) {
      if (env[name]) dict[key] = parseInt(env[name]!, 10) || 0;
    }
    Object.assign(dict, { pid: this.#o.pid ?? process.pid, uuid, created: isoNow(this.now()) });
    for (const key of ["task_uuid", "play_uuid", "playbook_uuid"]) {
      const parent = data[key];
      if (parent && parent !== data.uuid) {
        dict.parent_uuid = parent;
        break;
      }
    }
    if ("verbosity" in data) {
      dict.verbosity = data.verbosity;
      delete data.verbosity;
    }
    // RUNNER_OMIT_EVENTS drops every event's data, RUNNER_ONLY_FAILED_EVENTS all but failures', and a
    // result longer than MAX_EVENT_RES (as Python prints it) is left out.
    const only = TRUE(env.RUNNER_ONLY_FAILED_EVENTS);
    if (TRUE(env.RUNNER_OMIT_EVENTS) || (only && !FAILED_EVENTS.has(event))) dict.event_data = {};
    else {
      const max = parseInt(env.MAX_EVENT_RES ?? "700000", 10);
      if (
        event !== "playbook_on_stats" && data.res !== undefined && this.#o.pyStr &&
        this.#o.pyStr(data.res).length > max
      ) {
        data.res = {};
      }
      dict.event_data = data;
    }
    this.#drop(uuid, dict);
    return marker({ uuid });
  }

  #drop(uuid: string, dict: Data): void {
    const dir = this.#o.dataDir;
    if (!dir) return;
    const events = path.join(dir, "job_events");
    if (!this.#madeDir) {
      fs.mkdirSync(events, { recursive: true, mode: 0o700 });
      this.#madeDir = true;
    }
    const file = path.join(events, `${uuid}-partial.json`);
    // Written aside and renamed, so runner never reads half a file.
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(dict), { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  }
}

/** A Display whose every line becomes part of an event (or one of its own, flagged by its kind). */
export class AwxDisplay extends Display {
  #ev: AwxEvents;

  constructor(opts: DisplayOptions, events: AwxEvents) {
    super({ ...opts, out: (t) => events.write(t, false), err: (t) => events.write(t, true) });
    this.#ev = events;
  }

  /** The event context this display writes into, which the callback shares. */
  get events(): AwxEvents {
    return this.#ev;
  }

  override banner(msg: string, color?: Parameters<Display["banner"]>[1]): void {
    this.#ev.flagged({ banner: true }, () => super.banner(msg, color));
  }

  override warning(msg: string, from: "main" | "task" = "task"): void {
    this.#ev.flagged({ warning: true }, () => super.warning(msg, from));
  }

  override deprecated(
    msg: string,
    version?: string,
    opts: { date?: string; collection?: string } = {},
  ): void {
    this.#ev.flagged({ deprecated: true }, () => super.deprecated(msg, version, opts));
  }

  override runError(msg: string): void {
    this.#ev.flagged({ error: true }, () => super.runError(msg));
  }

  override error(msg: string): void {
    this.#ev.flagged({ error: true }, () => super.error(msg));
  }

  override verbose(msg: string, level: number): void {
    this.#ev.flagged({ verbose: true, verbosity: level }, () => super.verbose(msg, level));
  }
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
  /** display_args_to_stdout: the task's args in `task_args` ("k=v, ..."). */
  displayArgs?: boolean;
  /** Renders an arg value like Python's str(). */
  pyStr: (v: unknown) => string;
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

  #uuidOf(kind: "task" | "play", id: number): string {
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
      task_args: "",
    };
    if (task.path) ctx.task_path = task.path;
    if (this.#o.displayArgs) {
      ctx.task_args = task.noLog ? CENSORED : Object.entries(task.args ?? {})
        .map(([k, v]) => `${k}=${this.#o.pyStr(v)}`).join(", ");
    }
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
    const base: Data = { ...this.#taskContext(task), host: ev.host, remote_addr: ev.host };
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
    this.#ev.event(name, data, () => this.#inner.itemResult(ev));
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

  warning(message: string): void {
    this.#inner.warning(message);
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
