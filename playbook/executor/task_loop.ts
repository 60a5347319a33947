// A task's loop, without its side effects: the items a loop or with_<lookup> gives, each item's
// variables (loop_var, index_var, ansible_loop), what an item's result carries, the aggregate result,
// whether items may be sent ahead of earlier replies, and the window of items sent ahead.
import { ExecutionError } from "../errors.ts";
import type { Task } from "../model.ts";
import type { LayeredVars } from "../vars.ts";
import { CONTROLLER_ACTIONS, type Result } from "../actions.ts";
import { LOOP_SOURCES, LoopError, withLoopItems } from "../loops.ts";
import { isTemplateText } from "../task_args.ts";
import { wrapVar } from "../template/mod.ts";
import type { ExecutorOptions } from "./types.ts";
import { bool, isMap } from "./_util.ts";
import { isFailed } from "./results.ts";

/** How many loop items a pipelined loop keeps sent ahead of the one whose reply it awaits. */
export const LOOP_WINDOW = 256;
/** Modules whose items are never sent ahead (see pipelinable). */
const NOT_PIPELINED = new Set([
  "include_tasks",
  "include_role",
  "import_tasks",
  "import_role",
  "meta",
  "setup",
  "gather_facts",
  "raw",
  "fetch",
  "script",
  "unarchive",
  "synchronize",
  "async_status",
  "wait_for_connection",
  "reboot",
]);

/** Task keywords that choose the context a task runs in (beside the `ansible_*` variables of its vars). */
const CONNECTION_KEYWORDS = [
  "become",
  "become_user",
  "become_method",
  "become_exe",
  "become_flags",
  "connection",
  "delegate_to",
  "remote_user",
  "port",
];
const templated = (v: unknown): boolean =>
  typeof v === "string"
    ? isTemplateText(v)
    : isMap(v) || Array.isArray(v)
    ? Object.values(v).some(templated)
    : false;

/** A promise's outcome as a value: a reply that fails before it is awaited must not go unhandled. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };
export const settle = <T>(p: Promise<T>): Promise<Settled<T>> =>
  p.then((value) => ({ ok: true as const, value }), (error) => ({ ok: false as const, error }));
export const unsettle = <T>(s: Settled<T>): T => {
  if (s.ok) return s.value;
  throw s.error;
};

/** A loop item once its `when` and arguments were templated (and, pipelined, its call sent). */
export type StartedItem =
  & { layer: Record<string, unknown>; ivars: LayeredVars; itemNoLog: boolean }
  & ({ ok: true; run: () => Promise<Result> } | { ok: false; error: unknown });

/** The items of a task's `loop` or `with_<lookup>`, templated (`searchPath` for with_<file lookups>). */
export function loopItems(
  task: Task,
  vars: LayeredVars,
  o: Pick<ExecutorOptions, "templar" | "pyStr"> & { searchPath(): string[] },
): unknown[] {
  const t = o.templar;
  const raw = task.kw.loop;
  if (task.loopWith) {
    // first_found skips the names that cannot be templated, as Ansible's task executor does
    const firstFound = task.loopWith === "first_found";
    let terms = t.template(raw, vars, { failOnUndefined: !firstFound });
    if (firstFound && Array.isArray(terms)) {
      terms = terms.filter((x) => !(typeof x === "string" && isTemplateText(x)));
    }
    if (!LOOP_SOURCES.has(task.loopWith) && t.loopLookup) {
      // any other lookup plugin (with_file, with_lines, with_ini…), its terms listified as Ansible does
      return t.loopLookup(task.loopWith, Array.isArray(terms) ? terms : [terms], vars);
    }
    // the lookup's subdirectory follows the action, as Ansible's task executor sets it
    const subdir = ["template", "var", "file"].find((s) => task.actionWritten.includes(s)) ?? "file";
    try {
      // what a with_<lookup> gives is data, as any lookup's: Ansible's task executor wraps it unsafe
      return wrapVar(withLoopItems(task.loopWith, terms, {
        searchPath: o.searchPath(),
        subdir: `${subdir}s`,
      })) as unknown[];
    } catch (err) {
      if (err instanceof LoopError) throw new ExecutionError(err.message);
      throw err;
    }
  }
  const items = t.template(raw, vars);
  if (!Array.isArray(items)) {
    throw new ExecutionError(
      `Invalid data passed to 'loop', it requires a list, got this instead: ${o.pyStr(items)}. ` +
        `Hint: If you passed a list/dict of just one element, try adding wantlist=True to your lookup invocation or use q/query instead of lookup.`,
    );
  }
  return items;
}

/**
 * Whether a loop's items may be sent before earlier items have answered: only when no item can
 * change what the next one does. Controller actions (set_fact, include_*, debug …) read and write
 * controller state, fact modules feed later templating, `until`/`pause`/`break_when` depend on each
 * reply, and the multi-step file actions or `raw` (its own exec) do not keep item order on the target.
 * `pipelines` is the runner's own answer (HostRunner.pipelines).
 */
export function pipelinable(
  task: Task,
  loopControl: Record<string, unknown>,
  pauseS: number,
  pipelines: boolean | undefined,
): boolean {
  if (pauseS > 0 || loopControl.break_when !== undefined) return false;
  if (task.kw.until !== undefined || task.kw.async !== undefined) return false;
  // Items that may each reach another context (`become_user: "{{ item }}"`) go one at a time, so the
  // interpreter cap can recycle between them instead of finding every interpreter busy.
  const vars = isMap(task.kw.vars) ? task.kw.vars : {};
  if (CONNECTION_KEYWORDS.some((k) => templated(task.kw[k]))) return false;
  if (Object.keys(vars).some((k) => k.startsWith("ansible_") && templated(vars[k]))) return false;
  const a = task.action;
  if (CONTROLLER_ACTIONS[a] || NOT_PIPELINED.has(a) || a.endsWith("_facts")) return false;
  return pipelines !== false;
}

/** loop_control's settings that shape each item's variables and the pace of the loop. */
export interface LoopSettings {
  loopVar: string;
  indexVar?: string;
  /** ansible_loop is set (loop_control.extended)... */
  extended: boolean;
  /** ...with allitems unless extended_allitems is false. */
  allItems: boolean;
  /** Seconds between items. */
  pause: number;
}

/**
 * loop_control's settings; `template` renders them, as Ansible templates all of loop_control but its
 * label before the first item (`loop_var: "{{ name }}"`).
 */
export function loopSettings(
  loopControl: Record<string, unknown>,
  template: (v: unknown) => unknown,
): LoopSettings {
  return {
    loopVar: String(template(loopControl.loop_var ?? "item")),
    indexVar: loopControl.index_var !== undefined ? String(template(loopControl.index_var)) : undefined,
    extended: loopControl.extended !== undefined ? bool(template(loopControl.extended)) : false,
    allItems: loopControl.extended_allitems === undefined || bool(template(loopControl.extended_allitems)),
    pause: loopControl.pause !== undefined ? Number(template(loopControl.pause)) : 0,
  };
}

/** The variables item `i` adds on top of the task's: the loop variable, index_var, ansible_loop. */
export function itemLayer(items: unknown[], i: number, s: LoopSettings): Record<string, unknown> {
  const item = items[i];
  const layer: Record<string, unknown> = { ansible_loop_var: s.loopVar, [s.loopVar]: item };
  if (s.indexVar) {
    layer.ansible_index_var = s.indexVar;
    layer[s.indexVar] = i;
  }
  if (s.extended) {
    const loop: Record<string, unknown> = {
      index: i + 1,
      index0: i,
      first: i === 0,
      last: i + 1 === items.length,
      length: items.length,
      revindex: items.length - i,
      revindex0: items.length - i - 1,
    };
    if (s.allItems) loop.allitems = items;
    if (i + 1 < items.length) loop.nextitem = items[i + 1];
    if (i > 0) loop.previtem = items[i - 1];
    layer.ansible_loop = loop;
  }
  return layer;
}

/** What an item's result carries about its item, in place (Ansible's per-item result keys). */
export function markItemResult(
  r: Result,
  item: { value: unknown; index: number; layer: Record<string, unknown> },
  s: LoopSettings,
  ignoreErrors: boolean,
): void {
  r[s.loopVar] = item.value;
  r.ansible_loop_var = s.loopVar;
  if (s.indexVar) {
    r[s.indexVar] = item.index;
    r.ansible_index_var = s.indexVar;
  }
  if (s.extended) r.ansible_loop = item.layer.ansible_loop;
  r._ansible_item_result = true;
  r._ansible_ignore_errors = ignoreErrors;
}

/** How callbacks are told of an item's result. */
export function itemStatus(r: Result): "failed" | "skipped" | "ok" {
  return isFailed(r) || r.unreachable ? "failed" : r.skipped ? "skipped" : "ok";
}

/** The loop's result from its items' results (which lose their warnings and deprecations to it). */
export function loopResult(results: Result[], noLog: boolean): Result {
  let agg: Result;
  if (results.length === 0) {
    agg = { changed: false, skipped: true, skipped_reason: "No items in the list", results: [] };
  } else {
    agg = { results };
    agg.skipped = results.every((r) => r.skipped === true);
    if (results.some((r) => r.changed === true)) agg.changed = true;
    if (results.some((r) => r.failed === true)) {
      agg.failed = true;
      agg.msg = "One or more items failed";
      for (const r of results) if (r.failed) delete r._ansible_ignore_errors;
    } else agg.msg = agg.skipped ? "All items skipped" : "All items completed";
    if (!("changed" in agg)) agg.changed = false;
    for (const k of ["warnings", "deprecations"]) {
      const acc = results.flatMap((r) => (Array.isArray(r[k]) ? r[k] as unknown[] : []));
      for (const r of results) delete r[k];
      if (acc.length) agg[k] = acc;
    }
  }
  if (noLog) agg._ansible_no_log = true;
  if (noLog) agg._ansible_no_log = true;
  return agg;
}

/**
 * Starts loop items ahead of the one awaited, up to `ahead` of them (1: each when its turn comes); a
 * start that failed starts no further items.
 */
export class ItemWindow<S extends { ok: boolean }> {
  #count: number;
  #ahead: number;
  #start: (i: number) => S;
  #inFlight: S[] = [];
  #next = 0;
  #startFailed = false;

  constructor(opts: { count: number; ahead: number; start: (i: number) => S }) {
    this.#count = opts.count;
    this.#ahead = opts.ahead;
    this.#start = opts.start;
  }

  /** Item `i`'s start; items are taken in order, each once. */
  take(i: number): S {
    while (this.#next < this.#count && this.#next < i + this.#ahead && !this.#startFailed) {
      const s = this.#start(this.#next++);
      this.#startFailed = !s.ok;
      this.#inFlight.push(s);
    }
    return this.#inFlight.shift()!;
  }
}
