// Result bookkeeping: what a task's final result does on its host (registered, counted, reported,
// handlers notified, facts applied, includes loaded) and the run's tallies (per-host stats, set_stats
// data, the hosts that failed or were unreachable). Also the shapes results take for callbacks and
// `register`.
import {
  type Callback,
  CENSORED,
  type HostStats,
  type StatsView,
  type TaskView,
} from "../callbacks/types.ts";
import type { Result } from "../actions.ts";
import type { Task } from "../model.ts";
import { wrapUnsafe } from "../values.ts";
import { asList } from "../loader.ts";
import type { TemplateEngine } from "./types.ts";
import type { HostVars } from "./host_vars.ts";
import type { Includes } from "./includes.ts";
import type { HostPlay, Included, TaskAt } from "./_play_state.ts";
import type { TaskKeywords } from "./_keywords.ts";
import { keyword } from "./_keywords.ts";
import { notifiedHandlers } from "./_handlers.ts";
import { isMap } from "./_util.ts";
import { removedFactWarning } from "./facts.ts";

const CLEAN_EXCEPTIONS = new Set([
  "_ansible_verbose_always",
  "_ansible_item_label",
  "_ansible_no_log",
  "_ansible_verbose_override",
]);

/** A copy without `_ansible_*` keys (except the display ones), at every dict level. */
export function stripInternal(v: unknown, keepDisplay: boolean): unknown {
  if (Array.isArray(v)) return v.map((x) => stripInternal(x, keepDisplay));
  if (!isMap(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith("_ansible_") && !(keepDisplay && CLEAN_EXCEPTIONS.has(k))) continue;
    out[k] = stripInternal(x, keepDisplay);
  }
  return out;
}

/** What callbacks see (TaskResult.clean_copy): censored under no_log, failed/skipped dropped. */
export function cleanCopy(r: Result, noLog: boolean): Result {
  if (noLog || r._ansible_no_log === true) {
    // Exactly what Ansible keeps: even the item and the results list go (so items show as "None").
    const x: Result = { censored: CENSORED };
    for (const k of ["attempts", "changed", "retries"]) if (k in r) x[k] = r[k];
    return x;
  }
  const out = stripInternal(r, true) as Result;
  delete out.failed;
  delete out.skipped;
  return out;
}

/** The actions whose facts Ansible keeps as they are: their results are not marked unsafe either. */
export const CLEAN_FACTS_ACTIONS: ReadonlySet<string> = new Set(["include_vars", "set_fact"]);

/**
 * What `register` stores: the result without internal keys, its strings unsafe (Ansible's wrap_var),
 * but for include_vars and set_fact, whose results Ansible's task executor leaves as they are. Their
 * failures stay unsafe: the message of an error raised while templating (which may quote the template)
 * is wrapped where Ansible's task executor catches it.
 */
export function registeredValue(result: Result, action: string): Result {
  const plain = stripInternal(result, false) as Result;
  return CLEAN_FACTS_ACTIONS.has(action) && result.failed !== true ? plain : wrapUnsafe(plain) as Result;
}

/** The actions whose result loads more tasks (an include's marker rather than a module's result). */
export const INCLUDE_ACTIONS = new Set(["include_tasks", "include_role"]);

/**
 * An include's result as Ansible's task executor returns it: include_tasks gives its file and the other
 * args, include_role its args (mito's own __dir is not one of them).
 */
export function includeResult(action: string, args: Record<string, unknown>): Result {
  const { __dir: _dir, file, _raw_params: raw, ...rest } = args;
  if (action === "include_role") return { include_args: { ...rest, ...(file ? { file } : {}) } };
  return { include: file ?? raw, include_args: rest };
}

/**
 * Ansible's gather_facts action around the setup module: the facts, warnings and deprecations only (no
 * invocation), marked so that -v does not dump them.
 */
export function gatherFactsResult(r: Result): Result {
  if (r.failed === true) return r;
  return {
    ansible_facts: r.ansible_facts ?? {},
    warnings: r.warnings ?? [],
    deprecations: r.deprecations ?? [],
    _ansible_verbose_override: true,
    ...("changed" in r ? { changed: r.changed } : {}),
  };
}

/** A task skipped because its `when` was false. */
export const skippedResult = (): Result => ({
  changed: false,
  skipped: true,
  skip_reason: "Conditional result was False",
});

/** How a task's final result counts for its host. */
export type Verdict =
  | { status: "unreachable"; ignored: boolean }
  /** rescued: inside a block with a rescue, the failure is rescued rather than counted as one. */
  | { status: "failed"; ignored: boolean; rescued: boolean }
  | { status: "skipped" }
  | { status: "ok" };

/**
 * Whether a result failed, as Ansible's TaskResult decides: a `failed_when_result` (on the result or
 * on any of its loop items) has the last word over `failed`, so a task whose `until` ran out of
 * retries still passes when its `failed_when` said it did not fail.
 */
export function isFailed(result: Result): boolean {
  const items = Array.isArray(result.results) ? result.results as unknown[] : [];
  const itemHas = (k: string) => items.some((x) => isMap(x) && k in x);
  const key = "failed_when_result" in result || itemHas("failed_when_result")
    ? "failed_when_result"
    : "failed";
  if (key in result) return Boolean(result[key]);
  return items.some((x) => isMap(x) && Boolean(x[key]));
}

/** Whether a result is unreachable, as Ansible's TaskResult decides: the result's own key, else any item's. */
export function isUnreachable(result: Result): boolean {
  if ("unreachable" in result) return Boolean(result.unreachable);
  const items = Array.isArray(result.results) ? result.results as unknown[] : [];
  return items.some((x) => isMap(x) && Boolean(x.unreachable));
}

/**
 * The verdict on a result: a loop's items are weighed in the order of Ansible's strategy (failed, then
 * unreachable); `ignoreUnreachable` is only asked of an unreachable one (it is templated).
 */
export function verdictOf(
  result: Result,
  o: { ignoreErrors: boolean; ignoreUnreachable: () => boolean; rescuable: boolean },
): Verdict {
  // a host that could not be reached has no failure of its own to weigh
  if (result.unreachable) return { status: "unreachable", ignored: o.ignoreUnreachable() };
  if (isFailed(result)) {
    return { status: "failed", ignored: o.ignoreErrors, rescued: !o.ignoreErrors && o.rescuable };
  }
  if (isUnreachable(result)) return { status: "unreachable", ignored: o.ignoreUnreachable() };
  if (result.skipped) return { status: "skipped" };
  return { status: "ok" };
}

/** What the host does next: an ignored failure or unreachable host carries on as after an ok task. */
export function hostOutcome(v: Verdict): HostPlay["outcome"] {
  if (v.status === "ok" || (v.status !== "skipped" && v.ignored)) return "ok";
  return v.status;
}

/** What a result adds to its host's stats, counted as ansible-playbook counts it. */
export function countResult(stat: HostStats, v: Verdict, result: Result, action: string): void {
  switch (v.status) {
    case "unreachable":
      // an ignored unreachable host counts as ok and ignored (2.14's strategy), and carries on
      if (v.ignored) {
        stat.ok++;
        stat.ignored++;
      } else stat.unreachable++;
      return;
    case "failed":
      if (v.ignored) {
        stat.ok++;
        stat.ignored++;
        if (result.changed) stat.changed++;
      } else if (v.rescued) stat.rescued++;
      else stat.failures++;
      return;
    case "skipped":
      stat.skipped++;
      return;
    case "ok":
      // include_role counts nothing, include_tasks one per included file (loop item)
      if (action === "include_tasks" && Array.isArray(result.results)) {
        stat.ok += (result.results as Result[]).filter((r) => !r.skipped && !r.failed).length;
      } else if (action !== "include_role") {
        stat.ok++;
        if (result.changed) stat.changed++;
      }
  }
}

/** The run's tallies: each host's stats, set_stats data, and the hosts that failed or were unreachable. */
export class RunTally {
  #stats = new Map<string, HostStats>();
  #custom: Record<string, Record<string, unknown>> = {};
  /** Hosts that failed or were unreachable in an earlier play: left out of later plays. */
  readonly failedHosts = new Set<string>();
  readonly unreachableHosts = new Set<string>();

  /** Whether the host is still in the run (neither failed nor unreachable). */
  live(host: string): boolean {
    return !this.failedHosts.has(host) && !this.unreachableHosts.has(host);
  }

  stat(host: string): HostStats {
    let s = this.#stats.get(host);
    if (!s) {
      this.#stats.set(
        host,
        s = { ok: 0, changed: 0, unreachable: 0, failures: 0, skipped: 0, rescued: 0, ignored: 0 },
      );
    }
    return s;
  }

  /** set_stats data, for the host (per_host) or the whole run. */
  addCustom(host: string, result: Result, action: string): void {
    const s = result.ansible_stats as Record<string, unknown> | undefined;
    if (!s || action !== "set_stats") return;
    const data = s.data as Record<string, unknown>;
    const key = s.per_host ? host : "_run";
    const cur = this.#custom[key] ?? {};
    for (const [k, v] of Object.entries(data)) {
      const prev = cur[k];
      if (s.aggregate && prev !== undefined) {
        if (isMap(prev) && isMap(v)) cur[k] = { ...prev, ...v };
        else if (Array.isArray(prev) && Array.isArray(v)) cur[k] = [...prev, ...v];
        else if (typeof prev === "number" && typeof v === "number") cur[k] = prev + v;
        else cur[k] = v;
      } else cur[k] = v;
    }
    this.#custom[key] = cur;
  }

  /**
   * What the callbacks' stats show at the end of the run: the hosts something was counted for (a host
   * whose only task was an include_role that failed to load has no recap line in Ansible).
   */
  view(): StatsView {
    const counted = [...this.#stats].filter(([, s]) => Object.values(s).some((n) => n !== 0));
    return { hosts: Object.fromEntries(counted), custom: this.#custom };
  }

  /** ansible-playbook's exit code for the run so far: 4 when a host was unreachable, 2 when one failed. */
  exitCode(): number {
    if (this.unreachableHosts.size > 0) return 4;
    if (this.failedHosts.size > 0) return 2;
    return 0;
  }
}

/** A task's final result and how to treat it. */
export interface FinishOptions {
  view: TaskView;
  result: Result;
  ignoreErrors: boolean;
  noLog: boolean;
  /** A loop's items' variables, one per item result (the facts of each item were applied already). */
  itemLayers?: Record<string, unknown>[];
}

export interface ResultsOptions {
  callback: Callback;
  templar: TemplateEngine;
  keywords: TaskKeywords;
  hostVars: HostVars;
  includes: Includes;
  tally: RunTally;
  errorOnMissingHandler: boolean;
  /** Names an UndefinedError from the templar. */
  isUndefinedError(err: unknown): boolean;
}

export class Results {
  #o: ResultsOptions;
  #cb: Callback;
  /** Handlers' templated names (#handlerName). */
  #handlerNames = new WeakMap<Task, string | undefined>();
  /** Facts the task's results gave that the host's top-level variables leave out (clean_facts). */
  #leftOutFacts = new Set<string>();

  constructor(opts: ResultsOptions) {
    this.#o = opts;
    this.#cb = opts.callback;
  }

  /** Records a failure that happened before the action ran (bad keyword values, conditionals). */
  fail(at: TaskAt, result: Result, opts: { view?: TaskView; ignoreErrors?: boolean } = {}): void {
    void this.finish(at, {
      view: opts.view ?? this.#o.keywords.view(at.task),
      result,
      ignoreErrors: opts.ignoreErrors ?? false,
      noLog: false,
    });
  }

  /**
   * Registers, notifies, counts and reports a task's final result; decides the host's outcome. Then warns
   * of the facts the host's variables leave out, as ansible-playbook's main process does when it next
   * reads them, after the result was shown.
   */
  finish(at: TaskAt, opts: FinishOptions): Included[] {
    try {
      return this.#finish(at, opts);
    } finally {
      for (const key of this.#leftOutFacts) this.#cb.warning(removedFactWarning(key), "main");
      this.#leftOutFacts.clear();
    }
  }

  #finish(at: TaskAt, opts: FinishOptions): Included[] {
    const { pr, hp, task, vars } = at;
    const { view, result, ignoreErrors, noLog, itemLayers } = opts;
    const st = this.#o.hostVars.state(hp.name);
    // a host has a line in the recap once something counted for it
    const stat = () => this.#o.tally.stat(hp.name);
    const reg = typeof task.kw.register === "string" ? task.kw.register : undefined;
    let registered: Result | undefined;
    if (reg) {
      registered = registeredValue(result, task.action);
      delete registered.invocation;
      st.setFacts[reg] = registered;
    }
    if (this.#o.keywords.boolSafe(task, "run_once", vars) && !result.failed && !result.unreachable) {
      pr.runOnce.set(task.id, { host: hp.name, result, registered });
    }
    const shown = cleanCopy(result, noLog);
    // Ansible's task executor adds the delegated host's variables to a result it got from the host: an
    // unreachable one has none (its label then names the delegate without its address)
    if (view.delegateTo !== undefined && !isUnreachable(result)) {
      shown._ansible_delegated_vars = this.#o.hostVars.delegatedVars(pr, view.delegateTo);
    }
    const verdict = verdictOf(result, {
      ignoreErrors,
      ignoreUnreachable: () => this.#o.keywords.boolSafe(task, "ignore_unreachable", vars),
      // a handler's failure counts as one even where a rescue then runs (Ansible's host is in its
      // handlers, not in the block, when the result comes)
      rescuable: hp.rescuable > 0 && !task.isHandler,
    });
    hp.outcome = hostOutcome(verdict);
    if (verdict.status === "ok" || verdict.status === "failed") pr.roleRuns.taskRan(task.role, hp.name);
    switch (verdict.status) {
      case "unreachable":
        this.#cb.result({
          status: "unreachable",
          host: hp.name,
          task: view,
          result: shown,
          ignoreUnreachable: verdict.ignored,
        });
        countResult(stat(), verdict, result, task.action);
        if (!verdict.ignored) {
          hp.unreachable = true;
          this.#o.tally.unreachableHosts.add(hp.name);
        }
        return [];
      case "failed":
        this.#cb.result({ status: "failed", host: hp.name, task: view, result: shown, ignoreErrors });
        countResult(stat(), verdict, result, task.action);
        if (verdict.rescued) {
          st.setFacts.ansible_failed_task = {
            // the task's own name ("" when unnamed): no role prefix, as Ansible's serialized task has it
            name: view.ownName,
            action: task.actionWritten,
          };
          st.setFacts.ansible_failed_result = stripInternal(result, false);
        }
        return [];
      case "skipped":
        countResult(stat(), verdict, result, task.action);
        this.#cb.result({ status: "skipped", host: hp.name, task: view, result: shown });
        if (task.action === "include_tasks") this.#o.includes.resulted(task);
        return [];
    }
    // ok or changed
    if (!itemLayers) this.applyFacts(at, result, view.delegateTo);
    this.#o.tally.addCustom(hp.name, result, task.action);
    countResult(stat(), verdict, result, task.action);
    // Notifications are checked first: a missing handler stops the run before the result shows.
    if (
      result.changed || (Array.isArray(result.results) && result.results.some((r) => (r as Result).changed))
    ) {
      this.#notify(at);
    }
    this.#cb.result({ status: "ok", host: hp.name, task: view, result: shown });
    if (INCLUDE_ACTIONS.has(task.action)) return this.#o.includes.load(at, result, itemLayers);
    return [];
  }

  /** set_fact/include_vars/module facts land in the host's (or delegated host's) variables. */
  applyFacts(at: TaskAt, result: Result, delegateTo: string | undefined): void {
    const { pr, hp, task } = at;
    // debug shows a variable named ansible_facts in its result without setting facts (Ansible's
    // task executor passes over debug's ansible_facts key)
    if (!isMap(result.ansible_facts) || task.action === "debug") return;
    const delegateFacts = delegateTo !== undefined &&
      this.#o.keywords.boolSafe(task, "delegate_facts", this.#o.hostVars.forTask(pr, hp.name, task));
    const leftOut = this.#o.hostVars.applyFacts(delegateFacts ? delegateTo! : hp.name, task.action, result);
    for (const key of leftOut) this.#leftOutFacts.add(key);
  }

  /**
   * A handler's name as a notify matches it: templated once, as Ansible's strategy templates it the first
   * time it looks for handlers; a name that cannot be templated leaves the handler to its listen topics.
   */
  #handlerName(at: TaskAt, h: Task): string | undefined {
    const raw = h.kw.name;
    if (raw === undefined) return undefined;
    if (typeof raw !== "string" || !raw.includes("{{")) return String(raw);
    if (this.#handlerNames.has(h)) return this.#handlerNames.get(h);
    let name: string | undefined;
    try {
      name = String(this.#o.templar.template(raw, this.#o.hostVars.forTask(at.pr, at.hp.name, h)));
    } catch (err) {
      if (!this.#o.isUndefinedError(err)) throw err;
      if (h.kw.listen === undefined) {
        this.#cb.warning(
          `Handler '${raw}' is unusable because it has no listen topics and the name could not be templated ` +
            `(host-specific variables are not supported in handler names). The error: ${
              (err as Error).message
            }`,
        );
      }
    }
    this.#handlerNames.set(h, name);
    return name;
  }

  #notify(at: TaskAt): void {
    const raw = keyword(at.task, "notify");
    if (raw === undefined || raw === null) return;
    const names = asList(this.#o.templar.template(raw, at.vars)).map(String);
    const missing = this.#o.errorOnMissingHandler ? undefined : (msg: string) => this.#cb.warning(msg);
    const nameOf = (h: Task) => this.#handlerName(at, h);
    for (const h of notifiedHandlers(names, at.task, at.pr.handlerTasks, missing, nameOf)) {
      // runner's playbook_on_notify: once per handler and host, when it is first notified
      if (!at.hp.notified.has(h)) this.#cb.notify?.(this.#o.keywords.taskName(h), at.hp.name);
      at.hp.notified.add(h);
    }
  }
}
