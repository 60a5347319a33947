// The event side of ansible-runner's display callback: runner reads a run's events from stdout, where
// the text of each event sits between two invisible markers (ESC[K, base64 JSON chunks each followed by
// ESC[<n>D, ESC[K), the first naming the event's uuid, the second empty; the event's data is written to
// AWX_ISOLATED_DATA_DIR/job_events/<uuid>-partial.json before its first marker. Runner cuts stdout at
// the markers, numbers the events and lines, and merges each partial file into
// artifacts/<ident>/job_events/<counter>-<uuid>.json.
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { Buffer } from "node:buffer";
import { Display, type DisplayOptions } from "./display.ts";

export type Data = Record<string, unknown>;

/** Python's datetime.now(timezone.utc).isoformat(): microseconds and "+00:00". */
export function isoNow(at: Date = new Date()): string {
  return at.toISOString().replace(/\.(\d{3})Z$/, ".$1000+00:00");
}

/** Runner's marker line width: base64 cut into chunks of this many characters. */
const CHUNK = 78;

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
