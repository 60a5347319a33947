// One task on one host, as Ansible's TaskExecutor: its keywords templated, run_once, the loop and its
// items (sent ahead when pipelinable), `when`, until/retries, changed_when/failed_when, and the action
// itself (an include, a controller action or a module on the target); the final result goes to the
// result bookkeeping.
import * as path from "node:path";
import { ExecutionError } from "../errors.ts";
import type { Task } from "../model.ts";
import type { Callback, TaskView } from "../callbacks/types.ts";
import { asyncLine } from "../callbacks/default.ts";
import { type ActionEnv, BYPASS_HOST_LOOP, CONTROLLER_ACTIONS, type Result } from "../actions.ts";
import { ActionRaised, DISPLAY_WARNINGS, isCancelled, type ModuleRequest, TIMED_OUT } from "../runner.ts";
import { asList } from "../loader.ts";
import type { LayeredVars, LazyLayer } from "../vars.ts";
import { wrapUnsafe } from "../values.ts";
import type { ExecutorOptions } from "./types.ts";
import type { HostVars } from "./host_vars.ts";
import {
  CLEAN_FACTS_ACTIONS,
  cleanCopy,
  gatherFactsResult,
  INCLUDE_ACTIONS,
  includeResult,
  registeredValue,
  type Results,
  skippedResult,
} from "./results.ts";
import { argsOf, moduleDefaults, moduleRequest, type RequestEnv, taskEnvironment } from "./module_request.ts";
import {
  cannotFollow,
  cannotLead,
  dependsOnInFlight,
  nextMark,
  type PipelineRules,
  UNSTABLE_NAMES,
} from "./_pipeline.ts";
import {
  itemLayer,
  itemStatus,
  ItemWindow,
  LOOP_WINDOW,
  loopItems,
  loopResult,
  type LoopSettings,
  loopSettings,
  markItemResult,
  pipelinable,
  settle,
  type Settled,
  type StartedItem,
  unsettle,
} from "./task_loop.ts";
import type { HostPlay, Included, PlayRun, TaskAt } from "./_play_state.ts";
import {
  checkBoolKeywords,
  checkMode,
  keyword,
  type TaskKeywords,
  whensOf,
  withTemplatedAction,
} from "./_keywords.ts";
import {
  allHold,
  ConditionFailure,
  type FailedPart,
  FieldTemplateError,
  pythonCrash,
  taskErrorMessage,
  TaskTemplateError,
} from "./_task_errors.ts";
import { isMap, removeOmit } from "./_util.ts";
import { cleanFacts, namespaceFacts, removedFactWarning } from "./facts.ts";
import { plainStrings } from "../values.ts";

export interface TaskExecutorOptions {
  options: ExecutorOptions;
  keywords: TaskKeywords;
  hostVars: HostVars;
  results: Results;
  /**
   * Whether the run's tags select a task (one not selected is passed over when sending tasks ahead);
   * undefined when that is known only in its turn (templated tags).
   */
  selected(task: Task): boolean | undefined;
}

/** Controller actions that store or template again what their arguments give: they get unsafe text as such. */
const KEEPS_UNSAFE = new Set(["set_fact", "debug"]);

export class TaskExecutor {
  #o: ExecutorOptions;
  #cb: Callback;
  #kw: TaskKeywords;
  #vars: HostVars;
  #results: Results;
  #request: RequestEnv;
  #selected: (task: Task) => boolean | undefined;
  #rules: PipelineRules;

  constructor(opts: TaskExecutorOptions) {
    this.#o = opts.options;
    this.#selected = opts.selected;
    this.#rules = {
      chainable: (m) => this.#o.runner.chainable?.(m) ?? false,
      actionPlugin: (task) => this.#o.actionPlugins?.find(task.action, task.actionWritten) !== undefined,
    };
    this.#cb = opts.options.callback;
    this.#kw = opts.keywords;
    this.#vars = opts.hostVars;
    this.#results = opts.results;
    const o = this.#o;
    this.#request = {
      templar: o.templar,
      omitToken: o.omitToken,
      pyStr: o.pyStr,
      check: o.check,
      diff: o.diff,
      verbosity: o.verbosity,
      connectionDefaults: o.connectionDefaults,
      hasHost: (h) => o.inventory.hasHost(h),
      libraryDirs: () => o.loader.libraryDirs,
      ...(o.actionNames ? { actionNames: o.actionNames } : {}),
      warning: (text) => this.#cb.warning(text),
      // runner's runner_on_async_* events when the callback has them, else the default callback's line
      asyncStatus: (host, task, vars, e) => {
        // the job's end reaches Ansible's callbacks as its censored result under no_log: no job id
        if (e.kind !== "poll" && this.#kw.boolSafe(task, "no_log", vars, this.#o.noLog)) {
          e = { ...e, jid: "None" };
        }
        if (this.#cb.asyncStatus) this.#cb.asyncStatus(host, this.#kw.view(task, vars), e);
        else this.#cb.verbose(asyncLine(host, e), 0);
      },
    };
  }

  #errMsg(err: unknown, task: Task, part?: FailedPart): string {
    return taskErrorMessage(err, task, this.#o.isUndefinedError, part);
  }

  /** Runs one task on one host, reports and records the result. Returns includes to run next. */
  async execute(pr: PlayRun, hp: HostPlay, written: Task): Promise<Included[]> {
    hp.outcome = "ok";
    const t = this.#o.templar;
    const vars = this.#vars.forTask(pr, hp.name, written);
    // run_once, and the actions that bypass the host loop (once for the batch, with the first host's
    // variables; unlike run_once, the other hosts get no result and no registered value). As Ansible's
    // strategy, the other hosts are not started at all (no runner_on_start).
    const runOnce = this.#kw.boolSafe(written, "run_once", vars) || BYPASS_HOST_LOOP.has(written.action);
    if (runOnce && written.action !== "meta") {
      const candidates = pr.roundHosts.get(written.id) ?? pr.batch;
      const first = candidates.find((h) => !pr.hosts.get(h)!.failed && !pr.hosts.get(h)!.stopped);
      // run_once: the other hosts do not run the task; its result is shared with them when the round ends.
      if (first !== hp.name) {
        hp.outcome = "ok";
        return [];
      }
    }
    let view = this.#kw.view(written, vars);
    this.#cb.runnerStart(hp.name, view);
    let task = written;
    try {
      task = withTemplatedAction(written, t, vars);
      // callbacks read results by the action run (the banner above showed it as written)
      if (task !== written) view = { ...view, action: task.actionWritten };
    } catch (err) {
      this.#results.fail({ pr, hp, task, vars }, { failed: true, msg: this.#errMsg(err, task) }, {
        view,
        ignoreErrors: false,
      });
      return [];
    }
    const at: TaskAt = { pr, hp, task, vars };
    let noLog = false;
    let ignoreErrors = false;
    let delegateTo: string | undefined;
    let field = "no_log";
    try {
      // A loop's no_log may name the loop variable: each item templates its own.
      noLog = task.kw.loop !== undefined
        ? this.#kw.boolSafe(task, "no_log", vars, this.#o.noLog)
        : this.#kw.bool(task, "no_log", vars, this.#o.noLog);
      field = "ignore_errors";
      ignoreErrors = this.#kw.bool(task, "ignore_errors", vars);
      field = "delegate_to";
      const d = keyword(task, "delegate_to");
      let host: unknown;
      try {
        host = d === undefined || d === null ? undefined : t.template(d, vars);
      } catch (err) {
        // A loop's delegate_to may name its item: each item templates its own (below); the task as a
        // whole shows it as written, as Ansible's header does when the task fails before its items.
        if (task.kw.loop === undefined || !this.#o.isUndefinedError(err)) throw err;
        host = String(d);
      }
      // `delegate_to: "{{ ... or omit }}"` leaves the task undelegated, as in Ansible.
      if (host !== undefined && host !== null && host !== this.#o.omitToken) delegateTo = String(host);
    } catch (err) {
      // Ansible's strategy decides on the task as written: an ignore_errors that cannot be templated is
      // still a non-empty string, so the failure is ignored; a delegate_to shows as written in the header.
      if (field === "ignore_errors") ignoreErrors = true;
      if (field === "delegate_to") view = { ...view, delegateTo: String(keyword(task, field)) };
      this.#results.fail(at, { failed: true, msg: this.#errMsg(err, task, { kind: "field", field }) }, {
        view,
        ignoreErrors,
      });
      return [];
    }
    view = { ...view, noLog, delegateTo };

    // Loop items (templated before `when`, which is evaluated per item).
    const loopControl = isMap(task.kw.loop_control) ? task.kw.loop_control : {};
    let items: unknown[] | undefined;
    const whens = whensOf(task);
    if (task.kw.loop !== undefined) {
      try {
        items = loopItems(task, vars, {
          templar: t,
          pyStr: this.#o.pyStr,
          searchPath: () => this.#vars.searchPath(pr, task),
        });
      } catch (err) {
        // A loop over something undefined is skipped when the `when` would be false anyway.
        if (this.#o.isUndefinedError(err)) {
          let skip = false;
          try {
            skip = !whens.every((w) => t.condition(w, vars));
          } catch {
            skip = false;
          }
          if (skip) {
            this.#results.finish(at, { view, result: skippedResult(), ignoreErrors: false, noLog });
            return [];
          }
        }
        // Ansible raises a loop's error from the task executor as it is: no wrapping, no position
        this.#results.fail(at, { failed: true, msg: (err as Error).message }, { view, ignoreErrors });
        return [];
      }
    }

    if (items === undefined) {
      let ok: boolean;
      try {
        // Sent ahead and run: its `when` held then, with variables nothing could change since; it is not
        // evaluated twice (a task the target ran is never shown skipped). Cancelled: evaluated afresh.
        const ahead = hp.pipeline?.replyOf(written);
        if (ahead) this.#sendAhead(at); // the tasks after it go out while its reply is awaited
        const ran = ahead ? await ahead.then((s) => s.ok && !isCancelled(s.value)) : false;
        ok = ran || allHold(t, whens, vars);
      } catch (err) {
        const { cond, error } = err as ConditionFailure;
        this.#results.fail(at, {
          failed: true,
          msg: this.#errMsg(error, task, { kind: "conditional", cond }),
          _ansible_no_log: noLog,
        }, { view, ignoreErrors });
        return [];
      }
      if (!ok) {
        this.#results.finish(at, { view, result: skippedResult(), ignoreErrors: false, noLog });
        return [];
      }
      let result: Result;
      try {
        result = await this.#runAttempts(at, view, noLog);
        // Ansible's task executor gives a task's result `changed`, an include's too (not its items).
        if (!("changed" in result)) result.changed = false;
      } catch (err) {
        if (!(err instanceof TaskTemplateError)) throw err;
        result = {
          failed: true,
          ...(err.bare ? {} : { msg: err.message }),
          ...err.fields,
          _ansible_no_log: noLog,
        };
      }
      return this.#results.finish(at, { view, result, ignoreErrors, noLog });
    }

    // A loop: one result per item, then the aggregate.
    const settings = loopSettings(loopControl, (v) => t.template(v, vars));
    const results: Result[] = [];
    const itemLayers: Record<string, unknown>[] = [];
    // an action plugin's items run one at a time: its module calls come from the plugin, not from here
    const pipelined = pipelinable(task, loopControl, settings.pause, this.#o.runner.pipelines) &&
      !this.#o.actionPlugins?.find(task.action, task.actionWritten);
    // Starting an item templates its `when` and arguments and, when pipelined, sends the module call;
    // a templating error there fails the whole task (as in Ansible), after the items before it.
    const delegates = this.#itemDelegates(at, items, settings);
    const start = (i: number): StartedItem => {
      const layer = itemLayer(items, i, settings);
      const ivars = delegates ? vars.with(layer).with(delegates.layer) : vars.with(layer);
      const iat: TaskAt = { ...at, vars: ivars };
      let itemNoLog = noLog;
      let run: () => Promise<Result>;
      try {
        const delegate = delegates?.of[i];
        if (delegate instanceof Error) throw delegate;
        itemNoLog = this.#kw.bool(task, "no_log", ivars, this.#o.noLog);
        if (!allHold(t, whens, ivars)) {
          const skipped = {
            changed: false,
            skipped: true,
            skip_reason: "Conditional result was False",
            _ansible_no_log: itemNoLog,
          };
          run = () => Promise.resolve(skipped);
        } else if (pipelined) {
          checkBoolKeywords(task, t, ivars, this.#o.omitToken);
          const sent = settle(this.#sendModule(iat, itemNoLog));
          run = () => this.#runAttempts(iat, view, itemNoLog, sent);
        } else run = () => this.#runAttempts(iat, view, itemNoLog);
      } catch (err) {
        return { layer, ivars, itemNoLog, ok: false, error: err };
      }
      return { layer, ivars, itemNoLog, ok: true, run };
    };
    // Pipelined: up to LOOP_WINDOW items are started (sent) ahead; a start that failed stops further ones.
    const window = new ItemWindow({ count: items.length, ahead: pipelined ? LOOP_WINDOW : 1, start });
    for (let i = 0; i < items.length; i++) {
      if (i > 0 && settings.pause > 0) await this.#sleep(settings.pause * 1000);
      const started = window.take(i);
      const { layer, ivars, itemNoLog } = started;
      const delegate = delegates ? delegates.of[i] as string | undefined : delegateTo;
      const itemView = delegates ? { ...view, delegateTo: delegate } : view;
      // As Ansible's task executor: the task is no_log when any of its items is.
      if (itemNoLog) noLog = true;
      const item = items[i];
      itemLayers.push(layer);
      let r: Result;
      try {
        if (!started.ok) throw started.error;
        r = await started.run();
      } catch (err) {
        // A Python exception while templating the item's arguments is that item's result (Ansible's
        // post_validate returns it); any other templating error fails the whole task, as in Ansible.
        if (err instanceof TaskTemplateError && err.bare) r = { failed: true, ...err.fields };
        else {
          const fields = err instanceof TaskTemplateError ? err.fields : {};
          const msg = err instanceof TaskTemplateError
            ? err.message
            : err instanceof ConditionFailure
            ? this.#errMsg(err.error, task, { kind: "conditional", cond: err.cond })
            : this.#errMsg(err, task);
          return this.#results.finish(at, {
            view,
            result: { failed: true, msg, ...fields, _ansible_no_log: noLog },
            ignoreErrors,
            noLog,
          });
        }
      }
      markItemResult(r, { value: item, index: i, layer }, settings, ignoreErrors);
      if (loopControl.label !== undefined) {
        try {
          r._ansible_item_label = t.template(loopControl.label, ivars);
        } catch (err) {
          r.failed = true;
          r.msg = `Failed to template loop_control.label: ${(err as Error).message}`;
        }
      } else r._ansible_item_label = r[settings.loopVar];
      // Ansible's task executor gives an item `changed` once its module answered: an unreachable one has none
      if (r.unreachable) delete r.changed;
      else if (!("changed" in r) && !INCLUDE_ACTIONS.has(task.action)) r.changed = false;
      results.push(r);
      const shown = cleanCopy(r, itemNoLog);
      // as Ansible's task executor, an item's result carries its own delegate's address and login
      if (delegate !== undefined && !r.unreachable) {
        shown._ansible_delegated_vars = this.#vars.delegatedVars(pr, delegate);
      }
      this.#cb.itemResult({ status: itemStatus(r), host: hp.name, task: itemView, result: shown });
      if (!r.skipped && !r.failed) this.#results.applyFacts(at, r, delegate);
    }
    return this.#results.finish(at, {
      view,
      result: loopResult(results, noLog),
      ignoreErrors,
      noLog,
      itemLayers,
    });
  }

  /**
   * The variables a result's facts give the rest of its task (changed_when, failed_when, until), as
   * Ansible's task executor adds them: set_fact's and include_vars' as they are; a module's top-level as
   * clean_facts keeps them, and — Ansible's own quirk, kept — nested one level down in `ansible_facts`
   * (`ansible_facts.ansible_facts.x`) until the task ends.
   */
  #taskFacts(task: Task, facts: Record<string, unknown>, vars: LayeredVars): Record<string, unknown> {
    if (CLEAN_FACTS_ACTIONS.has(task.action)) return facts;
    const data = wrapUnsafe(facts) as Record<string, unknown>;
    const current = vars.raw("ansible_facts");
    return {
      ...(this.#o.injectFactsAsVars === false ? {} : cleanFacts(data).vars),
      ansible_facts: { ...(isMap(current) ? current : {}), ansible_facts: namespaceFacts(data) },
    };
  }

  #sleep(ms: number): Promise<void> {
    return this.#o.sleep ? this.#o.sleep(ms) : new Promise((r) => setTimeout(r, ms));
  }

  /**
   * Each item's delegate, when the task delegates: templated with the item's variables (an Error when it
   * cannot be, the whole task's failure as Ansible has it), none for an item whose delegate_to is omitted;
   * and the layer giving every item ansible_delegated_vars of them all, as Ansible's variable manager
   * resolves delegate_to over the loop's items.
   */
  #itemDelegates(
    at: TaskAt,
    items: unknown[],
    settings: LoopSettings,
  ): { of: (string | undefined | Error)[]; layer: LazyLayer } | undefined {
    const d = keyword(at.task, "delegate_to");
    if (d === undefined || d === null) return undefined;
    const of = items.map((_, i) => {
      try {
        const h = this.#o.templar.template(d, at.vars.with(itemLayer(items, i, settings)));
        return h === undefined || h === null || h === this.#o.omitToken ? undefined : String(h);
      } catch (err) {
        return new TaskTemplateError(this.#errMsg(err, at.task, { kind: "field", field: "delegate_to" }));
      }
    });
    const names = [...new Set(of.filter((h): h is string => typeof h === "string"))];
    let cached: Record<string, unknown> | undefined;
    const layer: LazyLayer = {
      lazy: true,
      get: (n) =>
        n === "ansible_delegated_vars" ? (cached ??= this.#vars.delegatesVars(at.pr, names)) : undefined,
      has: (n) => n === "ansible_delegated_vars",
      keys: () => ["ansible_delegated_vars"],
    };
    return { of, layer };
  }

  /** The action once, or under until/retries/delay; with changed_when/failed_when applied. */
  async #runAttempts(
    at: TaskAt,
    view: TaskView,
    noLog: boolean,
    sent?: Promise<Settled<Result>>,
  ): Promise<Result> {
    const { hp, task, vars } = at;
    const t = this.#o.templar;
    const until = task.kw.until;
    let retries = 1;
    let delay = 5;
    if (until !== undefined) {
      // retries counts attempts after the first, 3 unless written (Task.retries' default); a retries
      // written as null makes 3 attempts in all, as Ansible's task executor reads it
      const r = task.kw.retries === undefined ? 3 : t.template(task.kw.retries, vars);
      retries = r === null || r === undefined ? 3 : Number(r) <= 0 ? 1 : Number(r) + 1;
      if (task.kw.delay !== undefined) delay = Number(t.template(task.kw.delay, vars));
      if (delay < 0) delay = 1;
    }
    checkBoolKeywords(task, t, vars, this.#o.omitToken);
    const reg = typeof task.kw.register === "string" ? task.kw.register : undefined;
    let result: Result = {};
    let attempt = 1;
    for (; attempt <= retries; attempt++) {
      result = attempt === 1 && sent ? unsettle(await sent) : await this.#action(at, noLog);
      if (result.unreachable || result.skipped) return { changed: false, ...result };
      if (task.action === "gather_facts") result = gatherFactsResult(result);
      // Ansible's normal action marks setup's result too, so -v does not dump the facts
      else if (task.action === "setup" && !result.failed) result._ansible_verbose_override = true;
      // An include's result returns from Ansible's task executor before no_log and failed are recorded.
      const include = INCLUDE_ACTIONS.has(task.action);
      if (!include) result._ansible_no_log = noLog || result._ansible_no_log === true;
      if (!include && !("failed" in result)) {
        result.failed = "rc" in result && result.rc !== 0 && result.rc !== "0";
      }
      if (until !== undefined) result.attempts = attempt;
      if (!("changed" in result) && !include) result.changed = false;
      // Ansible's worker warns of the facts it leaves out of the task's variables, failed or not.
      const facts = isMap(result.ansible_facts) && task.action !== "debug" ? result.ansible_facts : undefined;
      if (facts && !CLEAN_FACTS_ACTIONS.has(task.action) && this.#o.injectFactsAsVars !== false) {
        for (const key of cleanFacts(facts).removed) this.#cb.warning(removedFactWarning(key));
      }
      // What changed_when, failed_when and until read: the result registered and its facts, built only for
      // them (a copy of the result per loop item cost more than the rest of the item's bookkeeping).
      const resultVars = () => {
        const layer: Record<string, unknown> = {};
        if (reg) layer[reg] = registeredValue(result, task.action);
        if (facts) Object.assign(layer, this.#taskFacts(task, facts, vars));
        return vars.with(layer);
      };
      const changedWhen = task.kw.changed_when ?? undefined;
      const failedWhen = task.kw.failed_when ?? undefined;
      if (changedWhen !== undefined || failedWhen !== undefined) {
        const rv = resultVars();
        let cond = "changed";
        try {
          if (changedWhen !== undefined) {
            result.changed = asList(changedWhen).every((c) => t.condition(c, rv));
          }
          cond = "failed";
          if (failedWhen !== undefined) {
            const f = asList(failedWhen).every((c) => t.condition(c, rv));
            result.failed_when_result = f;
            result.failed = f;
          }
        } catch (err) {
          result.failed = true;
          result[`${cond}_when_result`] = (err as Error).message;
        }
      }
      if (retries > 1) {
        let done: boolean;
        try {
          done = allHold(t, asList(until), resultVars());
        } catch (err) {
          // Ansible raises it from the task executor, bare
          throw err instanceof ConditionFailure ? new TaskTemplateError(err.message) : err;
        }
        if (done) break;
        if (attempt < retries) {
          result._ansible_retry = true;
          result.retries = retries;
          this.#cb.retry({
            status: "failed",
            host: hp.name,
            task: view,
            result: cleanCopy({ ...result }, noLog),
          });
          await this.#sleep(delay * 1000);
        }
      }
    }
    if (retries > 1 && attempt > retries) {
      result.attempts = retries - 1;
      result.failed = true;
    }
    return result;
  }

  /** Runs the action itself: a controller action, an include (returns its marker) or a remote module. */
  async #action(at: TaskAt, noLog: boolean): Promise<Result> {
    const { pr, hp, task, vars } = at;
    const t = this.#o.templar;
    try {
      if (INCLUDE_ACTIONS.has(task.action)) {
        let args: Record<string, unknown>;
        try {
          args = removeOmit(t.template(task.args, vars), this.#o.omitToken) as Record<string, unknown>;
        } catch (err) {
          if (!this.#o.isUndefinedError(err)) throw err;
          // Ansible templates an include's file in its task executor (the task fails, bare) and an
          // include_role's name while the strategy loads the role (the run stops)
          const msg = (err as Error).message;
          throw task.action === "include_tasks" ? new TaskTemplateError(msg) : new ExecutionError(msg);
        }
        return includeResult(task.action, args);
      }
      // a Python action plugin (action_plugins/, collections) runs instead of the module call, and a
      // folder's plugin named like one of mito's controller actions instead of it, as in Ansible
      const plugin = this.#o.actionPlugins?.find(task.action, task.actionWritten);
      if (plugin) {
        return await this.#o.actionPlugins!.run({
          plugin,
          request: this.#moduleRequestFor(at, noLog),
          task: { action: task.actionWritten, name: this.#kw.taskName(task, vars), noLog },
          lookup: { vars, native: false, templar: t },
          basedir: pr.play.baseDir,
          runModule: (req) => this.#o.runner.runModule(req),
          forceHandlers: this.#kw.bool(pr.play, "force_handlers", vars, this.#o.forceHandlers),
        });
      }
      const controller = CONTROLLER_ACTIONS[task.action];
      if (controller) {
        // templated though unused: Ansible's task executor validates it for every action it runs
        taskEnvironment(task, vars, this.#request);
        const checkModeOn = checkMode(task, vars, this.#o);
        // Arguments that template to `omit` are dropped before the action sees them. Each is templated
        // once: the action gets that value again (a lookup in it runs once, as in Ansible).
        const rawArgs: Record<string, unknown> = {};
        const templated = new Map<string, unknown>();
        // module_defaults apply to controller actions too (debug's msg), under the task's own arguments
        const given = {
          ...moduleDefaults(task, undefined, this.#o.actionNames),
          ...argsOf(task, vars, this.#request),
        };
        // set_fact stores what templating gives, native text included (Ansible's NativeJinjaText)
        const topts = task.action === "set_fact" ? { keepNativeText: true } : undefined;
        for (const [k, v] of Object.entries(given)) {
          if (k !== "that" && typeof v === "string" && v.includes("{{")) {
            const value = templated.has(v) ? templated.get(v) : t.template(v, vars, topts);
            templated.set(v, value);
            if (value === this.#o.omitToken) continue;
          }
          rawArgs[k] = v;
        }
        const env: ActionEnv = {
          host: hp.name,
          rawArgs,
          template: (v) => {
            const value = removeOmit(
              typeof v === "string" && templated.has(v) ? templated.get(v) : t.template(v, vars, topts),
              this.#o.omitToken,
            );
            // the unsafe mark matters where a value is stored or templated again (set_fact, debug's var);
            // the other actions read their arguments as text (Ansible's unsafe text is a str)
            return KEEPS_UNSAFE.has(task.action) ? value : plainStrings(value, { keepVault: true });
          },
          condition: (c) => allHold(t, [c], vars),
          vars,
          verbosity: this.#o.verbosity,
          checkMode: checkModeOn,
          jinja2Native: t.options?.native ?? true,
          searchPath: this.#vars.searchPath(pr, task),
          rolePath: task.role?.path,
          taskDir: task.pos ? path.dirname(task.pos.file) : undefined,
          readYaml: (f) => this.#o.readYaml(f),
          addHost: (name, groups, hv) => {
            this.#cb.verbose(`creating host via 'add_host': hostname=${name}`, 2);
            const changed = this.#o.inventory.addHost(name, groups, hv);
            this.#vars.inventoryChanged(name);
            return changed;
          },
          addToGroup: (h, g, parents) => {
            const changed = this.#o.inventory.addToGroup(h, g, parents);
            this.#vars.inventoryChanged(h);
            return changed;
          },
          isUndefinedError: (e) => this.#o.isUndefinedError(e),
          isTTY: this.#o.isTTY,
          sleep: (ms) => this.#sleep(ms),
          prompt: this.#o.prompt ? (text) => this.#o.prompt!(text, false) : undefined,
          taskName: this.#kw.taskName(task, vars),
          display: (text) => this.#cb.verbose(text, 0),
          warning: (text) => this.#cb.warning(text),
        };
        return await controller(env);
      }
      return timedOut(await this.#runModule(at, noLog), task);
    } catch (err) {
      throw this.#actionError(err, task);
    }
  }

  /**
   * The task's module on its host: the reply of the call sent ahead when there is one (docs/pipelining.md),
   * else a call now, marked so that the tasks after it may be sent before it answers.
   */
  async #runModule(at: TaskAt, noLog: boolean): Promise<Result> {
    const pipe = at.hp.pipeline;
    if (!pipe) return this.#shown(await this.#o.runner.runModule(this.#moduleRequestFor(at, noLog)));
    const early = pipe.take(at.task);
    if (early) {
      this.#sendAhead(at);
      const s = await early;
      if (!s.ok) throw s.error;
      if (!isCancelled(s.value)) return this.#shown(s.value);
      // an earlier reply stopped the chain: nothing sent after it ran; this task runs the normal way
      pipe.clear();
    }
    const req = this.#moduleRequestFor(at, noLog);
    const leads = pipe.upcoming !== undefined && cannotLead(at.task, this.#rules) === undefined;
    pipe.lastMark = pipe.lastTask = undefined;
    if (leads) {
      req.chain = { mark: nextMark() };
      pipe.lastMark = req.chain.mark;
      pipe.lastTask = at.task;
    }
    const reply = this.#o.runner.runModule(req);
    if (leads) this.#sendAhead(at);
    return this.#shown(await reply);
  }

  /**
   * What the runner found to warn about while reading a module's output (junk after its JSON): shown
   * now, as Ansible's action layer shows it, and not kept in the result.
   */
  #shown(result: Result): Result {
    const said = result[DISPLAY_WARNINGS];
    if (said === undefined) return result;
    delete result[DISPLAY_WARNINGS];
    if (Array.isArray(said)) { for (const w of said) this.#cb.warning(String(w)); }
    return result;
  }

  /**
   * Sends the tasks that follow the newest one sent for this host, while they are provably independent
   * of the tasks in flight, up to the runner's depth: each runs on the target only if the call before it
   * ended in a way that lets it (runner.py's chain marks); its reply is awaited when its turn comes.
   */
  #sendAhead(at: TaskAt): void {
    const { pr, hp } = at;
    const pipe = hp.pipeline!;
    const depth = this.#o.runner.taskPipeline ?? 0;
    const upcoming = pipe.upcoming;
    if (!upcoming || pipe.lastTask === undefined || !pr.strategy.wholeRound) return;
    let from = 0;
    if (pipe.lastTask !== at.task) {
      from = upcoming.indexOf(pipe.lastTask) + 1;
      if (from === 0) return;
    }
    if (cannotLead(pipe.lastTask, this.#rules) !== undefined) return;
    for (let i = from; i < upcoming.length && pipe.inFlight < depth; i++) {
      const next = upcoming[i];
      if (next.kind !== "task") return;
      const selected = this.#selected(next);
      if (selected === undefined) return;
      if (!selected) continue;
      const registered = pipe.registered();
      if (typeof at.task.kw.register === "string") registered.add(at.task.kw.register);
      if (!this.#sendOne(at, next, registered)) return;
      if (cannotLead(next, this.#rules) !== undefined) return;
    }
  }

  /** Sends `task` ahead on `at`'s host if nothing it reads can change before its turn; says whether it did. */
  #sendOne(at: TaskAt, task: Task, registered: Set<string>): boolean {
    const { pr, hp } = at;
    const pipe = hp.pipeline!;
    if (cannotFollow(task, this.#rules) !== undefined) return false;
    const t = this.#o.templar;
    const reads = new Set<string>();
    const vars = this.#vars.forTask(pr, hp.name, task).recording(reads, UNSTABLE_NAMES);
    let req: ModuleRequest;
    const warnings: string[] = [];
    try {
      // what execute() templates before the call, in its order: a task it would fail or skip is not sent
      if (withTemplatedAction(task, t, vars) !== task) return false;
      const noLog = this.#kw.bool(task, "no_log", vars, this.#o.noLog);
      this.#kw.bool(task, "ignore_errors", vars);
      if (!allHold(t, whensOf(task), vars)) return false;
      checkBoolKeywords(task, t, vars, this.#o.omitToken);
      req = this.#requestOf({ pr, hp, task, vars }, noLog, {
        ...this.#request,
        warning: (w) => warnings.push(w),
      });
    } catch {
      return false;
    }
    // a warning would be shown now, before the earlier tasks' results; the task is templated again anyway
    if (warnings.length || req.asyncSeconds > 0 || req.delegateTo !== undefined) return false;
    if (req.connectionVars.mitogen_via !== undefined) return false;
    // the controller's part of the action (a template's rendering) reads its variables now, recorded too
    try {
      if (this.#o.runner.prepare && !this.#o.runner.prepare(req)) return false;
    } catch {
      return false;
    }
    if (dependsOnInFlight(task, reads, vars, registered) !== undefined) return false;
    const mark = nextMark();
    req.chain = { mark, after: pipe.lastMark };
    const reply = settle(
      this.#o.runner.runModule(req).catch((err) => {
        throw this.#actionError(err, task);
      }),
    );
    pipe.add({
      task,
      reply,
      ...(typeof task.kw.register === "string" ? { register: task.kw.register } : {}),
    });
    pipe.lastMark = mark;
    pipe.lastTask = task;
    return true;
  }

  #moduleRequestFor(at: TaskAt, noLog: boolean): ModuleRequest {
    return this.#requestOf(at, noLog, this.#request);
  }

  #requestOf(
    { pr, hp, task, vars }: Pick<TaskAt, "pr" | "hp" | "task" | "vars">,
    noLog: boolean,
    request: RequestEnv,
  ): ModuleRequest {
    return moduleRequest(request, {
      host: hp.name,
      task,
      vars,
      noLog,
      searchPath: this.#vars.searchPath(pr, task),
      playDir: pr.play.baseDir,
      varsOf: (h) => this.#vars.forTask(pr, h, task),
      hostVarsOf: (h) => this.#vars.hostLevel(pr, h),
      factsOf: (h) => this.#vars.factsOf(h),
    });
  }

  #actionError(err: unknown, task: Task): Error {
    const crash = pythonCrash(err);
    if (crash) return crash;
    // an action's own conditional (assert's `that`) is reported bare, as Ansible's action plugins raise it
    if (err instanceof ConditionFailure) return new TaskTemplateError(err.message);
    // an action plugin raised: Ansible's task executor reports it, outside the result's post-processing
    if (err instanceof ActionRaised) return new TaskTemplateError(err.message, err.fields);
    if (err instanceof FieldTemplateError) {
      return new TaskTemplateError(this.#errMsg(err.error, task, { kind: "field", field: err.field }));
    }
    if (err instanceof ExecutionError && !this.#o.isUndefinedError(err)) return err;
    return new TaskTemplateError(this.#errMsg(err, task));
  }

  /**
   * A pipelined loop item: templates the request now (throwing as #action would) and sends it; the
   * reply is awaited later, in item order.
   */
  #sendModule(at: TaskAt, noLog: boolean): Promise<Result> {
    let req: ModuleRequest;
    try {
      req = this.#moduleRequestFor(at, noLog);
    } catch (err) {
      throw this.#actionError(err, at.task);
    }
    return this.#o.runner.runModule(req).catch((err) => {
      throw this.#actionError(err, at.task);
    });
  }
}

/** A module the runner killed at the task's timeout: Ansible's failed result for a task past its time. */
function timedOut(result: Result, task: Task): Result {
  const seconds = result[TIMED_OUT];
  if (seconds === undefined) return result;
  return {
    failed: true,
    msg: `The ${task.actionWritten} action failed to execute in the expected time frame ` +
      `(${Math.trunc(Number(seconds))}) and was terminated`,
  };
}
