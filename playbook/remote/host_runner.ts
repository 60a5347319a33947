// The HostRunner of `mito run`: one persistent context chain per (host, user, become, connection
// settings), reused by every task of the run; a module call is one round trip on it. The executor hands
// over ModuleRequests; this file turns them into contexts and calls.
import process from "node:process";
import { ContextGoneError } from "../../core/mod.ts";
import {
  Broker,
  ConnectError,
  type ConnectSpec,
  type Context,
  defaultMethods,
  hopFailure,
} from "../../transports/mod.ts";
import { buildSshArgv, type SshOptions } from "../../transports/ssh.ts";
import { shellQuote } from "../../transports/_ssh_argv.ts";
import {
  ActionRaised,
  CANCELLED,
  type HostRunner,
  type HostRunnerFactory,
  type HostRunnerOptions,
  isCancelled,
  type ModuleRequest,
  type ModuleResult,
} from "../runner.ts";
import { ACTIONS, asyncStatusBase, renderedTemplate, type TransferReporter } from "./actions.ts";
import {
  ansibleBuiltinRuntime,
  ansibleModuleRoot,
  collectionsModuleRoot,
  findAnsibleDir,
  ModuleNotFoundError,
  type ModulePreference,
  ModuleResolver,
  moduleUtilsRedirects,
  moduleUtilsRoot,
  shortName,
} from "./modules.ts";
import { ModuleSupportNotFoundError, type SupportLookup } from "./module_support.ts";
import { runRaw, runRawInContext } from "./raw.ts";
import { type ConnectPlan, LOCAL_LANES, PlanCache, planConnection, sshOptionsOf } from "./plan.ts";
import { LocalLanes } from "./_lanes.ts";
import { taskStack } from "./stack.ts";
import {
  errorText,
  failed,
  interpreterMissing,
  unreachable,
  withDisplayWarnings,
  withOutputLines,
} from "./_results.ts";
import { asyncDirOf, RUNNER_MODULE, TargetSession, targetWarm, taskModuleName } from "./session.ts";
import { Semaphore } from "../strategy.ts";
import { planSynchronize, syncResult } from "./_sync.ts";
import { rsyncHere } from "./_sync_run.ts";
import { escapeControls } from "../callbacks/display.ts";

export interface ProtocolRunnerOptions {
  /** `library/` dirs (config library path and the one beside the playbook). */
  libraryPaths?: string[];
  env?: Record<string, string | undefined>;
  /** Shows large transfers' progress (the CLI's bar when stderr is a terminal). */
  transfers?: TransferReporter;
  /** Where targets' log lines go (stderr; the CLI's writer that keeps them off its status line). */
  log?: (line: string) => void;
}

interface Reached {
  ctx: Context;
  plan: ConnectPlan;
}

/** Target loggers whose warnings are part of normal operation (Mitogen's list). */
const NOISY_LOGGERS = new Set(["dnf", "boto"]);

export class ProtocolHostRunner implements HostRunner {
  readonly #broker: Broker;
  readonly #resolver: ModuleResolver;
  /** The module_utils folders' root: what it overrides, targets with ansible-core of their own never use. */
  readonly #moduleUtils?: ReturnType<typeof moduleUtilsRoot>;
  readonly #support: SupportLookup;
  readonly #opts: HostRunnerOptions;
  readonly #transfers?: TransferReporter;
  readonly #chains = new Map<string, Promise<Reached>>();
  /** Every task's and loop item's plan (prepare and runModule plan each request once more). */
  readonly #plans = new PlanCache();
  readonly #lanes: LocalLanes;
  readonly #tempDirs = new WeakMap<Context, Promise<string>>();
  readonly #discovered = new Set<string>();
  /** Connection setups in flight at once (MITO_POOL_SIZE, default 32); tasks on live contexts are not limited. */
  readonly #connecting: Semaphore;
  /** What a task's target context imports while its first call is on the way (session.ts targetWarm). */
  readonly #warm: string[];

  constructor(opts: HostRunnerOptions, extra: ProtocolRunnerOptions = {}) {
    this.#opts = opts;
    this.#lanes = new LocalLanes(Math.max(LOCAL_LANES, opts.forks));
    this.#transfers = extra.transfers;
    const env = extra.env ?? process.env;
    const log = extra.log ?? ((line: string) => process.stderr.write(line));
    const ansibleDir = findAnsibleDir(env);
    if (opts.moduleUtilsDirs) this.#moduleUtils = moduleUtilsRoot(opts.moduleUtilsDirs);
    this.#support = {
      serves: (name) => this.#broker.serves(name),
      redirected: moduleUtilsRedirects(ansibleBuiltinRuntime(env, ansibleDir)),
    };
    this.#connecting = new Semaphore(positiveSetting(env, "POOL_SIZE", 32));
    this.taskPipeline = countSetting(env, "MITO_TASK_PIPELINE", DEFAULT_TASK_PIPELINE);
    const prefer = (env.MITO_MODULES ?? "auto") as ModulePreference;
    if (!["auto", "builtin", "ansible"].includes(prefer)) {
      throw new Error(`MITO_MODULES must be auto, builtin or ansible, not ${JSON.stringify(prefer)}`);
    }
    // ansible-core is the module source of this run: its first call on a target starts with module_utils.basic
    this.#warm = targetWarm(prefer !== "builtin" && ansibleDir !== undefined);
    this.#resolver = new ModuleResolver({
      libraryPaths: extra.libraryPaths ?? opts.libraryPaths ?? [],
      ...(opts.collections ? { collections: opts.collections } : {}),
      ansibleDir,
      prefer,
    });
    this.#broker = new Broker({
      methods: defaultMethods(),
      capControllerChildren: false,
      maxInterpreters: positiveSetting(env, "MAX_INTERPRETERS", 20),
      // targets' log records: INFO at -vvv, DEBUG at -vvvv, else warnings only
      logLevel: opts.verbosity >= 4 ? 10 : opts.verbosity >= 3 ? 20 : 30,
      // module_utils folders (playbook, roles, configured) before an installed ansible-core's own;
      // collections' own, for their modules' imports.
      roots: [
        ...(this.#moduleUtils ? [this.#moduleUtils] : []),
        ...(ansibleDir ? [ansibleModuleRoot(ansibleDir)] : []),
        ...(opts.collections?.roots ?? []).map(collectionsModuleRoot),
      ],
      onLog: (rec) => {
        // Libraries that warn in normal operation (dnf when a package is already installed, boto on
        // its retries) are heard at DEBUG only, as Mitogen does.
        const level = NOISY_LOGGERS.has(rec.name.split(".")[0]) ? Math.min(rec.level, 10) : rec.level;
        if (level >= 30 || opts.verbosity >= (level >= 20 ? 3 : 4)) {
          // A target's log text: shown, never obeyed by the terminal.
          log(escapeControls(`[context ${rec.context}] ${rec.name}: ${rec.message}`) + "\n");
        }
      },
    });
  }

  /** MITO_TASK_PIPELINE: tasks of a host sent ahead of the reply awaited (docs/pipelining.md). */
  readonly taskPipeline: number;

  /**
   * A task's own module is one call, honouring its chain, unless an action, raw or rsync runs it; a
   * template is one call when its text is small (else it cancels what was sent after it).
   */
  chainable(module: string): boolean {
    const name = shortName(module).name;
    return name === "template" ||
      !ACTIONS[name] && !["raw", "synchronize", "mitogen_get_stack"].includes(name);
  }

  prepare(req: ModuleRequest): boolean {
    let plan: ConnectPlan;
    try {
      plan = this.#plans.plan(req, this.#opts.defaults);
    } catch {
      return false;
    }
    // Sent ahead only over a connection already made: making one (a become hop's sudo, a login) acts on
    // the target and may fail; it happens in the task's turn, as it would have.
    if (!this.#chains.has(this.#lanes.current(plan, req.host).key)) return false;
    // it ends interpreters first, maybe those of the tasks in flight before it
    if (removedAccount(req) !== undefined) return false;
    if (shortName(req.module).name !== "template") return true;
    // On the controller itself, a task in flight may still be writing the template's source.
    if (plan.hops[0]?.method === "local") return false;
    let r: ReturnType<typeof renderedTemplate>;
    try {
      r = renderedTemplate(req);
    } catch {
      return false; // it raises again in its turn
    }
    if (!r.ok) return false;
    req.rendered = r;
    return true;
  }

  async runModule(req: ModuleRequest): Promise<ModuleResult> {
    const name = shortName(req.module).name;
    // A call sent after another runs only as that one's successor on the same context: anything else
    // (an action of several calls, a controller-side answer) is handed back to run the normal way.
    if (req.chain?.after !== undefined && (!this.chainable(req.module) || req.asyncSeconds > 0)) {
      return { [CANCELLED]: true };
    }
    // A diagnostic: it must answer even when the connection could not be made.
    if (name === "mitogen_get_stack") {
      try {
        return { changed: false, result: taskStack(req, this.#opts.defaults) };
      } catch (err) {
        return failed(errorText(err));
      }
    }
    // rsync runs where the task originates (controller or delegate), not through the host's context.
    if (name === "synchronize") return await this.#synchronize(req);
    let plan: ConnectPlan;
    try {
      plan = this.#plans.plan(req, this.#opts.defaults);
    } catch (err) {
      return failed(errorText(err));
    }
    // Ansible's raw action runs without the task's environment, and says so
    if (name === "raw" && Object.keys(req.environment).length) {
      const result = await this.runModule({ ...req, environment: {} });
      return withDisplayWarnings(result, ["raw module does not support the environment keyword"], true);
    }
    if (name === "raw" && plan.direct) return await runRaw(plan.direct, req);
    const removed = removedAccount(req);
    if (removed !== undefined) await this.#endAccount(plan, removed);
    this.#broker.prepareImports([RUNNER_MODULE]); // every task's session pushes the runner
    // A task sent ahead runs only over a live connection already made (see prepare); else nothing ran,
    // and it runs the normal way when its turn comes.
    const ahead = req.chain?.after !== undefined;
    const lane = this.#lanes.take(plan, req.host, ahead);
    try {
      const opened = await this.#open(req, lane.plan, ahead);
      if (!opened.ok) return ahead ? { [CANCELLED]: true } : opened.result;
      try {
        return await this.#runOpened(req, name, opened.session, opened.reached);
      } finally {
        opened.reached.ctx.release();
      }
    } finally {
      lane.done();
    }
  }

  async #runOpened(req: ModuleRequest, name: string, session: TargetSession, reached: Reached) {
    let result: ModuleResult;
    try {
      const action = ACTIONS[name];
      // raw reports no discovered interpreter (Ansible runs no Python for it)
      if (name === "raw") return await runRawInContext(session, req, rawTerminal(reached.plan));
      result = action
        ? await action(session, req.args, {
          transfers: this.#transfers,
          ...(req.chain ? { chain: req.chain } : {}),
        })
        : await session.runModule(req.module, req.args, {
          askedAs: taskModuleName(req.moduleWritten ?? req.module),
          ...(req.chain && req.asyncSeconds === 0 ? { chain: req.chain } : {}),
        });
      if (isCancelled(result)) return result;
      // An action's module started as a job (package's apt …) is waited for like the task's own.
      if (req.asyncSeconds > 0 && req.poll > 0 && !result.failed && result.ansible_job_id !== undefined) {
        result = await pollAsync(session, req, result);
      }
    } catch (err) {
      // the task executor reports it, not the result
      if (err instanceof ActionRaised) throw err;
      // Ansible's words for a module that resolves nowhere when its task runs (no "changed" key)
      if (err instanceof ModuleNotFoundError) {
        return { failed: true, msg: `The module ${err.module} was not found in configured module paths` };
      }
      // Ansible raises it while building the module: the task fails with no "changed" key
      if (err instanceof ModuleSupportNotFoundError) throw new ActionRaised(err.message, {});
      return this.#callFailed(req, reached, err);
    }
    return session.ranModule ? this.#withDiscovered(req, reached, result) : result;
  }

  /** Reaches the plan's context (connecting when needed) and opens this task's session on it. */
  async #open(
    req: ModuleRequest,
    plan: ConnectPlan,
    existingOnly = false,
  ): Promise<{ ok: true; session: TargetSession; reached: Reached } | { ok: false; result: ModuleResult }> {
    let reached: Reached;
    try {
      reached = await this.#reach(plan, existingOnly);
    } catch (err) {
      const cause = hopFailure(err);
      const msg = cause
        ? `${cause.message}${cause.output ? `\n${cause.output.trim()}` : ""}`
        : errorText(err);
      const hop = (err as { hop?: number }).hop;
      // The host answered but has no interpreter where the task said: Ansible's module failure (the
      // host stays in the play, ignore_errors and rescue apply), and the next task tries again.
      const missing = hop === (plan.becomeIndex ?? plan.hops.length) - 1
        ? missingInterpreter(err)
        : undefined;
      if (missing !== undefined) return { ok: false, result: interpreterMissing(missing) };
      // A login that failed is unreachable; a become that failed is a task failure, as in Ansible.
      const result = plan.becomeIndex !== undefined && hop === plan.becomeIndex
        ? failed(msg)
        : unreachable(unreachableMessage(plan, hop, cause, msg));
      return { ok: false, result };
    }
    const session = new TargetSession({
      ctx: reached.ctx,
      req,
      resolver: this.#resolver,
      tempDirs: this.#tempDirs,
      libraries: req.libraryPaths ?? [],
      ...(this.#moduleUtils ? { overrides: this.#moduleUtils.names } : {}),
      support: this.#support,
    });
    return { ok: true, session, reached };
  }

  /** A call that threw: the connection was lost (unreachable, and forgotten), or the module crashed. */
  #callFailed(req: ModuleRequest, reached: Reached, err: unknown): ModuleResult {
    const lost = !reached.ctx.alive;
    if (lost) this.#chains.delete(reached.plan.key);
    // A call sent ahead whose context went away (the connection lost, or the run over after a failure
    // made it moot) never ran: run the normal way (reconnecting) if its turn comes.
    if (req.chain?.after !== undefined && (lost || err instanceof ContextGoneError)) {
      return { [CANCELLED]: true };
    }
    if (lost) return unreachable(`the connection to ${req.targetHost} was lost: ${errorText(err)}`);
    return failed(`MODULE FAILURE: ${errorText(err)}`, { module_stderr: errorText(err) });
  }

  async #synchronize(req: ModuleRequest): Promise<ModuleResult> {
    const sync = planSynchronize(req, this.#opts.defaults);
    if (!sync.ok) return failed(sync.msg);
    if (sync.where.kind === "controller") return syncResult(sync, await rsyncHere(sync), req.diff);
    // rsync brings its own --dry-run: the command module must not skip it in check mode.
    const there: ModuleRequest = {
      ...req,
      checkMode: false,
      become: { ...req.become, become: sync.where.become },
    };
    let plan: ConnectPlan;
    try {
      plan = planConnection(there, this.#opts.defaults);
    } catch (err) {
      return failed(errorText(err));
    }
    const opened = await this.#open(there, plan);
    if (!opened.ok) return opened.result;
    try {
      const r = await opened.session.runModule("command", { argv: sync.argv });
      return syncResult(sync, {
        rc: Number(r.rc ?? 255),
        stdout: String(r.stdout ?? ""),
        stderr: String(r.stderr ?? r.msg ?? ""),
      }, req.diff);
    } catch (err) {
      return this.#callFailed(req, opened.reached, err);
    } finally {
      opened.reached.ctx.release();
    }
  }

  /**
   * Ansible reports an auto-discovered interpreter as a fact until a result that keeps its facts carries
   * it: a failed result's facts are dropped, so the next task reports it again.
   */
  #withDiscovered(req: ModuleRequest, reached: Reached, result: ModuleResult): ModuleResult {
    if (!reached.plan.discovered || this.#discovered.has(req.targetHost) || !reached.ctx.info) return result;
    if (!result.failed) this.#discovered.add(req.targetHost);
    const facts = (result.ansible_facts ?? {}) as Record<string, unknown>;
    return {
      ...result,
      ansible_facts: { ...facts, discovered_interpreter_python: reached.ctx.info.executable },
    };
  }

  /** The plan's live context (connecting unless `existingOnly`, which then fails instead). */
  #reach(plan: ConnectPlan, existingOnly = false): Promise<Reached> {
    let p = this.#chains.get(plan.key);
    const cached = p !== undefined && this.#opts.verbosity >= 3;
    if (!p && existingOnly) return Promise.reject(new Error(`no connection for ${plan.host} yet`));
    if (!p) {
      p = this.#connecting.use(() => this.#connectChain(plan));
      this.#chains.set(plan.key, p);
      p.catch(() => {
        if (this.#chains.get(plan.key) === p) this.#chains.delete(plan.key);
      });
    }
    return p.then((r) => {
      if (r.ctx.alive) {
        // held for the task; in the same step as the check, so no eviction can come between
        r.ctx.retain();
        if (cached) this.#say(plan.host, `reusing interpreter ${describeContext(r.ctx)}`);
        return r;
      }
      if (existingOnly) throw new Error(`the connection for ${plan.host} was lost`);
      this.#chains.delete(plan.key);
      return this.#reach(plan);
    });
  }

  async #connectChain(plan: ConnectPlan): Promise<Reached> {
    let via: Context | undefined;
    for (let i = 0; i < plan.hops.length; i++) {
      // The target's own context is named by its inventory host in errors (a protocol violation from it),
      // and imports what its first call will (targetWarm) while that call is on the way.
      const label = i === plan.hops.length - 1 ? { label: plan.host, warm: this.#warm } : {};
      const spec: ConnectSpec = { ...plan.hops[i], ...(via ? { via } : {}), ...label };
      const known = new Set(this.#broker.contexts().map((c) => c.id));
      try {
        via = await this.#broker.connect(spec);
      } catch (err) {
        (err as { hop?: number }).hop = i;
        throw err;
      }
      if (this.#opts.verbosity >= 3) {
        const started = !known.has(via.id);
        if (started && spec.method === "ssh" && i === 0) this.#sayExec(plan.host, spec);
        // a hop started by the one before it (sudo …): the command that hop ran, as the target tells it
        if (started && via.exec !== undefined) this.#say(plan.host, `EXEC ${via.exec}`);
        const how = started ? "started interpreter" : "reusing interpreter";
        this.#say(
          plan.host,
          `hop ${i + 1}/${plan.hops.length} ${describeHop(spec)}: ${how} ${describeContext(via)}`,
        );
      }
    }
    if (!via) throw new Error("empty connection plan");
    // The cache holds no reference: between tasks the chain is idle, so the per-parent interpreter cap
    // can close its least recently used end (Mitogen's recycling); each task holds the target's context.
    for (let c: Context | undefined = via; c; c = c.parent) c.release();
    return { ctx: via, plan };
  }

  /** A -vvv line about `host`'s connection, as Ansible prefixes its connection plugins' lines. */
  #say(host: string, text: string): void {
    this.#opts.say?.(`<${host}> ${text}`);
  }

  /** The ssh command line a hop runs, as Ansible's ssh plugin shows it at -vvv (no password ever in it). */
  #sayExec(host: string, spec: ConnectSpec): void {
    let argv: string[];
    try {
      argv = buildSshArgv(spec as unknown as SshOptions, [
        String(spec.python ?? "python3"),
        "-c",
        "<mito bootstrap>",
      ]);
    } catch {
      return; // the connect that follows reports the bad ssh arguments
    }
    const secret = typeof spec.password === "string" && spec.password ? spec.password : undefined;
    const shown = argv.map((a) => shellQuote(secret ? a.replaceAll(secret, "********") : a)).join(" ");
    this.#say(host, `SSH: EXEC ${shown}`);
  }

  /**
   * Ends the interpreters kept as `account` (a become hop's user) on the machine `plan` reaches: the
   * account is about to be deleted, and userdel refuses while one of its processes runs. Ansible keeps
   * no process between tasks; the next task as that user starts its interpreter again.
   */
  async #endAccount(plan: ConnectPlan, account: string): Promise<void> {
    const local = plan.hops[0]?.method === "local";
    for (const [key, p] of this.#chains) {
      const r = await p.catch(() => undefined);
      if (!r || r.plan.becomeIndex === undefined || r.plan.hops[r.plan.becomeIndex].user !== account) {
        continue;
      }
      // the controller's own machine is reached from every local plan, whichever host it is for
      if (r.plan.host !== plan.host && !(local && r.plan.hops[0]?.method === "local")) continue;
      this.#chains.delete(key);
      await r.ctx.shutdown().catch(() => {});
    }
  }

  /** Drops every chain that reaches `host`; the plan says which host a chain is for. */
  async resetConnection(host: string, _connectionVars: Record<string, unknown>): Promise<void> {
    for (const [key, p] of this.#chains) {
      const r = await p.catch(() => undefined);
      if (r && r.plan.host === host) {
        this.#chains.delete(key);
        await r.ctx.shutdown().catch(() => {});
      }
    }
  }

  async close(): Promise<void> {
    this.#chains.clear();
    // The run's results are all in: its targets clean up on their own, mito need not wait to see them go.
    await this.#broker.shutdown({ detach: true });
  }
}

/**
 * MITO_<name>, else Mitogen's MITOGEN_<name> (configurations written for Ansible+Mitogen keep working),
 * else `dflt`; anything but a positive integer is refused with the variable and its value.
 */
function positiveSetting(env: Record<string, string | undefined>, name: string, dflt: number): number {
  for (const v of [`MITO_${name}`, `MITOGEN_${name}`]) {
    const text = env[v];
    if (text === undefined || text === "") continue;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) {
      throw new Error(`${v} must be a positive integer, not ${JSON.stringify(text)}`);
    }
    return n;
  }
  return dflt;
}

/** Tasks of a host sent ahead by default (MITO_TASK_PIPELINE; 0 turns task pipelining off). */
const DEFAULT_TASK_PIPELINE = 32;

/** A count setting: a non-negative integer, else refused with the variable and its value. */
function countSetting(env: Record<string, string | undefined>, name: string, dflt: number): number {
  const text = env[name];
  if (text === undefined || text === "") return dflt;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`${name} must be a non-negative integer, not ${JSON.stringify(text)}`);
  }
  return n;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `async` with `poll > 0`: wait for the job as Ansible does, then clean its results file up. */
async function pollAsync(s: TargetSession, req: ModuleRequest, started: ModuleResult): Promise<ModuleResult> {
  const jid = String(started.ansible_job_id);
  const dir = asyncDirOf(req.connectionVars);
  let left = req.asyncSeconds;
  let status: ModuleResult = started;
  while (left > 0) {
    await sleep(req.poll * 1000);
    // each poll is Ansible's async_status action
    status = {
      ...asyncStatusBase(jid, false),
      ...withOutputLines(
        await s.context.call<ModuleResult>("mito.runner", "async_status", [jid, "status", dir]),
      ),
    };
    // The job's own time limit ending it is this poll's timeout, reported as Ansible's poller does.
    if (Number(status.finished) === 1 && !/^Job reached maximum time limit/.test(String(status.msg ?? ""))) {
      break;
    }
    left -= req.poll;
    req.onAsync?.({ kind: "poll", jid, started: status.started, finished: status.finished });
  }
  if (Number(status.finished) !== 1 || /^Job reached maximum time limit/.test(String(status.msg ?? ""))) {
    req.onAsync?.({ kind: "failed", jid });
    return {
      failed: true,
      changed: false,
      msg: `async task did not complete within the requested time - ${req.asyncSeconds}s`,
      async_result: status,
    };
  }
  void s.context.call("mito.runner", "async_status", [jid, "cleanup", dir]).catch(() => {});
  req.onAsync?.({ kind: status.failed ? "failed" : "ok", jid });
  return status;
}

/** The account a task deletes (the user module, state absent), whose interpreters must end first. */
function removedAccount(req: ModuleRequest): string | undefined {
  const { state, name } = req.args;
  return shortName(req.module).name === "user" && state === "absent" && typeof name === "string"
    ? name
    : undefined;
}

/** The ssh login to the target of a plan with a become hop, whose terminal Ansible's raw runs in. */
function rawTerminal(plan: ConnectPlan): SshOptions | undefined {
  const login = plan.hops[(plan.becomeIndex ?? plan.hops.length) - 1];
  return login?.method === "ssh" ? sshOptionsOf(login) : undefined;
}

export function protocolRunnerFactory(extra: ProtocolRunnerOptions = {}): HostRunnerFactory {
  return (opts) => new ProtocolHostRunner(opts, extra);
}

/**
 * What the target's shell said when the interpreter could not be run (status 127 of the shell or the
 * spawn, or ssh's "python-missing"), or undefined when the connection failed for another reason.
 */
function missingInterpreter(err: unknown): string | undefined {
  for (let e = err; e instanceof Error; e = e.cause) {
    if (e instanceof ConnectError && e.exited?.status.code === 127) return e.exited.stderr;
  }
  const cause = hopFailure(err);
  return cause?.kind === "python-missing" ? cause.output : undefined;
}

/** One hop as -vvv names it: `ssh mito@127.0.0.1:2222`, `sudo root`, `docker web`. */
function describeHop(spec: ConnectSpec): string {
  const user = spec.username ?? spec.user;
  const where = spec.hostname ?? spec.container ?? spec.path;
  const at = [user, where].filter((x) => x !== undefined && x !== "").join("@");
  return [spec.method, at + (spec.port !== undefined && spec.hostname ? `:${spec.port}` : "")].filter(Boolean)
    .join(" ");
}

function describeContext(ctx: Context): string {
  const i = ctx.info;
  return i
    ? `(context ${ctx.id}, pid ${i.pid}, user ${i.user}, Python ${
      i.python.slice(0, 3).join(".")
    } at ${i.executable})`
    : `(context ${ctx.id})`;
}

/**
 * An unreachable host's message. OpenSSH from the controller failing on its own (its stderr says why) is
 * worded as Ansible's ssh plugin words it: "via ssh:" and what ssh printed, right-stripped. Other hops
 * (bastions, containers, mito's own timeouts) keep mito's classified cause with the hop's output.
 */
function unreachableMessage(
  plan: ConnectPlan,
  hop: number | undefined,
  cause: { output: string } | undefined,
  msg: string,
): string {
  const first = (hop ?? 0) === 0 && plan.hops[0]?.method === "ssh";
  if (first && cause?.output.trim()) {
    return `Failed to connect to the host via ssh: ${cause.output.trimEnd()}`;
  }
  return `Failed to connect to the host: ${msg}`;
}
