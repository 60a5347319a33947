// The play engine: runs loaded plays against the inventory, host by host as coroutines under a
// strategy, with Ansible's variable precedence, conditionals, loops, blocks, handlers and results.
import * as fs from "node:fs";
import * as path from "node:path";
import * as os from "node:os";
import { ExecutionError, positionDetails } from "./errors.ts";
import { readTextFile } from "./text_file.ts";
import { releaseGrowth } from "../transports/memory.ts";
import type { Block, Item, Play, Playbook, RoleInstance, Scope, Task } from "./model.ts";
import { INHERITED, makeBlock, nextId, roleFullName, shownTaskName } from "./model.ts";
import {
  type Layer,
  LayeredVars,
  type LazyLayer,
  mergeDeep,
  roleChain,
  scopeChain,
  type VarLookup,
} from "./vars.ts";
import { HostVarsState } from "./vars.ts";
import { keyJson, plainStrings, wrapUnsafe } from "./values.ts";
import { boolean } from "./py/boolean.ts";
import { type Callback, CENSORED, type HostStats, type TaskView } from "./callbacks/types.ts";
import { asyncLine } from "./callbacks/default.ts";
import { type ActionEnv, CONTROLLER_ACTIONS, type Result } from "./actions.ts";
import type { HostRunner, ModuleRequest } from "./runner.ts";
import { LOOP_SOURCES, LoopError, withLoopItems } from "./loops.ts";
import { shouldRun, tagList } from "./tags.ts";
import { FreeStrategy, LinearStrategy, type Strategy } from "./strategy.ts";
import type { Loader } from "./loader.ts";
import { asList } from "./loader.ts";
import { isTemplateText, shortActionName } from "./task_args.ts";

/** The templating engine as the executor uses it (playbook/template's Templar fits). */
export interface TemplateEngine {
  template(value: unknown, vars: VarLookup, opts?: { native?: boolean; failOnUndefined?: boolean }): unknown;
  condition(cond: unknown, vars: VarLookup): boolean;
  /** Runs a lookup plugin for `with_<name>` (the terms as they are; always a list). */
  loopLookup?(name: string, terms: unknown[], vars: VarLookup): unknown[];
  /** Renders a template file's text (the template action). */
  renderFile?(
    source: string,
    vars: VarLookup,
    opts: {
      trimBlocks?: boolean;
      lstripBlocks?: boolean;
      newlineSequence?: string;
      extraVars?: Record<string, unknown>;
      searchPaths?: string[];
    },
  ): string;
}

/** The default callback's lines for a polled async task. */

/** The template_* variables Ansible's template action adds for the file being rendered. */
function templateFileVars(file: string): Record<string, unknown> {
  const st = fs.statSync(file);
  return {
    template_path: file,
    template_fullpath: path.resolve(file),
    template_host: os.hostname(),
    template_uid: String(st.uid),
    ansible_managed: "Ansible managed",
  };
}

/** The inventory as the executor uses it; cli/cmd_run.ts adapts playbook/inventory to it. */
export interface InventoryView {
  /** Host names matching a pattern (the --limit applied), in inventory order. */
  select(pattern: string): string[];
  /** The host's inventory variables: group vars (all first, by depth) then host vars. */
  hostVars(host: string): Record<string, unknown>;
  /** Groups the host is in, sorted, without all/ungrouped. */
  groupNames(host: string): string[];
  /** Every group with its hosts, `all` and `ungrouped` included. */
  groups(): Record<string, string[]>;
  hasHost(host: string): boolean;
  /** Whether `host` is the implicit localhost (in no inventory source). */
  isImplicit?(host: string): boolean;
  addHost(host: string, groups: string[], vars: Record<string, unknown>): void;
  addToGroup(host: string, group: string): void;
  /** Where the host was defined, for inventory_dir / inventory_file. */
  sourceOf(host: string): string | undefined;
  /** meta: refresh_inventory — read the sources again (hosts added by add_host are dropped). */
  refresh?(): void;
}

export interface ExecutorOptions {
  inventory: InventoryView;
  templar: TemplateEngine;
  /** Names an UndefinedError from the templar. */
  isUndefinedError(err: unknown): boolean;
  omitToken: string;
  pyStr(v: unknown): string;
  /** Shows a deprecation warning (once per message), as Ansible's display.deprecated. */
  deprecated?(msg: string, version: string): void;
  /** Lazy mapping constructor for hostvars, so templates read it without copying. */
  lazyMapping(get: (k: string) => unknown, keys: () => string[], like?: LazyMappingLike): unknown;
  callback: Callback;
  /** fact_caching = jsonfile: where each host's gathered and cacheable facts are also written. */
  factCache?: {
    update(host: string, facts: Record<string, unknown>): void;
    /** Facts kept from earlier runs: a host starts with them, as with Ansible's persistent caches. */
    load?(host: string): Record<string, unknown> | undefined;
  };
  runner: HostRunner;
  loader: Loader;
  readYaml(file: string): unknown;
  extraVars: Record<string, unknown>;
  check: boolean;
  diff: boolean;
  verbosity: number;
  tags: string[];
  skipTags: string[];
  forks: number;
  startAtTask?: string;
  forceHandlers: boolean;
  defaultStrategy: string;
  /** gathering = implicit|explicit|smart from the configuration. */
  gathering: string;
  isTTY: boolean;
  prompt?(text: string, isPrivate: boolean): Promise<string>;
  /** --step: asks `ask` before each task ("y" runs it, "c" runs it and stops asking, else it is skipped),
   * then shows the question as a banner, as ansible-playbook does. */
  step?: { ask(text: string): Promise<string>; banner(text: string): void };
  /** Settings passed to the runner as defaults of connection variables (remote_user, become...). */
  connectionDefaults: Record<string, unknown>;
  ansibleVersion: { full: string; major: number; minor: number; revision: number; string: string };
  hashMerge?: boolean;
  /** any_errors_fatal from the configuration: the default for plays that do not set it. */
  anyErrorsFatal?: boolean;
  sleep?(ms: number): Promise<void>;
}

/** What a lazy mapping stands for in templates' error messages (Ansible's HostVars classes). */
export interface LazyMappingLike {
  /** The Python class named in "'<class> object' has no attribute 'x'"; "dict" when absent. */
  pyClass?: string;
  /** The name a missing key is undefined as ("'<name>' is undefined"); absent: no attribute. */
  missingName?: (key: string) => string;
}

/** A task failed on a host: unwinds to the nearest block with a rescue. */
class HostFailed extends Error {}
/** Templating a task failed: the whole task fails with just this message, as Ansible's post_validate. */
class TaskTemplateError extends Error {}

/**
 * The roles a task runs under, outermost first, as Ansible's dep chain: each role is preceded by the
 * roles it is a meta dependency of.
 */
function dependencyChain(scope: Scope): RoleInstance[] {
  const out: RoleInstance[] = [];
  for (const role of roleChain(scope)) {
    const parents: RoleInstance[] = [];
    for (let r = role.dependencyOf; r; r = r.dependencyOf) parents.unshift(r);
    for (const r of [...parents, role]) if (!out.includes(r)) out.push(r);
  }
  return out;
}

/** Ansible's evaluate_conditional wording for a conditional that could not be evaluated. */
function conditionalFailed(cond: unknown, err: unknown): string {
  return `The conditional check '${String(cond)}' failed. The error was: ${(err as Error).message}`;
}

/** One conditional of a list could not be evaluated: which one, and why. */
class ConditionFailure extends Error {
  constructor(readonly cond: unknown, readonly error: unknown) {
    super(conditionalFailed(cond, error));
  }
}

/** Whether every conditional holds, evaluated in order up to the first false one, as Ansible's evaluate_conditional. */
function allHold(templar: TemplateEngine, conds: unknown[], vars: VarLookup): boolean {
  for (const c of conds) {
    let ok: boolean;
    try {
      ok = templar.condition(c, vars);
    } catch (err) {
      throw new ConditionFailure(c, err);
    }
    if (!ok) return false;
  }
  return true;
}

/** Controller actions Ansible runs once per batch, on its first host (BYPASS_HOST_LOOP). */
const BYPASS_HOST_LOOP = new Set(["add_host", "pause"]);

/** How many loop items a pipelined loop keeps sent ahead of the one whose reply it awaits. */
const LOOP_WINDOW = 256;
/** Modules whose items are never sent ahead (see #pipelinable). */
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

/**
 * A become option from the variables its plugin reads, the last one set winning as in Ansible's config
 * manager: ansible_become_user then ansible_sudo_user (ansible_su_user, ansible_doas_user …); the
 * password also from ansible_become_password and ansible_become_pass.
 */
function becomeVar(method: string, option: string, get: (name: string) => unknown): unknown {
  const plugin = method.replace(/^(mitogen_|ansible\.builtin\.|community\.general\.)/, "");
  const names = option === "pass"
    ? ["ansible_become_password", "ansible_become_pass"]
    : [`ansible_become_${option}`];
  if (["sudo", "su", "doas"].includes(plugin)) names.push(`ansible_${plugin}_${option}`);
  let found: unknown;
  for (const n of names) found = get(n) ?? found;
  return found;
}

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
type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };
const settle = <T>(p: Promise<T>): Promise<Settled<T>> =>
  p.then((value) => ({ ok: true as const, value }), (error) => ({ ok: false as const, error }));
const unsettle = <T>(s: Settled<T>): T => {
  if (s.ok) return s.value;
  throw s.error;
};

/** A loop item once its `when` and arguments were templated (and, pipelined, its call sent). */
interface StartedItem {
  layer: Record<string, unknown>;
  ivars: LayeredVars;
  itemNoLog: boolean;
  run?: () => Promise<Result>;
  error?: unknown;
}
/** The host stops for this play (end_host, end_play, unreachable, a fatal failure elsewhere). */
class HostStopped extends Error {}

interface HostPlay {
  name: string;
  failed: boolean;
  unreachable: boolean;
  stopped: boolean;
  notified: Set<Task>;
  /** Outcome of the host's last task: set by the task's work, read by the host coroutine. */
  outcome: "ok" | "failed" | "unreachable" | "skipped" | "stop";
  /** Inside a block with a rescue: a failure here counts as rescued, not failed. */
  rescuable: number;
  /** Hosts removed from the play by meta end_host. */
  ended: boolean;
}

interface PlayRun {
  play: Play;
  /** All hosts the play's pattern matched. */
  all: string[];
  batch: string[];
  hosts: Map<string, HostPlay>;
  strategy: Strategy;
  strategyName: string;
  promptVars: Record<string, unknown>;
  varsFiles: Map<string, Record<string, unknown>>;
  /** Roles whose defaults and vars every task sees. */
  publicRoles: RoleInstance[];
  handlerTasks: Task[];
  includeCache: Map<string, Item[]>;
  endPlay: boolean;
  bannered: Set<number>;
  /** "included: file for hosts" lines of the current round, printed together when it ends. */
  pendingIncludes: { file: string; host: string; item: unknown; hasItem: boolean }[];
  /** run_once results waiting to be shared with the batch when the round ends. */
  runOnce: Map<number, { host: string; result: Result; registered: unknown }>;
  /** Meta tasks that act once per round and already did in this round. */
  metaRan: Set<number>;
  /** any_errors_fatal or max_fail_percentage ended the play: the whole run stops. */
  fatal: boolean;
}

const INHERITED_KEYWORDS = new Set<string>(INHERITED);
const SKIPPED = (): Result => ({
  changed: false,
  skipped: true,
  skip_reason: "Conditional result was False",
});
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
const CLEAN_EXCEPTIONS = new Set([
  "_ansible_verbose_always",
  "_ansible_item_label",
  "_ansible_no_log",
  "_ansible_verbose_override",
]);

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

const bool = (v: unknown): boolean => boolean(v, { strict: false });

function flatten(items: Item[]): Task[] {
  const out: Task[] = [];
  for (const it of items) {
    if (it.kind === "task") out.push(it);
    else out.push(...flatten(it.block), ...flatten(it.rescue), ...flatten(it.always));
  }
  return out;
}

/** A copy without `_ansible_*` keys (except the display ones), at every dict level. */
function stripInternal(v: unknown, keepDisplay: boolean): unknown {
  if (Array.isArray(v)) return v.map((x) => stripInternal(x, keepDisplay));
  if (!isMap(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith("_ansible_") && !(keepDisplay && CLEAN_EXCEPTIONS.has(k))) continue;
    out[k] = stripInternal(x, keepDisplay);
  }
  return out;
}

const INCLUDE_ACTIONS = new Set(["include_tasks", "include_role"]);

/**
 * Ansible's gather_facts action around the setup module: the facts, warnings and deprecations only (no
 * invocation), marked so that -v does not dump them.
 */
function gatherFactsResult(r: Result): Result {
  if (r.failed === true) return r;
  return {
    ansible_facts: r.ansible_facts ?? {},
    warnings: r.warnings ?? [],
    deprecations: r.deprecations ?? [],
    _ansible_verbose_override: true,
    ...("changed" in r ? { changed: r.changed } : {}),
  };
}

/** What callbacks see (TaskResult.clean_copy): censored under no_log, failed/skipped dropped. */
function cleanCopy(r: Result, noLog: boolean): Result {
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

/** What `register` stores: the result without internal keys, its strings unsafe (Ansible's wrap_var). */
function registeredValue(result: Result): Result {
  return wrapUnsafe(stripInternal(result, false)) as Result;
}

function removeOmit(v: unknown, omit: string): unknown {
  if (Array.isArray(v)) return v.filter((x) => x !== omit).map((x) => removeOmit(x, omit));
  if (isMap(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== omit) out[k] = removeOmit(x, omit);
    return out;
  }
  return v;
}

/** Mitogen for Ansible's strategy names (ansible.cfg, ANSIBLE_STRATEGY, the play keyword) → Ansible's. */
const MITOGEN_STRATEGIES: Record<string, string> = {
  mitogen_linear: "linear",
  mitogen_free: "free",
  mitogen_host_pinned: "host_pinned",
};

export class Executor {
  #o: ExecutorOptions;
  #cb: Callback;
  #stats = new Map<string, HostStats>();
  #custom: Record<string, Record<string, unknown>> = {};
  #hostState = new Map<string, HostVarsState>();
  /** Hosts that failed or were unreachable in an earlier play: left out of later plays. */
  #failedHosts = new Set<string>();
  #unreachableHosts = new Set<string>();
  #invCache = new Map<string, Record<string, unknown>>();
  /** The `groups` variable, built once and rebuilt only after add_host/group_by change the inventory. */
  #groupsCache: Record<string, string[]> | undefined;
  #startAt: string | undefined;
  /** --step still asks (until answered "c"); questions of concurrent hosts wait for each other. */
  #stepping = false;
  #stepTurn: Promise<unknown> = Promise.resolve();

  constructor(opts: ExecutorOptions) {
    this.#o = opts;
    this.#cb = opts.callback;
    this.#startAt = opts.startAtTask;
    this.#stepping = opts.step !== undefined;
  }

  #state(host: string): HostVarsState {
    let s = this.#hostState.get(host);
    if (!s) {
      this.#hostState.set(host, s = new HostVarsState());
      const cached = this.#o.factCache?.load?.(host);
      if (cached) {
        // As Ansible injects cached facts: each key as it is, and in ansible_facts without its ansible_
        // prefix; its own markers (_ansible_facts_gathered) stay out of the variables.
        for (const [k, v] of Object.entries(wrapUnsafe(cached) as Record<string, unknown>)) {
          if (k.startsWith("_")) continue;
          s.facts[k] = v;
          if (k.startsWith("ansible_") && k !== "ansible_local") s.facts[k.slice(8)] = v;
        }
      }
    }
    return s;
  }

  #stat(host: string): HostStats {
    let s = this.#stats.get(host);
    if (!s) {
      this.#stats.set(
        host,
        s = { ok: 0, changed: 0, unreachable: 0, failures: 0, skipped: 0, rescued: 0, ignored: 0 },
      );
    }
    return s;
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
        if (stop) break;
      }
    } finally {
      await this.#o.runner.close();
    }
    this.#cb.stats({ hosts: Object.fromEntries(this.#stats), custom: this.#custom });
    this.#cb.close();
    if (this.#unreachableHosts.size > 0) return 4;
    if (this.#failedHosts.size > 0) return 2;
    return 0;
  }

  // ---------------------------------------------------------------- variables

  #groups(): Record<string, string[]> {
    return this.#groupsCache ??= this.#o.inventory.groups();
  }

  #inventoryVars(host: string): Record<string, unknown> {
    let v = this.#invCache.get(host);
    if (!v) this.#invCache.set(host, v = this.#o.inventory.hostVars(host));
    return v;
  }

  #factsLayer(host: string): Layer {
    const st = this.#state(host);
    return {
      lazy: true,
      get: (n) => (n === "ansible_facts" ? st.facts : st.facts[n]),
      has: (n) => n === "ansible_facts" || Object.hasOwn(st.facts, n),
      keys: () => ["ansible_facts", ...Object.keys(st.facts)],
    } satisfies LazyLayer;
  }

  #magic(pr: PlayRun | undefined, host: string, task: Scope | undefined): LazyLayer {
    const roles = task ? roleChain(task) : [];
    const role = roles[roles.length - 1];
    const inv = this.#o.inventory;
    const active =
      () => (pr ? pr.all.filter((h) => !this.#failedHosts.has(h) && !this.#unreachableHosts.has(h)) : []);
    const values: Record<string, () => unknown> = {
      inventory_hostname: () => host,
      inventory_hostname_short: () => host.split(".")[0],
      group_names: () => inv.groupNames(host),
      groups: () => this.#groups(),
      hostvars: () => this.#hostvars(pr),
      omit: () => this.#o.omitToken,
      ansible_check_mode: () => this.#o.check,
      ansible_diff_mode: () => this.#o.diff,
      ansible_verbosity: () => this.#o.verbosity,
      ansible_version: () => this.#o.ansibleVersion,
      ansible_run_tags: () => (this.#o.tags.length ? this.#o.tags : ["all"]),
      ansible_skip_tags: () => this.#o.skipTags,
      ansible_forks: () => this.#o.forks,
      inventory_dir: () => {
        const s = inv.sourceOf(host);
        return s ? path.dirname(s) : null;
      },
      inventory_file: () => inv.sourceOf(host) ?? null,
    };
    if (pr) {
      Object.assign(values, {
        ansible_play_hosts_all: () => [...pr.all],
        ansible_play_hosts: active,
        play_hosts: active,
        ansible_play_batch: () =>
          pr.batch.filter((h) => !this.#failedHosts.has(h) && !this.#unreachableHosts.has(h)),
        ansible_play_name: () => pr.play.name,
        playbook_dir: () => pr.play.baseDir,
        // The play's own roles (roles:, import_role), dependencies only in ansible_role_names.
        ansible_play_role_names: () => [
          ...new Set(pr.play.roles.filter((r) => !r.dependencyOf).map(roleFullName)),
        ],
        role_names: () => [...new Set(pr.play.roles.filter((r) => !r.dependencyOf).map(roleFullName))],
        ansible_role_names: () => [...new Set(pr.play.roles.map(roleFullName))],
      });
    }
    if (pr && task) values.ansible_search_path = () => this.#searchPath(pr, task);
    if (role) {
      Object.assign(values, {
        role_name: () => role.name,
        role_path: () => role.path,
        ansible_role_name: () => roleFullName(role),
        ansible_parent_role_names: () => roles.slice(0, -1).reverse().map(roleFullName),
        ansible_parent_role_paths: () => roles.slice(0, -1).reverse().map((r) => r.path),
      });
    }
    return {
      lazy: true,
      get: (n) => values[n]?.(),
      has: (n) => Object.hasOwn(values, n),
      keys: () => Object.keys(values),
    };
  }

  #hostvars(pr: PlayRun | undefined): unknown {
    const inv = this.#o.inventory;
    return this.#o.lazyMapping(
      (h) => {
        if (!inv.hasHost(h)) return undefined;
        const view = this.#hostLevelVars(pr, h);
        return this.#o.lazyMapping(
          (k) => {
            const raw = view.raw(k);
            // as Ansible's HostVarsVars: a value that cannot be templated reads as its raw text
            return raw === undefined
              ? undefined
              : this.#o.templar.template(raw, view, { failOnUndefined: false });
          },
          () => view.keys(),
          { pyClass: "ansible.vars.hostvars.HostVarsVars" },
        );
      },
      () => this.#groups().all ?? [],
      { pyClass: "ansible.vars.hostvars.HostVars", missingName: (h) => `hostvars['${h}']` },
    );
  }

  /** A host's variables outside any task (what hostvars shows). */
  #hostLevelVars(pr: PlayRun | undefined, host: string): LayeredVars {
    const st = this.#state(host);
    const layers: Layer[] = [this.#inventoryVars(host)];
    layers.push(
      this.#factsLayer(host),
      st.includeVars,
      st.setFacts,
      this.#o.extraVars,
      this.#magic(pr, host, undefined),
    );
    return new LayeredVars(layers);
  }

  /** The variables a task sees on a host, lowest precedence first (Ansible's documented order). */
  #varsFor(pr: PlayRun, host: string, scope: Scope): LayeredVars {
    const st = this.#state(host);
    const chain = scopeChain(scope);
    const taskRoles = roleChain(scope);
    const layers: Layer[] = [];
    for (const r of pr.publicRoles) layers.push(r.defaults);
    for (const r of taskRoles) layers.push(r.defaults);
    layers.push(this.#inventoryVars(host));
    layers.push(this.#factsLayer(host));
    layers.push(pr.play.vars, pr.promptVars);
    const vf = pr.varsFiles.get(host);
    if (vf) layers.push(vf);
    for (const r of pr.publicRoles) layers.push(r.vars);
    for (const r of taskRoles) layers.push(r.vars);
    for (const s of chain) if (isMap(s.kw.vars)) layers.push(s.kw.vars);
    layers.push(st.includeVars, st.setFacts);
    for (const r of taskRoles) layers.push(r.params);
    for (const s of chain) if (s.includeParams) layers.push(s.includeParams);
    layers.push(this.#o.extraVars);
    layers.push(this.#magic(pr, host, scope));
    return new LayeredVars(layers);
  }

  // ---------------------------------------------------------------- keywords

  /** A keyword's value for a task: its own, else (for inherited keywords) the nearest enclosing scope's. */
  #kw(scope: Scope, name: string): unknown {
    if (!INHERITED_KEYWORDS.has(name)) return scope.kw[name];
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      if (s.kw[name] !== undefined) return s.kw[name];
    }
    return undefined;
  }

  #kwBool(scope: Scope, name: string, vars: VarLookup, dflt = false): boolean {
    const v = this.#kw(scope, name);
    if (v === undefined || v === null) return dflt;
    return bool(this.#o.templar.template(v, vars));
  }

  /** Tags of a task: its own and every enclosing scope's. */
  #tags(scope: Scope): Set<string> {
    const out = new Set<string>();
    for (let s: Scope | undefined = scope; s; s = s.parent) for (const t of tagList(s.kw.tags)) out.add(t);
    return out;
  }

  /** Every `when` from the play down to the task, outermost first. */
  #whens(scope: Scope): unknown[] {
    return scopeChain(scope).flatMap((s) => asList(s.kw.when));
  }

  #taskName(task: Task, vars?: VarLookup): string {
    return shownTaskName(task, this.#ownName(task, vars));
  }

  /** The task's name as written, templated when it can be; "" when unnamed. */
  #ownName(task: Task, vars?: VarLookup): string {
    let name = task.kw.name !== undefined && task.kw.name !== null ? String(task.kw.name) : "";
    if (name && vars && name.includes("{{")) {
      try {
        name = String(this.#o.templar.template(name, vars));
      } catch {
        // Ansible shows the raw name when it cannot be templated yet.
      }
    }
    return name;
  }

  #view(task: Task, vars?: VarLookup, delegateTo?: string): TaskView {
    const pos = task.pos;
    const own = this.#ownName(task, vars);
    const diffKw = this.#kw(task, "diff");
    return {
      id: task.id,
      name: shownTaskName(task, own),
      ownName: own,
      role: task.role?.name,
      resolvedRole: task.role && roleFullName(task.role),
      loopWith: task.loopWith,
      action: task.actionWritten,
      path: pos ? `${pos.file}:${pos.line}` : "",
      noLog: false,
      checkMode: false,
      delegateTo,
      hasLoop: task.kw.loop !== undefined,
      isInclude: task.action === "include_tasks" || task.action === "include_role",
      diff: diffKw === undefined ? undefined : bool(vars ? this.#o.templar.template(diffKw, vars) : diffKw),
    };
  }

  // ---------------------------------------------------------------- plays

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
        name: play.name,
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
      const live = batch.filter((h) => !this.#failedHosts.has(h) && !this.#unreachableHosts.has(h));
      if (live.length === 0) {
        announce();
        continue;
      }
      const pr = this.#newPlayRun(play, all, live, promptVars, strategyName, maxFail);
      // vars_files are read before the play is announced: a bad file (or vault password) stops it first.
      for (const h of live) this.#loadVarsFiles(pr, h);
      announce();
      const before = this.#failedHosts.size + this.#unreachableHosts.size;
      const broke = await this.#runBatch(pr);
      const failedNow = this.#failedHosts.size + this.#unreachableHosts.size - before;
      if (broke || failedNow === live.length) {
        return "break";
      }
      if (pr.endPlay) break;
    }
    return "ok";
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
    const list = asList(this.#o.templar.template(raw, vars));
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

  #newPlayRun(
    play: Play,
    all: string[],
    batch: string[],
    promptVars: Record<string, unknown>,
    strategyName: string,
    maxFail: number | undefined,
  ): PlayRun {
    const order = play.sections.flatMap(flatten);
    const pr: PlayRun = {
      play,
      all,
      batch,
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
      metaRan: new Set(),
      fatal: false,
    };
    for (const h of batch) {
      pr.hosts.set(h, {
        name: h,
        failed: false,
        unreachable: false,
        stopped: false,
        notified: new Set(),
        outcome: "ok",
        rescuable: 0,
        ended: false,
      });
    }
    const forks = Math.max(1, this.#o.forks);
    const hooks = {
      start: (task: Task, hosts: string[]) => this.#roundStart(pr, task, hosts),
      finish: (task: Task, hosts: string[]) => this.#roundFinish(pr, task, hosts, maxFail),
      step: (task: Task, host: string | null) => this.#step(task, host),
      throttle: (task: Task) => {
        const v = this.#kw(task, "throttle");
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
    return pr;
  }

  async #step(task: Task, host: string | null): Promise<boolean> {
    const step = this.#o.step;
    if (!step || !this.#stepping || task.implicit || task.action === "meta") return true;
    const turn = this.#stepTurn.then(async () => {
      if (!this.#stepping) return true;
      const msg = `Perform task: ${task.isHandler ? "HANDLER" : "TASK"}: ${this.#taskName(task)} ` +
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
    if (task.implicit || task.action === "meta") return;
    // Lockstep strategies announce every round; free ones announce a task when its first host starts it.
    if (!(pr.strategy instanceof LinearStrategy)) {
      if (pr.bannered.has(task.id)) return;
      pr.bannered.add(task.id);
    }
    const first = hosts[0];
    const vars = first !== undefined ? this.#varsFor(pr, first, task) : undefined;
    this.#cb.taskStart(this.#view(task, vars), task.isHandler ? "RUNNING HANDLER" : "TASK");
  }

  /** After a task ran on its hosts: any_errors_fatal and max_fail_percentage end the play for all. */
  #roundFinish(pr: PlayRun, task: Task, hosts: string[], maxFail: number | undefined): void {
    const groups: { file: string; item: unknown; hasItem: boolean; hosts: string[] }[] = [];
    for (const inc of pr.pendingIncludes) {
      const g = groups.find((x) => x.file === inc.file && x.hasItem === inc.hasItem && x.item === inc.item);
      if (g) g.hosts.push(inc.host);
      else groups.push({ file: inc.file, item: inc.item, hasItem: inc.hasItem, hosts: [inc.host] });
    }
    pr.pendingIncludes = [];
    for (const g of groups) this.#cb.include(g.file, g.hosts, g.hasItem ? g.item : undefined);
    this.#shareRunOnce(pr, task, [...pr.hosts.keys()].filter((h) => !pr.hosts.get(h)!.failed));
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
      return hp.outcome === "failed" || hp.outcome === "unreachable";
    });
    if (failed.length === 0) return;
    let fatal = false;
    try {
      const vars = this.#varsFor(pr, hosts[0], task);
      fatal = this.#kwBool(task, "any_errors_fatal", vars, this.#o.anyErrorsFatal ?? false) &&
        failed.some((h) => pr.hosts.get(h)!.rescuable === 0);
    } catch {
      fatal = false;
    }
    let maxFailHit = false;
    if (!fatal && maxFail !== undefined) {
      const batchFailed = pr.batch.filter((h) => {
        const hp = pr.hosts.get(h)!;
        return hp.failed || hp.unreachable || hp.outcome === "failed" || hp.outcome === "unreachable";
      }).length;
      fatal = maxFailHit = batchFailed / pr.batch.length > maxFail / 100;
    }
    if (fatal) {
      for (const hp of pr.hosts.values()) {
        if (!hp.failed && !hp.unreachable) {
          hp.stopped = true;
          this.#failedHosts.add(hp.name);
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
    const sections = pr.play.sections;
    await pr.strategy.run(pr.batch, async (host) => {
      const hp = pr.hosts.get(host)!;
      try {
        if (gather) await this.#runTaskOn(pr, hp, gather);
        for (const section of sections) {
          await this.#runItems(pr, hp, section);
        }
      } catch (err) {
        if (err instanceof HostFailed) {
          hp.failed = true;
          this.#failedHosts.add(host);
        } else if (!(err instanceof HostStopped)) throw err;
      }
      if (
        hp.failed &&
        (this.#o.forceHandlers ||
          this.#kwBool(pr.play, "force_handlers", new LayeredVars([pr.play.vars, this.#o.extraVars])))
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
      kw: { name: "Gathering Facts", tags: ["always"] },
      parent: play,
      pos: play.pos,
      isHandler: false,
      localAction: false,
    };
    if (pr.strategy instanceof LinearStrategy) pr.strategy.insertNext([task]);
    return task;
  }

  #loadVarsFiles(pr: PlayRun, host: string): void {
    const files = pr.play.varsFiles;
    if (files.length === 0) return;
    let acc: Record<string, unknown> = {};
    pr.varsFiles.set(host, acc);
    const vars = this.#varsFor(pr, host, pr.play);
    for (const entry of files) {
      const candidates = Array.isArray(entry) ? entry : [entry];
      let loaded = false;
      for (const c of candidates) {
        const name = String(this.#o.templar.template(c, vars));
        const file = path.resolve(pr.play.baseDir, name);
        if (!fs.existsSync(file)) continue;
        const data = this.#o.readYaml(file);
        if (data !== null && data !== undefined && !isMap(data)) {
          throw new ExecutionError(
            `vars_files must contain dictionaries of variables, ${file} holds a ${typeof data}`,
          );
        }
        acc = this.#combine(acc, (data ?? {}) as Record<string, unknown>);
        pr.varsFiles.set(host, acc);
        loaded = true;
        break;
      }
      if (!loaded) {
        const shown = candidates.map((c) => String(c)).join(", ");
        throw new ExecutionError(
          `vars file ${shown} was not found` + (pr.play.pos ? `\n\n${positionDetails(pr.play.pos)}` : ""),
        );
      }
    }
  }

  #combine(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
    return this.#o.hashMerge ? mergeDeep(a, b) : { ...a, ...b };
  }

  // ---------------------------------------------------------------- blocks

  async #runItems(pr: PlayRun, hp: HostPlay, items: Item[]): Promise<void> {
    for (const item of items) {
      if (hp.stopped || pr.endPlay) throw new HostStopped();
      if (item.kind === "block") await this.#runBlock(pr, hp, item);
      else await this.#runTaskOn(pr, hp, item);
    }
  }

  async #runBlock(pr: PlayRun, hp: HostPlay, block: Block): Promise<void> {
    const hasRescue = block.rescue.length > 0;
    let failure: unknown;
    if (hasRescue) hp.rescuable++;
    try {
      await this.#runItems(pr, hp, block.block);
    } catch (err) {
      failure = err;
    } finally {
      if (hasRescue) hp.rescuable--;
    }
    if (failure instanceof HostFailed && hasRescue) {
      failure = undefined;
      hp.failed = false;
      try {
        await this.#runItems(pr, hp, block.rescue);
      } catch (err) {
        failure = err;
      }
    }
    if (!(failure instanceof HostStopped)) {
      try {
        await this.#runItems(pr, hp, block.always);
      } catch (err) {
        failure = err;
      }
    }
    if (failure) throw failure;
  }

  // ---------------------------------------------------------------- tasks

  #selected(task: Task): boolean {
    if (task.implicit) return true;
    return shouldRun(this.#tags(task), this.#o.tags.length ? this.#o.tags : ["all"], this.#o.skipTags);
  }

  async #runTaskOn(pr: PlayRun, hp: HostPlay, task: Task): Promise<void> {
    if (!this.#selected(task)) return;
    if (this.#startAt !== undefined && !task.implicit && task.action !== "gather_facts") {
      const plain = task.kw.name !== undefined ? String(task.kw.name) : task.actionWritten;
      if (this.#startAt !== plain && this.#startAt !== this.#taskName(task)) return;
      this.#startAt = undefined;
    }
    if (task.action === "meta") {
      await this.#meta(pr, hp, task);
      return;
    }
    let included: { items: Item[] }[] = [];
    await pr.strategy.request(hp.name, task, async () => {
      included = await this.#execute(pr, hp, task);
    });
    // What the task built and dropped (a big lookup's bytes, a copy's content) goes before the next task.
    releaseGrowth();
    if (hp.outcome === "failed") throw new HostFailed();
    if (hp.outcome === "unreachable" || hp.outcome === "stop") throw new HostStopped();
    for (const inc of included) await this.#runItems(pr, hp, inc.items);
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
      const vars = this.#varsFor(pr, hp.name, task);
      const view = this.#view(task, vars);
      // Ansible announces a meta task for each host that runs it.
      if (!task.implicit) this.#cb.taskStart(view, task.isHandler ? "RUNNING HANDLER" : "TASK");
      // The flushes mito adds between sections have no conditions of their own and report nothing.
      if (!task.implicit && !["noop", "refresh_inventory", "reset_connection"].includes(what)) {
        try {
          skipped = !this.#whens(task).every((w) => this.#o.templar.condition(w, vars));
        } catch (err) {
          this.#fail(pr, hp, task, vars, { failed: true, msg: this.#errMsg(err, task) });
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
          flush = true;
          break;
        case "noop":
          break;
        case "refresh_inventory":
          this.#o.inventory.refresh?.();
          this.#invCache.clear();
          this.#groupsCache = undefined;
          break;
        case "clear_facts":
          this.#state(hp.name).facts = {};
          break;
        case "clear_host_errors":
          for (const h of pr.hosts.values()) {
            if (h.failed) {
              h.failed = false;
              this.#failedHosts.delete(h.name);
            }
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
          await this.#o.runner.resetConnection(hp.name, this.#connectionVars(vars));
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

  async #flushHandlers(pr: PlayRun, hp: HostPlay): Promise<void> {
    if (hp.notified.size === 0) return;
    const pending = pr.handlerTasks.filter((h) => hp.notified.has(h));
    for (const handler of pr.handlerTasks) {
      if (!hp.notified.has(handler)) continue;
      hp.notified.delete(handler);
      await this.#runTaskOn(pr, hp, handler);
    }
    // Handlers notified by handlers that ran after them in the list run in a second pass.
    if (hp.notified.size > 0 && pending.length > 0) await this.#flushHandlers(pr, hp);
  }

  /** what: the conditional that failed (kind "conditional") or the keyword being templated ("field"). */
  #errMsg(err: unknown, task: Task, kind: "task" | "conditional" | "field" = "task", what?: unknown): string {
    const e = err as Error;
    let msg: string;
    if (kind === "conditional") {
      msg = conditionalFailed(what, e);
    } else if (kind === "field" && this.#o.isUndefinedError(err)) {
      msg =
        `The field '${what}' has an invalid value, which includes an undefined variable. The error was: ${e.message}`;
    } else if (this.#o.isUndefinedError(err)) {
      msg = `The task includes an option with an undefined variable. The error was: ${e.message}`;
    } else {
      // any other error (a template's syntax, a lookup's failure) reaches Ansible's task executor as it
      // is: no position
      return e.message;
    }
    if (task.pos) msg += `\n\n${positionDetails(task.pos, (f) => fs.readFileSync(f, "utf8"))}`;
    return msg;
  }

  #connectionVars(vars: LayeredVars): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    // Connection variables come from inventory, play, role, set_fact and extra vars: gathered facts and
    // magic variables never hold one, and skipping them keeps this proportional to what the user set.
    for (const k of vars.plainKeys()) {
      if (k.startsWith("ansible_") && !k.startsWith("ansible_facts") || k.startsWith("mitogen_")) {
        try {
          out[k] = this.#o.templar.template(vars.raw(k), vars);
        } catch {
          // A connection variable that cannot be templated is left out; the runner reports what it misses.
        }
      }
    }
    return { ...this.#o.connectionDefaults, ...out };
  }

  /** Runs one task on one host, reports and records the result. Returns includes to run next. */
  async #execute(pr: PlayRun, hp: HostPlay, task: Task): Promise<{ items: Item[] }[]> {
    hp.outcome = "ok";
    const t = this.#o.templar;
    const vars = this.#varsFor(pr, hp.name, task);
    let view = this.#view(task, vars);
    this.#cb.runnerStart(hp.name, view);
    let noLog = false;
    let ignoreErrors = false;
    let delegateTo: string | undefined;
    let field = "no_log";
    try {
      // A loop's no_log may name the loop variable: each item templates its own.
      noLog = task.kw.loop !== undefined
        ? this.#kwBoolSafe(task, "no_log", vars)
        : this.#kwBool(task, "no_log", vars);
      field = "ignore_errors";
      ignoreErrors = this.#kwBool(task, "ignore_errors", vars);
      field = "delegate_to";
      const d = this.#kw(task, "delegate_to");
      const host = d === undefined || d === null ? undefined : t.template(d, vars);
      // `delegate_to: "{{ ... or omit }}"` leaves the task undelegated, as in Ansible.
      if (host !== undefined && host !== null && host !== this.#o.omitToken) delegateTo = String(host);
    } catch (err) {
      // Ansible's strategy decides on the task as written: an ignore_errors that cannot be templated is
      // still a non-empty string, so the failure is ignored; a delegate_to shows as written in the header.
      if (field === "ignore_errors") ignoreErrors = true;
      if (field === "delegate_to") view = { ...view, delegateTo: String(this.#kw(task, field)) };
      this.#fail(
        pr,
        hp,
        task,
        vars,
        { failed: true, msg: this.#errMsg(err, task, "field", field) },
        view,
        ignoreErrors,
      );
      return [];
    }
    view = { ...view, noLog, delegateTo };
    // run_once, and the actions that bypass the host loop (once for the batch, with the first host's
    // variables; unlike run_once, the other hosts get no result and no registered value).
    const runOnce = this.#kwBoolSafe(task, "run_once", vars) || BYPASS_HOST_LOOP.has(task.action);
    if (runOnce && task.action !== "meta") {
      const first = pr.batch.find((h) => !pr.hosts.get(h)!.failed && !pr.hosts.get(h)!.stopped);
      if (first !== hp.name) return this.#runOnceFollower(pr, hp, task);
    }

    // Loop items (templated before `when`, which is evaluated per item).
    const loopControl = isMap(task.kw.loop_control) ? task.kw.loop_control : {};
    let items: unknown[] | undefined;
    const whens = this.#whens(task);
    if (task.kw.loop !== undefined) {
      try {
        items = this.#loopItems(pr, task, vars);
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
            this.#finish(pr, hp, task, vars, view, SKIPPED(), false, noLog, undefined);
            return [];
          }
        }
        // Ansible raises a loop's error from the task executor as it is: no wrapping, no position
        this.#fail(pr, hp, task, vars, { failed: true, msg: (err as Error).message }, view, ignoreErrors);
        return [];
      }
    }

    if (items === undefined) {
      let ok: boolean;
      try {
        ok = allHold(t, whens, vars);
      } catch (err) {
        const { cond, error } = err as ConditionFailure;
        this.#fail(
          pr,
          hp,
          task,
          vars,
          {
            failed: true,
            msg: this.#errMsg(error, task, "conditional", cond),
            _ansible_no_log: noLog,
          },
          view,
          ignoreErrors,
        );
        return [];
      }
      if (!ok) {
        this.#finish(pr, hp, task, vars, view, SKIPPED(), false, noLog, undefined);
        return [];
      }
      let result: Result;
      try {
        result = await this.#runAttempts(pr, hp, task, vars, view, noLog);
      } catch (err) {
        if (!(err instanceof TaskTemplateError)) throw err;
        result = { failed: true, msg: err.message, _ansible_no_log: noLog };
      }
      return this.#finish(pr, hp, task, vars, view, result, ignoreErrors, noLog, undefined);
    }

    // A loop: one result per item, then the aggregate.
    const loopVar = String(loopControl.loop_var ?? "item");
    const indexVar = loopControl.index_var !== undefined ? String(loopControl.index_var) : undefined;
    const extended = loopControl.extended !== undefined
      ? bool(t.template(loopControl.extended, vars))
      : false;
    const pauseS = loopControl.pause !== undefined ? Number(t.template(loopControl.pause, vars)) : 0;
    const results: Result[] = [];
    const itemLayers: Record<string, unknown>[] = [];
    const layerOf = (i: number): Record<string, unknown> => {
      const item = items[i];
      const layer: Record<string, unknown> = { ansible_loop_var: loopVar, [loopVar]: item };
      if (indexVar) {
        layer.ansible_index_var = indexVar;
        layer[indexVar] = i;
      }
      if (extended) {
        const loop: Record<string, unknown> = {
          index: i + 1,
          index0: i,
          first: i === 0,
          last: i + 1 === items.length,
          length: items.length,
          revindex: items.length - i,
          revindex0: items.length - i - 1,
        };
        if (loopControl.extended_allitems === undefined || bool(loopControl.extended_allitems)) {
          loop.allitems = items;
        }
        if (i + 1 < items.length) loop.nextitem = items[i + 1];
        if (i > 0) loop.previtem = items[i - 1];
        layer.ansible_loop = loop;
      }
      return layer;
    };
    const pipelined = this.#pipelinable(task, loopControl, pauseS);
    // Starting an item templates its `when` and arguments and, when pipelined, sends the module call;
    // a templating error there fails the whole task (as in Ansible), after the items before it.
    const start = (i: number): StartedItem => {
      const layer = layerOf(i);
      const ivars = vars.with(layer);
      let itemNoLog = noLog;
      let run: () => Promise<Result>;
      try {
        itemNoLog = this.#kwBool(task, "no_log", ivars);
        if (!allHold(t, whens, ivars)) {
          const skipped = {
            changed: false,
            skipped: true,
            skip_reason: "Conditional result was False",
            _ansible_no_log: itemNoLog,
          };
          run = () => Promise.resolve(skipped);
        } else if (pipelined) {
          const sent = settle(this.#sendModule(pr, hp, task, ivars, itemNoLog));
          run = () => this.#runAttempts(pr, hp, task, ivars, view, itemNoLog, sent);
        } else run = () => this.#runAttempts(pr, hp, task, ivars, view, itemNoLog);
      } catch (err) {
        return { layer, ivars, itemNoLog, error: err };
      }
      return { layer, ivars, itemNoLog, run };
    };
    // Pipelined: up to LOOP_WINDOW items are started (sent) ahead; a start that failed stops further ones.
    const ahead = pipelined ? LOOP_WINDOW : 1;
    const inFlight: StartedItem[] = [];
    let next = 0;
    let startFailed = false;
    for (let i = 0; i < items.length; i++) {
      if (i > 0 && pauseS > 0) await this.#sleep(pauseS * 1000);
      while (next < items.length && next < i + ahead && !startFailed) {
        const s = start(next++);
        startFailed = s.error !== undefined;
        inFlight.push(s);
      }
      const started = inFlight.shift()!;
      const { layer, ivars, itemNoLog } = started;
      // As Ansible's task executor: the task is no_log when any of its items is.
      if (itemNoLog) noLog = true;
      const item = items[i];
      itemLayers.push(layer);
      let r: Result;
      try {
        if (started.error !== undefined) throw started.error;
        r = await started.run!();
      } catch (err) {
        // As in Ansible, a templating error inside a loop fails the whole task, not just the item.
        const msg = err instanceof TaskTemplateError
          ? err.message
          : err instanceof ConditionFailure
          ? this.#errMsg(err.error, task, "conditional", err.cond)
          : this.#errMsg(err, task);
        return this.#finish(
          pr,
          hp,
          task,
          vars,
          view,
          { failed: true, msg, _ansible_no_log: noLog },
          ignoreErrors,
          noLog,
          undefined,
        );
      }
      r[loopVar] = item;
      r.ansible_loop_var = loopVar;
      if (indexVar) {
        r[indexVar] = i;
        r.ansible_index_var = indexVar;
      }
      if (extended) r.ansible_loop = layer.ansible_loop;
      r._ansible_item_result = true;
      r._ansible_ignore_errors = ignoreErrors;
      if (loopControl.label !== undefined) {
        try {
          r._ansible_item_label = t.template(loopControl.label, ivars);
        } catch (err) {
          r.failed = true;
          r.msg = `Failed to template loop_control.label: ${(err as Error).message}`;
        }
      } else r._ansible_item_label = r[loopVar];
      if (!("changed" in r)) r.changed = false;
      results.push(r);
      const shown = cleanCopy(r, itemNoLog);
      const status = r.failed || r.unreachable ? "failed" : r.skipped ? "skipped" : "ok";
      if (task.action !== "add_host" && task.action !== "group_by" || status !== "ok") {
        this.#cb.itemResult({ status, host: hp.name, task: view, result: shown });
      }
      if (!r.skipped && !r.failed) this.#applyFacts(pr, hp, task, r, delegateTo);
    }
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
    return this.#finish(pr, hp, task, vars, view, agg, ignoreErrors, noLog, itemLayers);
  }

  #kwBoolSafe(task: Task, name: string, vars: VarLookup): boolean {
    try {
      return this.#kwBool(task, name, vars);
    } catch {
      return false;
    }
  }

  /** run_once: the other hosts take the first host's registered result without running the task. */
  /** run_once: the other hosts do not run the task; its result is shared with them when the round ends. */
  #runOnceFollower(_pr: PlayRun, hp: HostPlay, _task: Task): { items: Item[] }[] {
    hp.outcome = "ok";
    return [];
  }

  /** Gives every other live host of the batch the run_once task's registered value and set_fact facts. */
  #shareRunOnce(pr: PlayRun, task: Task, hosts: string[]): void {
    const shared = pr.runOnce.get(task.id);
    if (!shared) return;
    pr.runOnce.delete(task.id);
    for (const h of hosts) {
      if (h === shared.host) continue;
      const st = this.#state(h);
      if (shared.registered !== undefined && typeof task.kw.register === "string") {
        st.setFacts[task.kw.register] = shared.registered;
      }
      if (task.action === "set_fact" && isMap(shared.result.ansible_facts)) {
        Object.assign(st.setFacts, shared.result.ansible_facts);
      }
    }
  }

  #loopItems(pr: PlayRun, task: Task, vars: LayeredVars): unknown[] {
    const t = this.#o.templar;
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
        return withLoopItems(task.loopWith, terms, {
          searchPath: this.#searchPath(pr, task),
          subdir: `${subdir}s`,
        });
      } catch (err) {
        if (err instanceof LoopError) throw new ExecutionError(err.message);
        throw err;
      }
    }
    const items = t.template(raw, vars);
    if (!Array.isArray(items)) {
      throw new ExecutionError(
        `Invalid data passed to 'loop', it requires a list, got this instead: ${this.#o.pyStr(items)}. ` +
          `Hint: If you passed a list/dict of just one element, try adding wantlist=True to your lookup invocation or use q/query instead of lookup.`,
      );
    }
    return items;
  }

  /**
   * Ansible's ansible_search_path: the roles of the task's dependency chain, innermost first (a
   * dependency's tasks look in their own role, then in the roles depending on it), the directory of the
   * task's file, then the play's directory.
   */
  #searchPath(pr: PlayRun, scope: Scope): string[] {
    const out = dependencyChain(scope).reverse().map((r) => r.path);
    const file = (scope as Task).pos?.file;
    if (file && !out.includes(path.dirname(file))) out.push(path.dirname(file));
    if (!out.includes(pr.play.baseDir)) out.push(pr.play.baseDir);
    return out;
  }

  #sleep(ms: number): Promise<void> {
    return this.#o.sleep ? this.#o.sleep(ms) : new Promise((r) => setTimeout(r, ms));
  }

  /** The action once, or under until/retries/delay; with changed_when/failed_when applied. */
  async #runAttempts(
    pr: PlayRun,
    hp: HostPlay,
    task: Task,
    vars: LayeredVars,
    view: TaskView,
    noLog: boolean,
    sent?: Promise<Settled<Result>>,
  ): Promise<Result> {
    const t = this.#o.templar;
    const until = task.kw.until;
    let retries = 1;
    let delay = 5;
    if (until !== undefined) {
      const r = task.kw.retries === undefined ? undefined : Number(t.template(task.kw.retries, vars));
      retries = r === undefined ? 3 : r <= 0 ? 1 : r + 1;
      if (task.kw.delay !== undefined) delay = Number(t.template(task.kw.delay, vars));
      if (delay < 0) delay = 1;
    }
    const reg = typeof task.kw.register === "string" ? task.kw.register : undefined;
    let result: Result = {};
    let attempt = 1;
    for (; attempt <= retries; attempt++) {
      result = attempt === 1 && sent ? unsettle(await sent) : await this.#action(pr, hp, task, vars, noLog);
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
      if (!("changed" in result)) result.changed = false;
      const layer: Record<string, unknown> = {};
      if (reg) layer[reg] = registeredValue(result);
      if (isMap(result.ansible_facts) && task.action !== "debug") Object.assign(layer, result.ansible_facts);
      const rv = vars.with(layer);
      let cond = "changed";
      try {
        if (task.kw.changed_when !== undefined && task.kw.changed_when !== null) {
          result.changed = asList(task.kw.changed_when).every((c) => t.condition(c, rv));
        }
        cond = "failed";
        if (task.kw.failed_when !== undefined && task.kw.failed_when !== null) {
          const f = asList(task.kw.failed_when).every((c) => t.condition(c, rv));
          result.failed_when_result = f;
          result.failed = f;
        }
      } catch (err) {
        result.failed = true;
        result[`${cond}_when_result`] = (err as Error).message;
      }
      if (retries > 1) {
        if (reg) layer[reg] = registeredValue(result);
        let done: boolean;
        try {
          done = allHold(t, asList(until), vars.with(layer));
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
  async #action(pr: PlayRun, hp: HostPlay, task: Task, vars: LayeredVars, noLog: boolean): Promise<Result> {
    const t = this.#o.templar;
    try {
      if (task.action === "include_tasks" || task.action === "include_role") {
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
        // As Ansible's task executor: include_tasks gives its file and the other args, include_role its args
        // (mito's own __dir is not one of them).
        const { __dir: _dir, file, _raw_params: raw, ...rest } = args;
        if (task.action === "include_role") return { include_args: { ...rest, ...(file ? { file } : {}) } };
        return { include: file ?? raw, include_args: rest };
      }
      const controller = CONTROLLER_ACTIONS[task.action];
      if (controller) {
        const checkMode = this.#checkMode(task, vars);
        // Arguments that template to `omit` are dropped before the action sees them. Each is templated
        // once: the action gets that value again (a lookup in it runs once, as in Ansible).
        const rawArgs: Record<string, unknown> = {};
        const templated = new Map<string, unknown>();
        for (const [k, v] of Object.entries(this.#argsOf(task, vars))) {
          if (k !== "that" && typeof v === "string" && v.includes("{{")) {
            const value = templated.has(v) ? templated.get(v) : t.template(v, vars);
            templated.set(v, value);
            if (value === this.#o.omitToken) continue;
          }
          rawArgs[k] = v;
        }
        const env: ActionEnv = {
          host: hp.name,
          rawArgs,
          template: (v) =>
            removeOmit(
              typeof v === "string" && templated.has(v) ? templated.get(v) : t.template(v, vars),
              this.#o.omitToken,
            ),
          condition: (c) => allHold(t, [c], vars),
          vars,
          verbosity: this.#o.verbosity,
          checkMode,
          searchPath: this.#searchPath(pr, task),
          readYaml: (f) => this.#o.readYaml(f),
          addHost: (name, groups, hv) => {
            this.#cb.verbose(`creating host via 'add_host': hostname=${name}`, 2);
            this.#o.inventory.addHost(name, groups, hv);
            this.#invCache.delete(name);
            this.#groupsCache = undefined;
          },
          addToGroup: (h, g) => {
            this.#o.inventory.addToGroup(h, g);
            this.#invCache.delete(h);
            this.#groupsCache = undefined;
          },
          isUndefinedError: (e) => this.#o.isUndefinedError(e),
          isTTY: this.#o.isTTY,
          sleep: (ms) => this.#sleep(ms),
          prompt: this.#o.prompt ? (text) => this.#o.prompt!(text, false) : undefined,
          taskName: this.#taskName(task, vars),
          display: (text) => this.#cb.verbose(text, 0),
          warning: (text) => this.#cb.warning(text),
        };
        return await controller(env);
      }
      return await this.#o.runner.runModule(this.#moduleRequestFor(pr, hp, task, vars, noLog));
    } catch (err) {
      throw this.#actionError(err, task);
    }
  }

  /** As Ansible: the task's own args lose their omitted options first, then module_defaults fill in. */
  #moduleRequestFor(pr: PlayRun, hp: HostPlay, task: Task, vars: LayeredVars, noLog: boolean): ModuleRequest {
    const t = this.#o.templar;
    const own = removeOmit(t.template(this.#argsOf(task, vars), vars), this.#o.omitToken) as Record<
      string,
      unknown
    >;
    const defaults = removeOmit(t.template(this.#moduleDefaults(task), vars), this.#o.omitToken);
    // Unsafe-ness matters to templating only: modules and file actions get plain strings.
    const args = plainStrings({ ...(defaults as Record<string, unknown>), ...own }) as Record<
      string,
      unknown
    >;
    return this.#moduleRequest(pr, hp, task, vars, args, noLog);
  }

  /**
   * The task's arguments. Given as one templated string (`debug: "{{ a_dict }}"`, `args: "{{ x }}"`),
   * they come from that value now, under the ones written beside it, as Ansible's task executor merges
   * its _variable_params.
   */
  #argsOf(task: Task, vars: VarLookup): Record<string, unknown> {
    if (!("_variable_params" in task.args)) return task.args;
    const { _variable_params: spec, ...written } = task.args;
    const value = this.#o.templar.template(spec, vars);
    if (!isMap(value)) {
      throw new TaskTemplateError(`invalid or malformed argument: '${this.#o.pyStr(value)}'`);
    }
    this.#cb.warning(
      "Using a variable for a task's 'args' is unsafe in some situations " +
        "(see https://docs.ansible.com/ansible/devel/reference_appendices/faq.html#argsplat-unsafe)",
    );
    return { ...value, ...written };
  }

  #actionError(err: unknown, task: Task): Error {
    // an action's own conditional (assert's `that`) is reported bare, as Ansible's action plugins raise it
    if (err instanceof ConditionFailure) return new TaskTemplateError(err.message);
    if (err instanceof ExecutionError && !this.#o.isUndefinedError(err)) return err;
    return new TaskTemplateError(this.#errMsg(err, task));
  }

  /**
   * A pipelined loop item: templates the request now (throwing as #action would) and sends it; the
   * reply is awaited later, in item order.
   */
  #sendModule(pr: PlayRun, hp: HostPlay, task: Task, vars: LayeredVars, noLog: boolean): Promise<Result> {
    let req: ModuleRequest;
    try {
      req = this.#moduleRequestFor(pr, hp, task, vars, noLog);
    } catch (err) {
      throw this.#actionError(err, task);
    }
    return this.#o.runner.runModule(req).catch((err) => {
      throw this.#actionError(err, task);
    });
  }

  /**
   * Whether a loop's items may be sent before earlier items have answered: only when no item can
   * change what the next one does. Controller actions (set_fact, include_*, debug …) read and write
   * controller state, fact modules feed later templating, `until`/`pause`/`break_when` depend on each
   * reply, and the multi-step file actions or `raw` (its own exec) do not keep item order on the target.
   */
  #pipelinable(task: Task, loopControl: Record<string, unknown>, pauseS: number): boolean {
    if (pauseS > 0 || loopControl.break_when !== undefined) return false;
    if (task.kw.until !== undefined || task.kw.async !== undefined) return false;
    // Items that may each reach another context (`become_user: "{{ item }}"`) go one at a time, so the
    // interpreter cap can recycle between them instead of finding every interpreter busy.
    const vars = isMap(task.kw.vars) ? task.kw.vars : {};
    if (CONNECTION_KEYWORDS.some((k) => templated(task.kw[k]))) return false;
    if (Object.keys(vars).some((k) => k.startsWith("ansible_") && templated(vars[k]))) return false;
    const a = task.action;
    if (CONTROLLER_ACTIONS[a] || NOT_PIPELINED.has(a) || a.endsWith("_facts")) return false;
    return this.#o.runner.pipelines !== false;
  }

  #checkMode(task: Task, vars: VarLookup): boolean {
    const v = this.#kw(task, "check_mode");
    if (v === undefined || v === null) return this.#o.check;
    return bool(this.#o.templar.template(v, vars));
  }

  /**
   * module_defaults from the play down to the task (inner scopes win), for this module under its short
   * name or FQCN; `group/...` entries are not expanded (mito has no action-group metadata).
   */
  #moduleDefaults(task: Task, module?: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const names = module !== undefined
      ? [module, `ansible.builtin.${module}`, `ansible.legacy.${module}`]
      : [task.action, task.actionWritten, `ansible.builtin.${task.action}`, `ansible.legacy.${task.action}`];
    for (const s of scopeChain(task)) {
      for (const md of asList(s.kw.module_defaults)) {
        if (!isMap(md)) continue;
        for (const n of names) if (isMap(md[n])) Object.assign(out, md[n]);
      }
    }
    return out;
  }

  #moduleRequest(
    pr: PlayRun,
    hp: HostPlay,
    task: Task,
    vars: LayeredVars,
    args: Record<string, unknown>,
    noLog: boolean,
  ): ModuleRequest {
    const t = this.#o.templar;
    // A keyword templated to omit is unset.
    const kw = (n: string) => {
      const v = this.#kw(task, n);
      const out = v === undefined ? undefined : t.template(v, vars);
      return out === this.#o.omitToken ? undefined : out;
    };
    // a connection variable's value is a template like any other (ansible_become_user: "{{ u }}")
    const cv = (n: string) => {
      const v = vars.get(n);
      return v === undefined ? undefined : t.template(v, vars);
    };
    const delegate = kw("delegate_to");
    const env: Record<string, string> = {};
    for (const s of scopeChain(task)) {
      for (const e of asList(s.kw.environment)) {
        const m = t.template(e, vars);
        if (isMap(m)) { for (const [k, v] of Object.entries(m)) env[k] = this.#o.pyStr(v); }
      }
    }
    const targetHost = delegate === undefined || delegate === null ? hp.name : String(delegate);
    // A delegated task connects with the delegate's variables (its address, user, via chain …).
    const connectionVars = targetHost === hp.name
      ? this.#connectionVars(vars)
      : this.#o.inventory.hasHost(targetHost)
      ? this.#connectionVars(this.#varsFor(pr, targetHost, task))
      : { ...this.#o.connectionDefaults };
    for (const k of ["remote_user", "port", "connection", "timeout"]) {
      const v = kw(k);
      if (v !== undefined) connectionVars[`keyword_${k}`] = v;
    }
    const dflt = this.#o.connectionDefaults;
    return {
      host: hp.name,
      targetHost,
      ...(delegate === undefined || delegate === null ? {} : { delegateTo: String(delegate) }),
      // gather_facts is an action that runs the setup module (Ansible's facts_modules = smart).
      module: task.action === "gather_facts" ? "setup" : task.action,
      ...(task.actionWritten !== task.action && task.action !== "gather_facts"
        ? { moduleWritten: task.actionWritten }
        : {}),
      args,
      checkMode: this.#checkMode(task, vars),
      diff: (() => {
        const v = this.#kw(task, "diff");
        return v === undefined ? this.#o.diff : bool(t.template(v, vars));
      })(),
      noLog,
      // Connection variables (ansible_become_*) beat playbook keywords, which beat the configuration.
      become: (() => {
        const method = String(
          cv("ansible_become_method") ?? kw("become_method") ?? dflt.become_method ?? "sudo",
        );
        const bv = (option: string) => becomeVar(method, option, cv);
        return {
          become: bool(cv("ansible_become") ?? kw("become") ?? dflt.become ?? false),
          method,
          user: String(bv("user") ?? kw("become_user") ?? dflt.become_user ?? "root"),
          flags: (bv("flags") ?? kw("become_flags") ?? dflt.become_flags) as string | undefined,
          exe: (bv("exe") ?? kw("become_exe") ?? dflt.become_exe) as string | undefined,
          password: (bv("pass") ?? dflt.become_password) as string | undefined,
        };
      })(),
      environment: env,
      connectionVars,
      hostConnectionVars: (h) =>
        this.#o.inventory.hasHost(h) ? this.#connectionVars(this.#hostLevelVars(pr, h)) : undefined,
      searchPath: this.#searchPath(pr, task),
      asyncSeconds: Number(kw("async") ?? 0),
      poll: Number(kw("poll") ?? 15),
      timeout: Number(kw("timeout") ?? 0),
      verbosity: this.#o.verbosity,
      libraryPaths: this.#searchPath(pr, task).map((d) => path.join(d, "library")),
      facts: this.#hostState.get(targetHost)?.facts,
      moduleDefaults: (module) =>
        plainStrings(
          removeOmit(t.template(this.#moduleDefaults(task, module), vars), this.#o.omitToken),
        ) as Record<
          string,
          unknown
        >,
      onAsync: (e) => {
        if (this.#cb.asyncStatus) this.#cb.asyncStatus(hp.name, this.#view(task, vars), e);
        else this.#cb.verbose(asyncLine(hp.name, e), 0);
      },
      renderTemplate: (file, o) => {
        if (!t.renderFile) throw new ExecutionError("the templating engine cannot render template files");
        // includes inside the template are searched as Ansible's template action sets Jinja2's search
        // path: the task's search path, the play's directory, the template's own directory
        const searchPaths = [...this.#searchPath(pr, task), pr.play.baseDir, path.dirname(file)];
        return t.renderFile(readTextFile(file), vars, {
          ...o,
          extraVars: templateFileVars(file),
          searchPaths,
        });
      },
    };
  }

  /** Records a failure that happened before the action ran (bad keyword values, conditionals). */
  #fail(
    pr: PlayRun,
    hp: HostPlay,
    task: Task,
    vars: LayeredVars,
    result: Result,
    view?: TaskView,
    ignore = false,
  ): void {
    void this.#finish(pr, hp, task, vars, view ?? this.#view(task), result, ignore, false, undefined);
  }

  /** Registers, notifies, counts and reports a task's final result; decides the host's outcome. */
  #finish(
    pr: PlayRun,
    hp: HostPlay,
    task: Task,
    vars: LayeredVars,
    view: TaskView,
    result: Result,
    ignoreErrors: boolean,
    noLog: boolean,
    itemLayers: Record<string, unknown>[] | undefined,
  ): { items: Item[] }[] {
    const st = this.#state(hp.name);
    const stat = this.#stat(hp.name);
    const reg = typeof task.kw.register === "string" ? task.kw.register : undefined;
    let registered: Result | undefined;
    if (reg) {
      registered = registeredValue(result);
      delete registered.invocation;
      st.setFacts[reg] = registered;
    }
    if (this.#kwBoolSafe(task, "run_once", vars) && !result.failed && !result.unreachable) {
      pr.runOnce.set(task.id, { host: hp.name, result, registered });
    }
    const shown = cleanCopy(result, noLog);
    if (view.delegateTo !== undefined) {
      shown._ansible_delegated_vars = this.#delegatedVars(pr, view.delegateTo);
    }
    if (result.unreachable) {
      const ignoreUnreachable = this.#kwBoolSafe(task, "ignore_unreachable", vars);
      // As ansible-playbook: an ignored unreachable host counts as skipped and carries on.
      if (ignoreUnreachable) shown.skip_reason = `Host ${hp.name} is unreachable`;
      this.#cb.result({ status: "unreachable", host: hp.name, task: view, result: shown, ignoreUnreachable });
      if (ignoreUnreachable) {
        stat.skipped++;
        hp.outcome = "ok";
      } else {
        stat.unreachable++;
        hp.unreachable = true;
        hp.outcome = "unreachable";
        this.#unreachableHosts.add(hp.name);
      }
      return [];
    }
    if (result.failed) {
      this.#cb.result({ status: "failed", host: hp.name, task: view, result: shown, ignoreErrors });
      if (ignoreErrors) {
        stat.ok++;
        stat.ignored++;
        if (result.changed) stat.changed++;
        hp.outcome = "ok";
      } else {
        if (hp.rescuable > 0) {
          stat.rescued++;
          st.setFacts.ansible_failed_task = { name: this.#taskName(task), action: task.actionWritten };
          st.setFacts.ansible_failed_result = stripInternal(result, false);
        } else stat.failures++;
        hp.outcome = "failed";
      }
      return [];
    }
    if (result.skipped) {
      stat.skipped++;
      hp.outcome = "skipped";
      this.#cb.result({ status: "skipped", host: hp.name, task: view, result: shown });
      return [];
    }
    // ok or changed
    if (!itemLayers) this.#applyFacts(pr, hp, task, result, view.delegateTo);
    this.#applyStats(hp, result, task);
    // What ansible-playbook counts: include_role nothing, include_tasks one per included file (loop item).
    if (task.action === "include_tasks" && Array.isArray(result.results)) {
      stat.ok += (result.results as Result[]).filter((r) => !r.skipped && !r.failed).length;
    } else if (task.action !== "include_role") {
      stat.ok++;
      if (result.changed) stat.changed++;
    }
    hp.outcome = "ok";
    // Notifications are checked first: a missing handler stops the run before the result shows.
    if (
      result.changed || (Array.isArray(result.results) && result.results.some((r) => (r as Result).changed))
    ) {
      this.#notify(pr, hp, task, vars);
    }
    this.#cb.result({ status: "ok", host: hp.name, task: view, result: shown });
    if (task.action === "include_tasks" || task.action === "include_role") {
      return this.#includes(pr, hp, task, vars, result, itemLayers);
    }
    return [];
  }

  /** The delegated host's address and login, for the "[host -> delegate(address)]" label. */
  #delegatedVars(pr: PlayRun, target: string): Record<string, unknown> {
    const out: Record<string, unknown> = { ansible_host: target };
    if (!this.#o.inventory.hasHost(target)) return out;
    const view = this.#hostLevelVars(pr, target);
    for (const k of ["ansible_host", "ansible_port", "ansible_user", "ansible_connection"]) {
      const raw = view.raw(k);
      if (raw === undefined) continue;
      try {
        out[k] = this.#o.templar.template(raw, view);
      } catch {
        out[k] = raw;
      }
    }
    return out;
  }

  #applyStats(hp: HostPlay, result: Result, task: Task): void {
    const s = result.ansible_stats as Record<string, unknown> | undefined;
    if (!s || task.action !== "set_stats") return;
    const data = s.data as Record<string, unknown>;
    const key = s.per_host ? hp.name : "_run";
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

  /** set_fact/include_vars/module facts land in the host's (or delegated host's) variables. */
  #applyFacts(pr: PlayRun, hp: HostPlay, task: Task, result: Result, delegateTo: string | undefined): void {
    const facts = result.ansible_facts;
    if (!isMap(facts)) return;
    const delegateFacts = delegateTo !== undefined &&
      this.#kwBoolSafe(task, "delegate_facts", this.#varsFor(pr, hp.name, task));
    const target = delegateFacts ? delegateTo! : hp.name;
    const st = this.#state(target);
    if (task.action === "set_fact") {
      // In place: views built earlier in this task (the next loop item) hold these objects.
      Object.assign(st.setFacts, facts);
      if (result._ansible_facts_cacheable) {
        Object.assign(st.facts, facts);
        this.#o.factCache?.update(target, facts);
      }
    } else if (task.action === "include_vars") {
      const merged = this.#combine(st.includeVars, facts);
      for (const k of Object.keys(st.includeVars)) delete st.includeVars[k];
      Object.assign(st.includeVars, merged);
    } else {
      this.#injectFacts(st, facts);
      // The gather_facts action marks the host's facts as gathered (gathering = smart reads it).
      this.#o.factCache?.update(
        target,
        task.action === "gather_facts" ? { ...facts, _ansible_facts_gathered: true } : facts,
      );
    }
  }

  /**
   * Module facts: both `ansible_facts.x` and top-level `ansible_x` (inject_facts_as_vars). What a module
   * reports is data: wrapped unsafe, as Ansible does before injecting it.
   */
  #injectFacts(st: HostVarsState, facts: Record<string, unknown>): void {
    const safe = wrapUnsafe(facts) as Record<string, unknown>;
    const clean: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(safe)) clean[k.startsWith("ansible_") ? k : `ansible_${k}`] = v;
    const ns: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(safe)) ns[k.replace(/^ansible_/, "")] = v;
    Object.assign(st.facts, ns, clean);
  }

  #notify(pr: PlayRun, hp: HostPlay, task: Task, vars: LayeredVars): void {
    const raw = this.#kw(task, "notify");
    if (raw === undefined || raw === null) return;
    const names = asList(this.#o.templar.template(raw, vars)).map(String);
    const nameOf = (h: Task) => (h.kw.name !== undefined ? String(h.kw.name) : undefined);
    for (const name of names) {
      let found = false;
      const matches = (h: Task) => {
        const n = nameOf(h);
        return n !== undefined &&
          (name === n ||
            (h.role !== undefined &&
              (name === `${h.role.name} : ${n}` || name === `${roleFullName(h.role)} : ${n}`)));
      };
      // A task in a role notifies its own role's handler first (the same role may be in the play twice).
      const own = task.role ? pr.handlerTasks.find((h) => h.role === task.role && matches(h)) : undefined;
      const target = own ?? pr.handlerTasks.find(matches);
      if (target) {
        if (!hp.notified.has(target)) this.#cb.notify?.(this.#taskName(target), hp.name);
        hp.notified.add(target);
        found = true;
      }
      for (const h of pr.handlerTasks) {
        if (tagList(h.kw.listen).includes(name)) {
          if (!hp.notified.has(h)) this.#cb.notify?.(this.#taskName(h), hp.name);
          hp.notified.add(h);
          found = true;
        }
      }
      if (!found) {
        throw new ExecutionError(
          `The requested handler '${name}' was not found in either the main handlers list nor in the listening handlers list`,
        );
      }
    }
  }

  /** include_tasks / include_role: load once per distinct file and params; hosts share the result. */
  #includes(
    pr: PlayRun,
    hp: HostPlay,
    task: Task,
    vars: LayeredVars,
    result: Result,
    itemLayers: Record<string, unknown>[] | undefined,
  ): { items: Item[] }[] {
    const t = this.#o.templar;
    if (shortActionName(task.actionWritten) === "include") {
      // the old include, run as include_tasks: Ansible says it again when its results are processed
      this.#o.deprecated?.(
        '"include" is deprecated, use include_tasks/import_tasks/import_playbook instead',
        "2.16",
      );
    }
    const runs = itemLayers
      ? (result.results as Result[]).map((r, i) => ({ r, layer: itemLayers[i] })).filter((x) => !x.r.skipped)
      : [{ r: result, layer: undefined as Record<string, unknown> | undefined }];
    const out: { items: Item[] }[] = [];
    for (const { layer } of runs) {
      const v = layer ? vars.with(layer) : vars;
      const args = removeOmit(t.template(task.args, v), this.#o.omitToken) as Record<string, unknown>;
      const params: Record<string, unknown> = {
        ...(isMap(task.kw.vars) ? t.template(task.kw.vars, v) as Record<string, unknown> : {}),
      };
      if (layer) Object.assign(params, layer);
      const apply = isMap(args.apply) ? args.apply : {};
      let key: string;
      let load: () => Item[];
      if (task.action === "include_tasks") {
        const name = String(args.file ?? args._raw_params ?? "");
        const file = this.#o.loader.resolveInclude(
          name,
          String(task.args.__dir ?? pr.play.baseDir),
          task.role,
          pr.play,
        );
        if (!file) {
          throw new ExecutionError(
            `Could not find or access '${name}'` + (task.pos ? `\n\n${positionDetails(task.pos)}` : ""),
          );
        }
        key = `${task.id}\0${file}\0${keyJson(params)}`;
        load = () => {
          const block: Block = makeBlock({
            kw: { ...apply },
            parent: task.parent,
            role: task.role,
            includeParams: params,
            synthetic: true,
          });
          block.block = this.#o.loader.loadTasksFile(file, block, task.role, pr.play, task.isHandler);
          return [block];
        };
      } else {
        const name = String(args.name ?? args.role ?? "");
        key = `${task.id}\0role:${name}\0${keyJson(args)}\0${keyJson(params)}`;
        load = () => {
          const pub = args.public !== undefined && bool(args.public);
          const r = this.#o.loader.includeRole(
            name,
            pr.play,
            task.role,
            task.pos ?? task,
            task.pos?.file ?? pr.play.file,
            {
              tasksFrom: args.tasks_from as string | undefined,
              varsFrom: args.vars_from as string | undefined,
              defaultsFrom: args.defaults_from as string | undefined,
              handlersFrom: args.handlers_from as string | undefined,
              public: pub,
              task,
            },
          );
          if (pub) pr.publicRoles.push(...r.all.filter((x) => !pr.publicRoles.includes(x)));
          for (const rr of r.all) {
            if (!pr.play.roles.includes(rr)) pr.play.roles.push(rr);
            const hs = flatten(rr.handlers).filter((h) => !pr.handlerTasks.includes(h));
            pr.handlerTasks.push(...hs);
          }
          const block: Block = makeBlock({
            kw: { ...apply },
            parent: task.parent,
            includeParams: params,
            block: r.tasks,
            synthetic: true,
          });
          for (const it of r.tasks) it.parent = block;
          return [block];
        };
      }
      let items = pr.includeCache.get(key);
      if (!items) {
        items = load();
        pr.includeCache.set(key, items);
        if (pr.strategy instanceof LinearStrategy) pr.strategy.insertNext(flatten(items));
      }
      if (task.action === "include_tasks") {
        const file = this.#o.loader.resolveInclude(
          String(args.file ?? args._raw_params ?? ""),
          String(task.args.__dir ?? pr.play.baseDir),
          task.role,
          pr.play,
        );
        if (file) {
          pr.pendingIncludes.push({
            file,
            host: hp.name,
            item: layer ? layer[String(layer.ansible_loop_var)] : undefined,
            hasItem: layer !== undefined,
          });
        }
      }
      out.push({ items });
    }
    return out;
  }
}
