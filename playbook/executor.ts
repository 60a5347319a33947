// The play engine: runs loaded plays against the inventory, batch by batch, each host of a batch a
// coroutine under the play's strategy walking its blocks (rescue/always, meta tasks, handlers). Each
// task on a host is run by executor/task_executor.ts; variables, results and module requests have their
// own modules beside it in executor/.
import { ExecutionError, positionDetails } from "./errors.ts";
import { releaseGrowth } from "../transports/memory.ts";
import type { Block, Item, Play, Playbook, Task } from "./model.ts";
import { nextId } from "./model.ts";
import { LayeredVars, type VarLookup } from "./vars.ts";
import type { Callback } from "./callbacks/types.ts";
import { HeldResults } from "./executor/_held_results.ts";
import { isTemplatedTag, shouldRun, templateTags } from "./tags.ts";
import { FreeStrategy, LinearStrategy, type Strategy } from "./strategy.ts";
import { asList } from "./loader.ts";
import type { ExecutorOptions } from "./executor/types.ts";
import { HostVars } from "./executor/host_vars.ts";
import { cleanCopy, Results, RunTally } from "./executor/results.ts";
import { Includes } from "./executor/includes.ts";
import { TaskExecutor } from "./executor/task_executor.ts";
import { connectionVars } from "./executor/module_request.ts";
import {
  HostFailed,
  type HostPlay,
  HostStopped,
  type Included,
  type IncludeFailure,
  type PlayRun,
} from "./executor/_play_state.ts";
import { keyword, tagsOf, TaskKeywords, whensOf } from "./executor/_keywords.ts";
import { taskErrorMessage } from "./executor/_task_errors.ts";
import { HostPipeline } from "./executor/_pipeline.ts";
import { reservedWarnings } from "./executor/_reserved.ts";
import { bool, flatten, isMap } from "./executor/_util.ts";
import { RoleRuns } from "./executor/_role_runs.ts";

export type { ExecutorOptions, InventoryView, LazyMappingLike, TemplateEngine } from "./executor/types.ts";

/** What `-vv` says after a meta action ran, and what it adds when its condition was false. */
const META_MESSAGES: Record<string, (host: string) => string> = {
  flush_handlers: (h) => `triggered running handlers for ${h}`,
  refresh_inventory: () => "inventory successfully refreshed",
  clear_facts: () => "facts cleared",
  clear_host_errors: () => "cleared host errors",
  end_batch: () => "ending batch",
  end_play: () => "ending play",
  end_host: (h) => `ending play for ${h}`,
  reset_connection: () => "reset connection",
};
const META_SKIPPED: Record<string, (host: string) => string> = {
  flush_handlers: (h) => `, not running handlers for ${h}`,
  clear_facts: (h) => `, not clearing facts and fact cache for ${h}`,
  clear_host_errors: (h) => `, not clearing host error state for ${h}`,
  end_batch: () => ", continuing current batch",
  end_play: () => ", continuing play",
  end_host: (h) => `, continuing execution for ${h}`,
};
/** Mitogen for Ansible's strategy names (ansible.cfg, ANSIBLE_STRATEGY, the play keyword) → Ansible's. */
const MITOGEN_STRATEGIES: Record<string, string> = {
  mitogen_linear: "linear",
  mitogen_free: "free",
  mitogen_host_pinned: "host_pinned",
};

export class Executor {
  #o: ExecutorOptions;
  #cb: Callback;
  #kw: TaskKeywords;
  #tally = new RunTally();
  #vars: HostVars;
  #results: Results;
  #tasks: TaskExecutor;
  #startAt: string | undefined;
  /** --step still asks (until answered "c"); questions of concurrent hosts wait for each other. */
  #stepping = false;
  #stepTurn: Promise<unknown> = Promise.resolve();
  #held: HeldResults;

  constructor(given: ExecutorOptions) {
    // results reported in the order Ansible's strategy reports them when hosts wait for forks
    this.#held = new HeldResults(given.callback);
    const opts = { ...given, callback: this.#held };
    this.#o = opts;
    this.#cb = opts.callback;
    this.#startAt = opts.startAtTask;
    this.#stepping = opts.step !== undefined;
    this.#kw = new TaskKeywords(opts.templar, opts.omitToken);
    this.#vars = new HostVars({ ...opts, live: (h) => this.#tally.live(h) });
    this.#results = new Results({
      callback: opts.callback,
      templar: opts.templar,
      keywords: this.#kw,
      hostVars: this.#vars,
      includes: new Includes(opts),
      tally: this.#tally,
      errorOnMissingHandler: opts.errorOnMissingHandler ?? true,
      isUndefinedError: opts.isUndefinedError,
    });
    this.#tasks = new TaskExecutor({
      options: opts,
      keywords: this.#kw,
      hostVars: this.#vars,
      results: this.#results,
      selected: (task) => this.#selected(task),
    });
  }

  /** --start-at-task's name while no task has matched it yet. */
  get startAtPending(): string | undefined {
    return this.#startAt;
  }

  /** Runs the playbooks; returns ansible-playbook's exit code. */
  async run(playbooks: Playbook[]): Promise<number> {
    let stop = false;
    try {
      for (const pb of playbooks) {
        this.#cb.playbookStart(pb.shownAs ?? pb.file);
        this.#cb.verbose(`${pb.plays.length} plays in ${pb.shownAs ?? pb.file}`, 2);
        for (const play of pb.plays) {
          const r = await this.#runPlay(play);
          if (r === "break") {
            stop = true;
            break;
          }
        }
        // as Ansible's playbook executor: a recap after each playbook, of everything run so far
        this.#cb.stats(this.#tally.view());
        if (stop) break;
      }
    } finally {
      await this.#o.runner.close();
    }
    this.#cb.close();
    return this.#tally.exitCode();
  }

  // ---------------------------------------------------------------- plays

  /** The play's name templated with the play's variables, as Ansible's post_validate leaves it. */
  #playName(play: Play, vars: VarLookup): string {
    if (!play.name.includes("{{")) return play.name;
    try {
      return String(this.#o.templar.template(play.name, vars));
    } catch {
      return play.name;
    }
  }

  async #runPlay(play: Play): Promise<"ok" | "break"> {
    const t = this.#o.templar;
    const playVars = new LayeredVars([play.vars, this.#o.extraVars]);
    const patternRaw = t.template(play.hosts, playVars);
    const pattern = Array.isArray(patternRaw) ? patternRaw.map(String).join(",") : String(patternRaw);
    const all = this.#o.inventory.select(pattern);
    const strategyName = String(t.template(play.kw.strategy ?? this.#o.defaultStrategy, playVars))
      .replace(/^ansible\.builtin\./, "");
    const announce = () =>
      this.#cb.playStart({
        id: play.id,
        name: this.#playName(play, playVars),
        path: play.pos ? `${play.pos.file}:${play.pos.line}` : play.file,
        checkMode: false,
        strategy: strategyName,
        pattern,
      });
    if (all.length === 0) {
      announce();
      this.#cb.noHostsMatched();
      return "ok";
    }
    const order = play.kw.order !== undefined ? String(t.template(play.kw.order, playVars)) : "inventory";
    const ordered = this.#orderHosts(all, order);
    const serial = this.#serial(play, playVars, ordered.length);
    const batches: string[][] = [];
    let rest = [...ordered];
    for (let i = 0; rest.length > 0; i++) {
      const n = serial[Math.min(i, serial.length - 1)];
      batches.push(rest.slice(0, n));
      rest = rest.slice(n);
    }
    const maxFailRaw = play.kw.max_fail_percentage;
    const maxFail = maxFailRaw === undefined ? undefined : Number(t.template(maxFailRaw, playVars));
    // Prompts come before the play starts, as ansible-playbook asks them.
    const promptVars = await this.#varsPrompt(play);
    for (const batch of batches) {
      // Like ansible-playbook, every batch announces the play; hosts that failed earlier sit it out.
      const live = batch.filter((h) => this.#tally.live(h));
      // Ansible warns of reserved variable names as each batch starts, before the play's banner.
      const warnReserved = () => {
        for (const w of reservedWarnings(this.#playVarNames(play))) this.#cb.warning(w);
      };
      if (live.length === 0) {
        warnReserved();
        announce();
        continue;
      }
      const pr = this.#newPlayRun({ play, pattern, all, batch, promptVars, strategyName, maxFail });
      // vars_files are read before the play is announced: a bad file (or vault password) stops it first.
      for (const h of live) this.#vars.loadVarsFiles(pr, h);
      warnReserved();
      announce();
      const before = this.#tally.failedHosts.size + this.#tally.unreachableHosts.size;
      const broke = await this.#runBatch(pr);
      const failedNow = this.#tally.failedHosts.size + this.#tally.unreachableHosts.size - before;
      // As ansible-playbook: the run stops when this batch's new failures reach its size, the hosts that
      // failed in earlier plays counted in the batch though they sat it out.
      if (broke || failedNow === batch.length) {
        return "break";
      }
      if (pr.endPlay) break;
    }
    return "ok";
  }

  /** The variables a play sets without a host: its roles' defaults and vars, its own, the extra vars. */
  #playVarNames(play: Play): string[] {
    return [
      ...play.roles.flatMap((r) => [...Object.keys(r.defaults), ...Object.keys(r.vars)]),
      ...Object.keys(play.vars),
      ...Object.keys(this.#o.extraVars),
    ];
  }

  #orderHosts(hosts: string[], order: string): string[] {
    switch (order) {
      case "sorted":
        return [...hosts].sort();
      case "reverse_sorted":
        return [...hosts].sort().reverse();
      case "reverse_inventory":
        return [...hosts].reverse();
      case "shuffle": {
        const out = [...hosts];
        for (let i = out.length - 1; i > 0; i--) {
          const j = Math.floor(Math.random() * (i + 1));
          [out[i], out[j]] = [out[j], out[i]];
        }
        return out;
      }
      default:
        return hosts;
    }
  }

  /** serial: a number, a percentage, or a list of them (the last repeats). */
  #serial(play: Play, vars: VarLookup, total: number): number[] {
    const raw = play.kw.serial;
    if (raw === undefined || raw === null) return [total];
    const templated = this.#o.templar.template(raw, vars);
    // a keyword templated to `omit` takes its default, as in Ansible's post_validate: one batch
    if (templated === this.#o.omitToken) return [total];
    const list = asList(templated);
    const out = list.map((v) => {
      const s = String(v).trim();
      let n: number;
      if (s.endsWith("%")) n = Math.floor((total * Number(s.slice(0, -1))) / 100);
      else n = Number(s);
      if (!Number.isFinite(n)) {
        throw new ExecutionError(`serial must be a number or a percentage, got '${s}'`);
      }
      if (n <= 0) n = total;
      return Math.max(1, Math.min(n, total));
    });
    return out.length ? out : [total];
  }

  async #varsPrompt(play: Play): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const p of play.varsPrompt) {
      if (Object.hasOwn(this.#o.extraVars, p.name)) continue;
      if (this.#o.isTTY && this.#o.prompt) {
        const text = `${p.prompt ?? p.name}${p.default !== undefined ? ` [${p.default}]` : ""}: `;
        const answer = await this.#o.prompt(text, p.private ?? true);
        out[p.name] = answer === "" && p.default !== undefined ? p.default : answer;
      } else if (p.default !== undefined) {
        out[p.name] = p.default;
      } else {
        const where = p.pos ? `\n\n${positionDetails(p.pos)}` : "";
        throw new ExecutionError(
          `vars_prompt '${p.name}' needs an answer but mito is not running on a terminal; ` +
            `pass it with -e ${p.name}=... or give the prompt a default${where}`,
        );
      }
    }
    return out;
  }

  /** A batch's run of the play: its hosts' state and the strategy that runs them. */
  #newPlayRun(o: {
    play: Play;
    /** The play's host pattern, templated. */
    pattern: string;
    all: string[];
    /** The batch's hosts, those that failed or were unreachable in an earlier play too. */
    batch: string[];
    promptVars: Record<string, unknown>;
    strategyName: string;
    /** max_fail_percentage, templated. */
    maxFail: number | undefined;
  }): PlayRun {
    const { play, pattern, all, promptVars, strategyName, maxFail } = o;
    const order = play.sections.flatMap(flatten);
    const tally = this.#tally;
    const batch = o.batch.filter((h) => tally.live(h));
    const pr: PlayRun = {
      play,
      pattern,
      all,
      batch,
      away: o.batch.filter((h) => tally.failedHosts.has(h)),
      cleared: new Set(),
      hosts: new Map(),
      strategy: undefined as unknown as Strategy,
      strategyName,
      promptVars,
      varsFiles: new Map(),
      publicRoles: play.roles.filter((r) => r.public),
      handlerTasks: flatten(play.handlers),
      includeCache: new Map(),
      endPlay: false,
      bannered: new Set(),
      pendingIncludes: [],
      runOnce: new Map(),
      roundHosts: new Map(),
      metaRan: new Set(),
      fatal: false,
      roleRuns: new RoleRuns(),
      includedRoles: new Map(),
    };
    // A host unreachable in an earlier play is in Ansible's batch too, kept out by its strategy: it waits
    // parked at the play's start, where clear_host_errors would make it begin.
    const placed = o.batch.filter((h) => tally.live(h) || !tally.failedHosts.has(h));
    for (const h of placed) {
      pr.hosts.set(h, {
        name: h,
        failed: false,
        unreachable: !tally.live(h),
        stopped: false,
        notified: new Set(),
        outcome: "ok",
        rescuable: 0,
        caught: 0,
        ended: false,
        cleared: 0,
      });
    }
    const forks = Math.max(1, this.#o.forks);
    const hooks = {
      start: (task: Task, hosts: string[]) => this.#roundStart(pr, task, hosts),
      finish: (task: Task, hosts: string[]) => this.#roundFinish(pr, task, hosts, maxFail),
      step: (task: Task, host: string | null) => this.#step(task, host),
      waiting: (any: boolean) => this.#held.hold(any),
      settled: () => this.#held.release(),
      left: (host: string) => pr.hosts.get(host)?.stopped === true,
      throttle: (task: Task) => {
        const v = keyword(task, "throttle");
        if (v === undefined || v === null) return 0;
        const n = Number(this.#o.templar.template(v, new LayeredVars([pr.play.vars, this.#o.extraVars])));
        return Number.isFinite(n) && n > 0 ? Math.min(n, forks) : 0;
      },
    };
    // Mitogen's strategies are Ansible's own run over its connections, which every mito strategy uses
    const kind = MITOGEN_STRATEGIES[strategyName] ?? strategyName;
    if (kind === "free") pr.strategy = new FreeStrategy(forks, hooks);
    else if (kind === "host_pinned") pr.strategy = new FreeStrategy(forks, hooks, true);
    else if (kind === "linear" || kind === "debug") {
      pr.strategy = new LinearStrategy(order, forks, hooks);
    } else throw new ExecutionError(`Invalid play strategy specified: ${strategyName}`);
    if (this.#pipelines(pr, maxFail)) {
      for (const hp of pr.hosts.values()) {
        hp.pipeline = new HostPipeline();
      }
    }
    return pr;
  }

  async #step(task: Task, host: string | null): Promise<boolean> {
    const step = this.#o.step;
    if (!step || !this.#stepping || task.implicit || task.action === "meta") return true;
    const turn = this.#stepTurn.then(async () => {
      if (!this.#stepping) return true;
      const msg = `Perform task: ${task.isHandler ? "HANDLER" : "TASK"}: ${this.#kw.taskName(task)} ` +
        `${host === null ? "" : `on ${host} `}(N)o/(y)es/(c)ontinue: `;
      const answer = (await step.ask(msg)).trim().toLowerCase();
      step.banner(msg);
      if (answer === "c" || answer === "continue") this.#stepping = false;
      return answer === "y" || answer === "yes" || answer === "c" || answer === "continue";
    });
    this.#stepTurn = turn.catch(() => {});
    return await turn;
  }

  #roundStart(pr: PlayRun, task: Task, hosts: string[]): void {
    if (pr.strategy instanceof LinearStrategy) pr.roundHosts.set(task.id, hosts);
    if (task.implicit || task.action === "meta") return;
    // Lockstep strategies announce every round; free ones announce a task when its first host starts it.
    if (!(pr.strategy instanceof LinearStrategy)) {
      if (pr.bannered.has(task.id)) return;
      pr.bannered.add(task.id);
    }
    const first = hosts[0];
    const vars = first !== undefined ? this.#vars.forTask(pr, first, task) : undefined;
    this.#cb.taskStart(this.#kw.view(task, vars), task.isHandler ? "RUNNING HANDLER" : "TASK");
    if (pr.strategy instanceof LinearStrategy) this.#cb.taskHosts?.(hosts);
  }

  /**
   * An include that could not load, reported as Ansible's strategy reports it: a missing role as an
   * error on the screen, a missing tasks file as a failed result counted in the recap.
   */
  #includeFailed(pr: PlayRun, task: Task, host: string, failure: IncludeFailure): void {
    if ("error" in failure) {
      this.#o.displayError?.(failure.error);
      return;
    }
    const view = this.#kw.view(task, this.#vars.forTask(pr, host, task));
    const result = cleanCopy({ failed: true, reason: failure.reason }, false);
    this.#cb.result({ status: "failed", host, task: view, result });
    // its result counted an ok for this file, as for every file an include_tasks loads: it is a failure
    const stat = this.#tally.stat(host);
    stat.ok--;
    stat.failures++;
  }

  /** After a task ran on its hosts: any_errors_fatal and max_fail_percentage end the play for all. */
  #roundFinish(pr: PlayRun, task: Task, hosts: string[], maxFail: number | undefined): void {
    const groups: {
      file: string;
      item: unknown;
      hasItem: boolean;
      hosts: string[];
      failure?: IncludeFailure;
    }[] = [];
    for (const inc of pr.pendingIncludes) {
      const g = inc.failure
        ? undefined
        : groups.find((x) =>
          !x.failure && x.file === inc.file && x.hasItem === inc.hasItem && x.item === inc.item
        );
      if (g) g.hosts.push(inc.host);
      else groups.push({ ...inc, hosts: [inc.host] });
    }
    pr.pendingIncludes = [];
    pr.roundHosts.delete(task.id);
    // a host whose include could not load counts as failed for any_errors_fatal and max_fail_percentage
    const includeFailed = new Set<string>();
    for (const g of groups) {
      if (g.failure) {
        this.#includeFailed(pr, task, g.hosts[0], g.failure);
        includeFailed.add(g.hosts[0]);
      } else this.#cb.include(g.file, g.hosts, g.hasItem ? g.item : undefined);
    }
    this.#shareRunOnce(
      pr,
      task,
      [...pr.hosts.values()].filter((hp) => !hp.failed && !hp.unreachable).map((hp) => hp.name),
    );
    pr.metaRan.delete(task.id);
    // After a flush, the handlers come next in play order (once per round, not once per host).
    if (
      task.action === "meta" && task.args._raw_params === "flush_handlers" &&
      pr.strategy instanceof LinearStrategy
    ) {
      pr.strategy.insertNext(pr.handlerTasks);
    }
    const failed = hosts.filter((h) => {
      const hp = pr.hosts.get(h)!;
      return hp.outcome === "failed" || hp.outcome === "unreachable" || includeFailed.has(h);
    });
    if (failed.length === 0) return;
    let fatal = false;
    try {
      const vars = this.#vars.forTask(pr, hosts[0], task);
      fatal = this.#kw.bool(task, "any_errors_fatal", vars, this.#o.anyErrorsFatal ?? false) &&
        failed.some((h) => pr.hosts.get(h)!.caught === 0);
    } catch {
      fatal = false;
    }
    let maxFailHit = false;
    if (!fatal && maxFail !== undefined) {
      const batchFailed = pr.batch.filter((h) => {
        const hp = pr.hosts.get(h)!;
        return hp.failed || hp.unreachable || hp.outcome === "failed" || hp.outcome === "unreachable" ||
          includeFailed.has(h);
      }).length;
      fatal = maxFailHit = batchFailed / pr.batch.length > maxFail / 100;
    }
    if (fatal) {
      for (const hp of pr.hosts.values()) {
        if (!hp.failed && !hp.unreachable) {
          hp.stopped = true;
          this.#tally.failedHosts.add(hp.name);
        }
      }
      pr.endPlay = true;
      pr.fatal = true;
      this.#cb.noHostsRemaining();
      // ansible-playbook announces it a second time when the batch then finds no host left.
      if (maxFailHit) this.#cb.noHostsRemaining();
    }
  }

  async #runBatch(pr: PlayRun): Promise<boolean> {
    const gather = this.#gatherFacts(pr);
    // gathering = smart: the hosts whose facts were gathered before (this run, or the fact cache) are
    // left out, decided as the batch starts
    const hosts = [...pr.hosts.keys()];
    const gatherOn = new Set(
      gather ? hosts.filter((h) => this.#o.gathering !== "smart" || !this.#vars.state(h).factsGathered) : [],
    );
    const sections = pr.play.sections;
    await pr.strategy.run(hosts, async (host) => {
      const hp = pr.hosts.get(host)!;
      try {
        if (hp.unreachable) {
          // unreachable in an earlier play: the play is its own only once clear_host_errors runs
          if (!(await pr.strategy.park(host))) throw new HostStopped();
          this.#vars.loadVarsFiles(pr, host);
        }
        if (gather && gatherOn.has(host)) await this.#runTaskOn(pr, hp, gather);
        for (const section of sections) {
          await this.#runItems(pr, hp, section);
        }
      } catch (err) {
        if (err instanceof HostFailed) {
          hp.failed = true;
          this.#tally.failedHosts.add(host);
        } else if (!(err instanceof HostStopped)) throw err;
      }
      if (
        hp.failed &&
        // the play's force_handlers, when written, overrides --force-handlers and the configuration
        this.#kw.bool(
          pr.play,
          "force_handlers",
          new LayeredVars([pr.play.vars, this.#o.extraVars]),
          this.#o.forceHandlers,
        )
      ) {
        // force_handlers: the failed host still runs what it was notified of.
        hp.stopped = false;
        try {
          await this.#flushHandlers(pr, hp);
        } catch (err) {
          if (!(err instanceof HostFailed || err instanceof HostStopped)) throw err;
        }
      }
    });
    return pr.fatal;
  }

  #gatherFacts(pr: PlayRun): Task | undefined {
    const play = pr.play;
    const raw = play.kw.gather_facts;
    let want: boolean;
    if (raw !== undefined) {
      want = bool(this.#o.templar.template(raw, new LayeredVars([play.vars, this.#o.extraVars])));
    } else want = this.#o.gathering !== "explicit";
    if (!want) return undefined;
    const args: Record<string, unknown> = {};
    if (play.kw.gather_subset !== undefined) args.gather_subset = play.kw.gather_subset;
    if (play.kw.gather_timeout !== undefined) args.gather_timeout = play.kw.gather_timeout;
    if (play.kw.fact_path !== undefined) args.fact_path = play.kw.fact_path;
    const task: Task = {
      kind: "task",
      id: nextId(),
      action: "gather_facts",
      actionWritten: "gather_facts",
      args,
      // as Ansible's: a play's run_once does not make one host's facts everybody's
      kw: { name: "Gathering Facts", tags: ["always"], run_once: false },
      parent: play,
      pos: play.pos,
      isHandler: false,
      localAction: false,
    };
    if (pr.strategy instanceof LinearStrategy) pr.strategy.insertNext([task]);
    return task;
  }

  // ---------------------------------------------------------------- blocks

  async #runItems(pr: PlayRun, hp: HostPlay, items: Item[]): Promise<void> {
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (hp.stopped || pr.endPlay) throw new HostStopped();
      if (item.kind === "block") await this.#runBlock(pr, hp, item);
      else if (!hp.pipeline) await this.#runTaskOn(pr, hp, item);
      else {
        // what this host runs next if the task goes well: what the task executor may send ahead
        hp.pipeline.upcoming = this.#startAt === undefined ? items.slice(i + 1) : undefined;
        try {
          await this.#runTaskOn(pr, hp, item);
        } finally {
          hp.pipeline.upcoming = undefined;
        }
      }
    }
  }

  /**
   * Whether a batch's hosts may have tasks sent ahead (docs/pipelining.md): only in lockstep (linear)
   * plays where no host's failure can stop another host's next task (any_errors_fatal,
   * max_fail_percentage), every host of the batch runs each round at once (forks), nothing asks before
   * each task (--step), and -vvv does not report each connection as a task starts.
   */
  #pipelines(pr: PlayRun, maxFail: number | undefined): boolean {
    return (this.#o.runner.taskPipeline ?? 0) > 0 && pr.strategy instanceof LinearStrategy &&
      (MITOGEN_STRATEGIES[pr.strategyName] ?? pr.strategyName) === "linear" && maxFail === undefined &&
      !this.#o.anyErrorsFatal && this.#o.step === undefined &&
      pr.batch.length <= Math.max(1, this.#o.forks) &&
      this.#o.verbosity < 3;
  }

  async #runBlock(pr: PlayRun, hp: HostPlay, block: Block): Promise<void> {
    const hasRescue = block.rescue.length > 0;
    const hasAlways = block.always.length > 0;
    let failure: unknown;
    if (hasRescue) hp.rescuable++;
    if (hasRescue || hasAlways) hp.caught++;
    try {
      await this.#runItems(pr, hp, block.block);
      if (block.endsRole) pr.roleRuns.reachedEnd(block.endsRole, hp.name);
    } catch (err) {
      failure = err;
    } finally {
      if (hasRescue) hp.rescuable--;
      if (hasRescue || hasAlways) hp.caught--;
    }
    if (failure instanceof HostFailed && hasRescue) {
      failure = undefined;
      hp.failed = false;
      if (hasAlways) hp.caught++;
      try {
        await this.#runItems(pr, hp, block.rescue);
      } catch (err) {
        failure = err;
      } finally {
        if (hasAlways) hp.caught--;
      }
    }
    if (!(failure instanceof HostStopped)) {
      const cleared = hp.cleared;
      try {
        await this.#runItems(pr, hp, block.always);
        if (failure instanceof HostFailed && hp.cleared !== cleared) failure = undefined;
      } catch (err) {
        failure = err;
      }
    }
    if (failure) throw failure;
  }

  // ---------------------------------------------------------------- tasks

  /**
   * Whether the run's tags select a task; undefined when its tags are templates and no variables are
   * given to template them with.
   */
  #selected(task: Task, vars?: VarLookup): boolean | undefined {
    // As ansible-core 2.14: handlers (and what they include) are never filtered by tags.
    if (task.implicit || task.isHandler) return true;
    let tags = tagsOf(task);
    if ([...tags].some(isTemplatedTag)) {
      if (!vars) return undefined;
      tags = templateTags(tags, (t) => this.#o.templar.template(t, vars));
    }
    return shouldRun(tags, this.#o.tags.length ? this.#o.tags : ["all"], this.#o.skipTags);
  }

  async #runTaskOn(pr: PlayRun, hp: HostPlay, task: Task): Promise<void> {
    // templated tags read the host's variables (Ansible templates a play's with the play's only)
    const templated = [...tagsOf(task)].some(isTemplatedTag);
    if (!this.#selected(task, templated ? this.#vars.forTask(pr, hp.name, task) : undefined)) return;
    // a role this host already completed in the play: its tasks are not run here, nor announced
    if (!task.isHandler && pr.roleRuns.hasRun(task.role, hp.name)) return;
    if (this.#startAt !== undefined && !task.implicit && task.action !== "gather_facts") {
      const plain = task.kw.name !== undefined ? String(task.kw.name) : task.actionWritten;
      if (this.#startAt !== plain && this.#startAt !== this.#kw.taskName(task)) return;
      this.#startAt = undefined;
    }
    if (task.action === "meta") {
      await this.#meta(pr, hp, task);
      return;
    }
    let included: Included[] = [];
    await pr.strategy.request(hp.name, task, async () => {
      included = await this.#tasks.execute(pr, hp, task);
    });
    // What the task built and dropped (a big lookup's bytes, a copy's content) goes before the next task.
    releaseGrowth();
    if (hp.outcome === "failed") throw new HostFailed();
    if (hp.outcome === "unreachable") {
      // Ansible's iterator keeps the host's place: clear_host_errors takes it on from the next task
      hp.pipeline?.clear();
      if (hp.unreachable && !(await pr.strategy.park(hp.name))) throw new HostStopped();
      return;
    }
    if (hp.outcome === "stop") throw new HostStopped();
    // An include that could not load fails the host (Ansible's strategy marks it failed before adding
    // the other loads' tasks): those still run where a rescue or always catches the failure, before it.
    const failedInclude = included.some((inc) => inc.failed);
    if (!failedInclude || hp.caught > 0) {
      for (const inc of included) {
        await this.#runItems(pr, hp, inc.items);
      }
    }
    if (failedInclude) {
      hp.outcome = "failed";
      throw new HostFailed();
    }
  }

  async #meta(pr: PlayRun, hp: HostPlay, task: Task): Promise<void> {
    const what = String(task.args._raw_params ?? "").trim();
    // Most meta actions act once for the whole round (the first host runs them for everybody).
    const once = !["noop", "reset_connection", "end_host", "role_complete", "flush_handlers"].includes(what);
    let skipped = false;
    let flush = false;
    await pr.strategy.request(hp.name, task, async () => {
      hp.outcome = "ok";
      if (once) {
        if (pr.metaRan.has(task.id)) return;
        pr.metaRan.add(task.id);
      }
      const vars = this.#vars.forTask(pr, hp.name, task);
      const view = this.#kw.view(task, vars);
      // Ansible announces a meta task for each host that runs it.
      if (!task.implicit) this.#cb.taskStart(view, task.isHandler ? "RUNNING HANDLER" : "TASK");
      // The flushes mito adds between sections have no conditions of their own and report nothing.
      if (!task.implicit && !["noop", "refresh_inventory", "reset_connection"].includes(what)) {
        try {
          skipped = !whensOf(task).every((w) => this.#o.templar.condition(w, vars));
        } catch (err) {
          this.#results.fail({ pr, hp, task, vars }, {
            failed: true,
            msg: taskErrorMessage(err, task, this.#o.isUndefinedError),
          });
          return;
        }
      }
      if (skipped) {
        const reason = `${what} conditional evaluated to False${META_SKIPPED[what]?.(hp.name) ?? ""}`;
        const msg = what === "end_host"
          ? `end_host conditional evaluated to false, continuing execution for ${hp.name}`
          : what;
        this.#cb.verbose(`META: ${reason}`, 2);
        this.#cb.result({
          status: "skipped",
          host: hp.name,
          task: view,
          result: { msg, skip_reason: reason },
        });
        return;
      }
      switch (what) {
        case "flush_handlers":
          if (task.isHandler) throw new ExecutionError("flush_handlers cannot be used as a handler");
          flush = true;
          break;
        case "noop":
          break;
        case "refresh_inventory":
          this.#o.inventory.refresh?.();
          this.#vars.inventoryRefreshed();
          // as Ansible's strategy recomputes the play's hosts: one the inventory lost leaves the play
          pr.all = this.#o.inventory.select(pr.pattern);
          for (const h of pr.hosts.values()) {
            if (!this.#o.inventory.hasHost(h.name)) h.stopped = true;
          }
          break;
        case "clear_facts":
          this.#vars.state(hp.name).facts.clear();
          break;
        case "clear_host_errors":
          for (const h of pr.hosts.values()) {
            h.cleared++;
            if (h.failed || h.unreachable) pr.cleared.add(h.name);
            if (h.failed) {
              h.failed = false;
              this.#tally.failedHosts.delete(h.name);
            }
            if (h.unreachable) {
              h.unreachable = false;
              // Ansible's playbook executor makes a host unreachable in an earlier play so again at
              // the next play's start; one unreachable in this play is forgotten
              if (pr.batch.includes(h.name)) this.#tally.unreachableHosts.delete(h.name);
              pr.strategy.resume(h.name);
            }
          }
          // the batch's hosts that failed in earlier plays sit this one out still, but not the next
          for (const h of pr.away) {
            pr.cleared.add(h);
            this.#tally.failedHosts.delete(h);
          }
          break;
        case "end_play":
          pr.endPlay = true;
          for (const h of pr.hosts.values()) h.stopped = true;
          hp.outcome = "stop";
          break;
        case "end_batch":
          for (const h of pr.hosts.values()) h.stopped = true;
          hp.outcome = "stop";
          break;
        case "end_host":
          hp.stopped = true;
          hp.ended = true;
          hp.outcome = "stop";
          break;
        case "end_role":
          break;
        case "reset_connection":
          await this.#o.runner.resetConnection(hp.name, connectionVars(vars, this.#o));
          break;
        default:
          throw new ExecutionError(
            `invalid meta action requested: ${what}` + (task.pos ? `\n\n${positionDetails(task.pos)}` : ""),
          );
      }
      if (!task.implicit) this.#cb.verbose(`META: ${META_MESSAGES[what]?.(hp.name) ?? what}`, 2);
    });
    if (hp.outcome === "failed") throw new HostFailed();
    if (hp.outcome === "stop" || hp.stopped) throw new HostStopped();
    if (flush) await this.#flushHandlers(pr, hp);
  }

  /**
   * One pass over the handlers, in list order, as Ansible's iterator makes it: a handler notified by one
   * that runs before it in the list runs in this pass, one earlier in the list waits for the next flush
   * (the implicit one after the section, or none), and a handler's notification is spent once it ran, so
   * a handler that notifies itself is not run again.
   */
  async #flushHandlers(pr: PlayRun, hp: HostPlay): Promise<void> {
    if (hp.notified.size === 0) return;
    for (const handler of pr.handlerTasks) {
      if (!hp.notified.has(handler)) continue;
      try {
        await this.#runTaskOn(pr, hp, handler);
      } finally {
        hp.notified.delete(handler);
      }
    }
  }

  /** Gives every other live host of the batch the run_once task's registered value and set_fact facts. */
  #shareRunOnce(pr: PlayRun, task: Task, hosts: string[]): void {
    const shared = pr.runOnce.get(task.id);
    if (!shared) return;
    pr.runOnce.delete(task.id);
    for (const h of hosts) {
      if (h === shared.host) continue;
      const st = this.#vars.state(h);
      if (shared.registered !== undefined && typeof task.kw.register === "string") {
        st.setFacts[task.kw.register] = shared.registered;
      }
      if (task.action === "set_fact" && isMap(shared.result.ansible_facts)) {
        Object.assign(st.setFacts, shared.result.ansible_facts);
      }
    }
  }
}
