// ansible-runner's job events, read the way runner reads them and made comparable between two runs: the
// golden streams recorded from ansible-playbook under runner (scripts/runner-compare.ts --record) and
// mito's, replayed without runner (tests/runner_events_test.ts).
import * as fs from "node:fs";
import * as path from "node:path";

export type Data = Record<string, unknown>;

export interface RunnerEvent extends Data {
  uuid: string;
  counter: number;
  stdout: string;
  start_line: number;
  end_line: number;
  event: string;
}

/** Runner's marker: ESC[K, base64 chunks each followed by ESC[<n>D, ESC[K. */
// deno-lint-ignore no-control-regex
const MARKER = /\x1b\[K((?:[A-Za-z0-9+/=]+\x1b\[\d+D)+)\x1b\[K/g;

function splitLinesKeep(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/**
 * The events runner's OutputEventFilter makes of a whole stream: the text between an event's two markers
 * is its stdout, text outside events is one `verbose` event per line; counters and line numbers run over
 * the stream; each event's partial file (read by `partial`) is merged in.
 */
export function eventsFromStream(
  stream: string,
  partial: (uuid: string) => Data | undefined,
  newUuid: () => string = () => crypto.randomUUID(),
): RunnerEvent[] {
  const out: RunnerEvent[] = [];
  let counter = 0;
  let line = 0;
  let current: Data | undefined;
  const emit = (buffered: string, next: Data) => {
    const chunks = current ? [buffered] : buffered ? splitLinesKeep(buffered) : [];
    for (const chunk of chunks) {
      const base: Data = current ? { ...current } : { event: "verbose", uuid: newUuid() };
      const n = (chunk.match(/\n/g) ?? []).length;
      const ev = {
        ...base,
        counter: ++counter,
        stdout: chunk.replace(/[\n\r]+$/, ""),
        start_line: line,
        end_line: line + n,
      } as RunnerEvent;
      line += n;
      const more = typeof ev.uuid === "string" && current ? partial(ev.uuid) : undefined;
      out.push(more ? { ...ev, ...more } as RunnerEvent : ev);
    }
    current = typeof next.uuid === "string" ? next : undefined;
  };
  let at = 0;
  for (const m of stream.matchAll(MARKER)) {
    let payload: Data = {};
    try {
      // deno-lint-ignore no-control-regex
      payload = JSON.parse(atob(m[1].replace(/\x1b\[\d+D/g, "")));
    } catch {
      payload = {};
    }
    emit(stream.slice(at, m.index), payload);
    at = m.index! + m[0].length;
  }
  emit(stream.slice(at), {});
  return out;
}

/** runner's artifacts/<ident>/job_events: its event files in counter order. */
export function readJobEvents(dir: string): RunnerEvent[] {
  return fs.readdirSync(dir)
    .filter((f) => /^\d+-.*\.json$/.test(f))
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as RunnerEvent)
    .sort((a, b) => a.counter - b.counter);
}

/** A partial-file reader for AWX_ISOLATED_DATA_DIR (the files runner merges, then removes). */
export function partialReader(dataDir: string): (uuid: string) => Data | undefined {
  return (uuid) => {
    const file = path.join(dataDir, "job_events", `${uuid}-partial.json`);
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : undefined;
  };
}

const TASK_BOUNDARIES = new Set([
  "playbook_on_start",
  "playbook_on_play_start",
  "playbook_on_task_start",
  "playbook_on_stats",
]);

const hostOf = (e: RunnerEvent) => (e.event_data as Data | undefined)?.host;

/** What a worker reports while it runs: Ansible's results thread shows it when it arrives. */
const WORKER_SIDE = /^runner_(item_on_|retry$|on_async_)/;

/**
 * Lockstep plays. Ansible's main loop starts each host of a task (runner_on_start) and reports the hosts
 * that finished (notify, diff, result) between starts. When hosts wait for a fork (the project's forks =
 * 1) that order is Ansible's and is kept (`kept`). With a fork per host the starts and the results come
 * as fast as the hosts finish, which differs from run to run: the starts are put first and each host's
 * reports in the order the hosts started. What a worker reports while it runs (items, retries, async
 * polls) comes through another thread, at any time before its host's result: it is put just before that.
 */
function lockstepOrder(events: RunnerEvent[], kept: boolean): RunnerEvent[] {
  const out: RunnerEvent[] = [];
  let group: RunnerEvent[] = [];
  const flush = () => {
    const placed: RunnerEvent[] = [];
    const floating = new Map<unknown, RunnerEvent[]>();
    for (const e of group) {
      const host = hostOf(e);
      if (host !== undefined && WORKER_SIDE.test(e.event)) {
        floating.set(host, [...(floating.get(host) ?? []), e]);
        continue;
      }
      if (host !== undefined && e.event !== "runner_on_start" && floating.has(host)) {
        placed.push(...floating.get(host)!);
        floating.delete(host);
      }
      placed.push(e);
    }
    placed.push(...[...floating.values()].flat());
    if (kept) {
      out.push(...placed);
    } else {
      const starts = placed.filter((e) => e.event === "runner_on_start");
      const hosts = starts.map(hostOf);
      const rank = (e: RunnerEvent) => hosts.indexOf(hostOf(e));
      const rest = placed.filter((e) => e.event !== "runner_on_start");
      const byHost = rest.filter((e) => rank(e) >= 0).sort((a, b) => rank(a) - rank(b));
      out.push(...starts, ...byHost, ...rest.filter((e) => rank(e) < 0));
    }
    group = [];
  };
  for (const e of events) {
    if (TASK_BOUNDARIES.has(e.event)) {
      flush();
      out.push(e);
    } else group.push(e);
  }
  flush();
  return out;
}

/**
 * Free strategies with a fork per host: each host goes through the play at its own pace, a task starting
 * once per host, so each host's events (a task's start going with the host that starts it next) come
 * together, the hosts in the order they first started a task.
 */
function hostOrder(play: RunnerEvent[]): RunnerEvent[] {
  const lanes = new Map<unknown, RunnerEvent[]>();
  const pending = new Map<unknown, RunnerEvent[]>();
  const rest: RunnerEvent[] = [];
  for (const e of play) {
    const task = (e.event_data as Data | undefined)?.task_uuid;
    if (e.event === "playbook_on_task_start") {
      pending.set(task, [...(pending.get(task) ?? []), e]);
    } else if (hostOf(e) !== undefined) {
      if (!lanes.has(hostOf(e))) lanes.set(hostOf(e), []);
      const lane = lanes.get(hostOf(e))!;
      if (e.event === "runner_on_start" && pending.get(task)?.length) lane.push(pending.get(task)!.shift()!);
      lane.push(e);
    } else rest.push(e);
  }
  return [...[...lanes.values()].flat(), ...[...pending.values()].flat(), ...rest];
}

/** Events in an order that does not depend on which host finished first; lines renumbered to match. */
function canonicalOrder(events: RunnerEvent[], kept: boolean): RunnerEvent[] {
  const out: RunnerEvent[] = [];
  let play: RunnerEvent[] = [];
  const flush = () => {
    // A task started twice in one play (not a later serial batch, whose play uuid differs): free strategy.
    const starts = play.filter((e) => e.event === "playbook_on_task_start")
      .map((e) => (e.event_data as Data).task_uuid);
    const free = new Set(starts).size < starts.length;
    out.push(...(free && !kept ? hostOrder(play) : lockstepOrder(play, kept)));
    play = [];
  };
  for (const e of events) {
    if (["playbook_on_start", "playbook_on_play_start", "playbook_on_stats"].includes(e.event)) {
      flush();
      out.push(e);
    } else play.push(e);
  }
  flush();
  let line = 0;
  return out.map((e, i) => {
    const n = e.end_line - e.start_line;
    const moved = { ...e, counter: i + 1, start_line: line, end_line: line + n };
    line += n;
    return moved;
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(_\d+)?$/;
const TIME_KEYS = new Set(["start", "end", "delta"]);

/**
 * Events made comparable between runs: uuids numbered in order of appearance, times, pids and the
 * runner ident dropped, the project directory named `<project>`, gathered facts (the machine's) left
 * out, and the hosts of a task in one order where the run's `forks` lets it vary.
 */
export function normaliseEvents(
  events: RunnerEvent[],
  projectDir: string,
  opts: { forks?: number } = {},
): Data[] {
  const ids = new Map<string, string>();
  const id = (u: string) => {
    if (!ids.has(u)) ids.set(u, `U${ids.size}`);
    return ids.get(u)!;
  };
  const walk = (v: unknown, key?: string, inRes = false): unknown => {
    if (typeof v === "string") {
      if (UUID.test(v)) return id(v);
      if (inRes && key && TIME_KEYS.has(key)) return "<time>";
      return v.split(projectDir).join("<project>");
    }
    if (Array.isArray(v)) return v.map((x) => walk(x, undefined, inRes));
    if (v && typeof v === "object") {
      const out: Data = {};
      for (const k of Object.keys(v).sort()) {
        const x = (v as Data)[k];
        if (k === "ansible_facts" && inRes) out[k] = "<facts>";
        else out[k] = walk(x, k, inRes || k === "res");
      }
      return out;
    }
    return v;
  };
  return canonicalOrder(events, (opts.forks ?? 1) === 1).map((raw) => {
    const e: Data = { ...raw };
    for (const k of ["pid", "created", "runner_ident"]) delete e[k];
    const data = e.event_data ? { ...(e.event_data as Data) } : undefined;
    if (data) {
      for (const k of ["start", "end", "duration"]) {
        if (data[k] !== undefined && data[k] !== null) data[k] = "<time>";
      }
      e.event_data = data;
    }
    e.stdout = String(e.stdout).replace(/"(start|end|delta)": "[^"]*"/g, '"$1": "<time>"');
    return walk(e) as Data;
  });
}

/**
 * A golden file: the exit code, the hosts in the fact cache, and the normalised events, one a line; a
 * golden recorded with settings of its own names its playbook and the environment it ran with.
 */
export function goldenText(
  rc: number,
  factCache: string[],
  events: Data[],
  run: { playbook?: string; env?: Record<string, string> } = {},
): string {
  const head = [
    `"rc": ${rc}`,
    ...(run.playbook ? [`"playbook": ${JSON.stringify(run.playbook)}`] : []),
    ...(run.env && Object.keys(run.env).length ? [`"env": ${JSON.stringify(run.env)}`] : []),
    `"factCache": ${JSON.stringify(factCache)}`,
  ];
  return `{${head.join(", ")}, "events": [\n${events.map((e) => JSON.stringify(e)).join(",\n")}\n]}\n`;
}

/** The forks a run of tests/runner/project has: its ansible.cfg's one, unless ANSIBLE_FORKS says. */
export function runForks(env: Record<string, string> | undefined): number {
  return Number(env?.ANSIBLE_FORKS ?? 1);
}

export interface Golden {
  rc: number;
  playbook?: string;
  env?: Record<string, string>;
  factCache?: string[];
  events: Data[];
}

export function readGolden(file: string): Golden {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

/** Where two normalised streams differ, one line each: the event's index and the differing fields. */
export function eventDiffs(want: Data[], got: Data[]): string[] {
  const out: string[] = [];
  if (want.length !== got.length) out.push(`${want.length} events expected, ${got.length} seen`);
  for (let i = 0; i < Math.max(want.length, got.length); i++) {
    const a = want[i] ?? {};
    const b = got[i] ?? {};
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    const fields: string[] = [];
    const flat = (e: Data): Data => ({ ...e, ...(e.event_data as Data ?? {}), event_data: undefined });
    const fa = flat(a);
    const fb = flat(b);
    for (const k of [...new Set([...Object.keys(fa), ...Object.keys(fb)])].sort()) {
      if (JSON.stringify(fa[k]) !== JSON.stringify(fb[k])) {
        fields.push(`  ${k}: ${JSON.stringify(fa[k])} | ${JSON.stringify(fb[k])}`);
      }
    }
    out.push(`#${i + 1} ${String(a.event)} | ${String(b.event)}\n${fields.join("\n")}`);
  }
  return out;
}
