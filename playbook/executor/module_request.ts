// The module request: everything the remote side needs to run one task's module on one host, built
// from the task, its variables and the run's settings. Pure: no state of the run is read or changed
// here (the caller hands in the variables of other hosts), and nothing is sent.
import * as path from "node:path";
import { ExecutionError } from "../errors.ts";
import type { Task } from "../model.ts";
import { type LayeredVars, scopeChain, type VarLookup } from "../vars.ts";
import { plainStrings } from "../values.ts";
import type { AsyncEvent, ModuleRequest } from "../runner.ts";
import { readTextFile } from "../text_file.ts";
import { templateFileVars, UndefinedError } from "../template/mod.ts";
import { asList } from "../loader.ts";
import type { ActionNames } from "../action_names.ts";
import { list } from "../_settings.ts";
import type { ExecutorOptions } from "./types.ts";
import { checkMode, templatedKeyword } from "./_keywords.ts";
import { FieldTemplateError, TaskTemplateError } from "./_task_errors.ts";
import { bool, isMap, removeOmit } from "./_util.ts";

/** What every request of the run shares. */
export type RequestEnv =
  & Pick<
    ExecutorOptions,
    "templar" | "omitToken" | "pyStr" | "check" | "diff" | "verbosity" | "connectionDefaults"
  >
  & {
    /** Whether the inventory holds a host (a delegate outside it connects with the defaults). */
    hasHost(host: string): boolean;
    /** Ansible's display.warning. */
    warning(text: string): void;
    /** An async task's progress on `host`, as the callbacks show it. */
    asyncStatus(host: string, task: Task, vars: VarLookup, e: AsyncEvent): void;
    /**
     * The `library/` folders beside the playbooks and every role loaded so far (Ansible's module loader
     * is global: a role's modules serve the play's other tasks too), in the order Ansible searches them.
     */
    libraryDirs(): string[];
    /** The run's plugin name resolution, which module_defaults entries are matched by. */
    actionNames?: ActionNames;
  };

/** One task on one host. */
export interface RequestInput {
  host: string;
  task: Task;
  vars: LayeredVars;
  noLog: boolean;
  /** The task's search path (ansible_search_path). */
  searchPath: string[];
  /** The play's directory: a template's includes are searched there too. */
  playDir: string;
  /** Another inventory host's variables for this task: a delegated task connects with the delegate's. */
  varsOf(host: string): LayeredVars;
  /** An inventory host's own variables, outside any task (mitogen_via intermediaries). */
  hostVarsOf(host: string): LayeredVars;
  /** The facts the run holds for a host, if any. */
  factsOf(host: string): Record<string, unknown> | undefined;
}

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

/**
 * The task's arguments. Given as one templated string (`debug: "{{ a_dict }}"`, `args: "{{ x }}"`),
 * they come from that value now, under the ones written beside it, as Ansible's task executor merges
 * its _variable_params.
 */
export function argsOf(
  task: Task,
  vars: VarLookup,
  o: Pick<RequestEnv, "templar" | "pyStr" | "warning">,
): Record<string, unknown> {
  if (!("_variable_params" in task.args)) return task.args;
  const { _variable_params: spec, ...written } = task.args;
  const value = o.templar.template(spec, vars);
  if (!isMap(value)) {
    throw new TaskTemplateError(`invalid or malformed argument: '${o.pyStr(value)}'`);
  }
  o.warning(
    "Using a variable for a task's 'args' is unsafe in some situations " +
      "(see https://docs.ansible.com/ansible/devel/reference_appendices/faq.html#argsplat-unsafe)",
  );
  return { ...value, ...written };
}

/**
 * module_defaults from the play down to the task for its action (or, given, another module the task runs):
 * an inner scope's entry replaces an outer one's whole. With `names` (the run's plugin resolution), as
 * Ansible matches them: an entry applies when its name resolves to the plugin the task's does, and a
 * `group/…` entry when that action group holds it (group entries first, then the action's own).
 * Without, by the written names: the short name, or it under ansible.builtin or ansible.legacy.
 */
export function moduleDefaults(task: Task, module?: string, names?: ActionNames): Record<string, unknown> {
  const layers: Record<string, unknown>[] = [];
  for (const s of scopeChain(task)) {
    for (const md of asList(s.kw.module_defaults)) if (isMap(md)) layers.push(md);
  }
  const out: Record<string, unknown> = {};
  if (layers.length === 0) return out;
  const action = module ?? (task.actionWritten.includes(".") ? task.actionWritten : task.action);
  const parsed = module !== undefined || !task.namedInActionKeyword;
  const resolved = names?.taskName(action, [], { parsed });
  if (names && !parsed && resolved === undefined) return out;
  if (names && resolved !== undefined) {
    // keyed by what each entry resolves to, as Ansible stores them when it loads the play
    const byName = new Map<string, unknown>();
    for (const md of layers) {
      for (const [key, value] of Object.entries(md)) {
        if (key.startsWith("group/")) byName.set(`group/${names.groupName(key.slice(6))}`, value);
        else for (const n of names.keyNames(key)) byName.set(n, value);
      }
    }
    for (const [key, value] of byName) {
      if (key.startsWith("group/") && names.groupActions(key.slice(6)).includes(resolved) && isMap(value)) {
        Object.assign(out, value);
      }
    }
    const own = byName.get(resolved);
    if (isMap(own)) Object.assign(out, own);
    return out;
  }
  const written = module !== undefined
    ? [module, `ansible.builtin.${module}`, `ansible.legacy.${module}`]
    : [task.action, task.actionWritten, `ansible.builtin.${task.action}`, `ansible.legacy.${task.action}`];
  // the names stand for one plugin: the innermost entry under any of them is the one
  let entry: unknown;
  for (const md of layers) for (const [k, v] of Object.entries(md)) if (written.includes(k)) entry = v;
  return isMap(entry) ? { ...entry } : out;
}

/** The connection variables (ansible_*, mitogen_*) of a host's variables, templated, over the defaults. */
export function connectionVars(
  vars: LayeredVars,
  o: Pick<RequestEnv, "templar" | "connectionDefaults">,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // Connection variables come from inventory, play, role, set_fact and extra vars: gathered facts and
  // magic variables never hold one, and skipping them keeps this proportional to what the user set.
  for (const k of vars.plainKeys()) {
    if (k.startsWith("ansible_") && !k.startsWith("ansible_facts") || k.startsWith("mitogen_")) {
      try {
        out[k] = o.templar.template(vars.raw(k), vars);
      } catch {
        // A connection variable that cannot be templated is left out; the runner reports what it misses.
      }
    }
  }
  return { ...o.connectionDefaults, ...out };
}

/**
 * The `environment:` of the task and its parents, merged (innermost wins). Each entry of a mapping is
 * templated on its own, and as Ansible does one that fails on an undefined `ansible_env` is left out: a
 * play's environment built from the facts (`PATH: "{{ ansible_env.PATH }}:/x"`) must not stop the
 * gathering of those facts. Ansible's test for that names `ansible_env` anywhere in the error, for any
 * task, not only the fact gathering: so does this one. Ansible templates it for every task its task
 * executor runs, controller-side actions included (debug, set_fact …): an undefined variable in it fails
 * them too, and an entry that is no mapping is skipped with a warning.
 */
export function taskEnvironment(
  task: Task,
  vars: LayeredVars,
  o: Pick<RequestEnv, "templar" | "pyStr" | "warning">,
): Record<string, string> {
  const env: Record<string, string> = {};
  const chain = scopeChain(task);
  for (const s of chain) {
    for (const e of asList(s.kw.environment)) {
      if (!isMap(e)) {
        let m: unknown;
        try {
          m = o.templar.template(e, vars);
        } catch (err) {
          throw err instanceof UndefinedError ? new FieldTemplateError("environment", err) : err;
        }
        if (isMap(m)) { for (const [k, v] of Object.entries(m)) env[k] = o.pyStr(v); }
        else {
          // Ansible's warning shows the whole list of environments, as written
          const all = chain.flatMap((c) => asList(c.kw.environment));
          o.warning(`could not parse environment value, skipping: ${o.pyStr(all)}`);
        }
        continue;
      }
      for (const [k, raw] of Object.entries(e)) {
        try {
          env[k] = o.pyStr(o.templar.template(raw, vars));
        } catch (err) {
          if (!(err instanceof UndefinedError)) throw err;
          if (err.message.includes("ansible_env")) continue;
          throw new FieldTemplateError("environment", err);
        }
      }
    }
  }
  return env;
}

/** The module Ansible's `smart` facts module is on a connection that is no network device's. */
const SETUP = "ansible.legacy.setup";

/** The network platforms whose facts module `smart` picks (CONNECTION_FACTS_MODULES), and their collections. */
const NETWORK_PLATFORMS: Record<string, string> = {
  asa: "cisco.asa",
  eos: "arista.eos",
  frr: "frr.frr",
  ios: "cisco.ios",
  iosxr: "cisco.iosxr",
  junos: "junipernetworks.junos",
  nxos: "cisco.nxos",
  vyos: "vyos.vyos",
  exos: "extreme.exos",
  slxos: "extreme.slxos",
  voss: "extreme.voss",
  ironware: "community.network",
};

/** What `smart` stands for: the network_os's facts module (`ios` or `cisco.ios.ios`), else setup. */
function smartModule(networkOs: unknown): string {
  const os = typeof networkOs === "string" ? networkOs : "";
  if (Object.hasOwn(NETWORK_PLATFORMS, os)) return `ansible.legacy.${os}_facts`;
  const short = os.split(".").pop() ?? "";
  return Object.hasOwn(NETWORK_PLATFORMS, short) && os === `${NETWORK_PLATFORMS[short]}.${short}`
    ? `${os}_facts`
    : SETUP;
}

/**
 * The facts modules a gather_facts task runs: the host's `ansible_facts_modules`, else FACTS_MODULES;
 * `smart` leaves its place and the module it stands for goes last, as Ansible's gather_facts action does.
 */
function factsModules(vars: LayeredVars, o: RequestEnv, args: Record<string, unknown>): string[] {
  const own = vars.get("ansible_facts_modules");
  const given = list(own ?? o.connectionDefaults.facts_modules ?? ["smart"]);
  if (!given.includes("smart")) return given;
  const facts = vars.get("ansible_facts");
  const os = args.network_os ?? vars.get("ansible_network_os") ??
    (isMap(facts) ? facts.network_os : undefined);
  return [...given.filter((m) => m !== "smart"), smartModule(os)];
}

/**
 * As Ansible: module_defaults under the task's own arguments, then every option that templated to `omit`
 * dropped (an omitted argument takes its default away too).
 */
export function moduleRequest(o: RequestEnv, input: RequestInput): ModuleRequest {
  const { host, task, vars, noLog } = input;
  const t = o.templar;
  const own = t.template(argsOf(task, vars, o), vars) as Record<string, unknown>;
  const defaults = t.template(moduleDefaults(task, undefined, o.actionNames), vars) as Record<
    string,
    unknown
  >;
  // Unsafe-ness matters to templating only: modules and file actions get plain strings.
  const args = plainStrings(removeOmit({ ...defaults, ...own }, o.omitToken)) as Record<string, unknown>;
  const kw = (n: string) => templatedKeyword(task, n, o, vars);
  // a connection variable's value is a template like any other (ansible_become_user: "{{ u }}")
  const cv = (n: string) => {
    const v = vars.get(n);
    return v === undefined ? undefined : t.template(v, vars);
  };
  const delegate = kw("delegate_to");
  const env = taskEnvironment(task, vars, o);
  // gather_facts runs the setup module, or its facts modules one after the other (`parallel` is the
  // action's own option, never a module's)
  const facts = task.action === "gather_facts" ? factsModules(vars, o, args) : undefined;
  if (facts) delete args.parallel;
  const gatherer = facts && (facts.length !== 1 || facts[0] !== SETUP) ? "gather_facts" : "setup";
  const moduleDefaultsOf = (module: string) =>
    plainStrings(
      removeOmit(t.template(moduleDefaults(task, module, o.actionNames), vars), o.omitToken),
    ) as Record<
      string,
      unknown
    >;
  // the setup module's own module_defaults fill in under the action's (as each facts module's do)
  const moduleArgs = facts && gatherer === "setup" ? { ...moduleDefaultsOf("setup"), ...args } : args;
  const targetHost = delegate === undefined || delegate === null ? host : String(delegate);
  // A delegated task connects with the delegate's variables (its address, user, via chain …).
  const conn = targetHost === host
    ? connectionVars(vars, o)
    : o.hasHost(targetHost)
    ? connectionVars(input.varsOf(targetHost), o)
    : { ...o.connectionDefaults };
  // the `timeout` keyword is the task's own time limit: the connection's is ansible_timeout's (and -T's)
  for (const k of ["remote_user", "port", "connection"]) {
    const v = kw(k);
    if (v !== undefined) conn[`keyword_${k}`] = v;
  }
  const dflt = o.connectionDefaults;
  return {
    host,
    targetHost,
    ...(delegate === undefined || delegate === null ? {} : { delegateTo: String(delegate) }),
    module: facts ? gatherer : task.action,
    ...(facts && gatherer === "gather_facts" ? { factsModules: facts } : {}),
    // not for gather_facts: the setup module runs under its own name
    ...(task.actionWritten !== task.action && task.action !== "gather_facts"
      ? { moduleWritten: task.actionWritten }
      : {}),
    args: moduleArgs,
    checkMode: checkMode(task, vars, o),
    diff: (() => {
      const v = templatedKeyword(task, "diff", o, vars);
      return v === undefined ? o.diff : bool(v);
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
    connectionVars: conn,
    hostConnectionVars: (h) => o.hasHost(h) ? connectionVars(input.hostVarsOf(h), o) : undefined,
    searchPath: input.searchPath,
    asyncSeconds: Number(kw("async") ?? 0),
    poll: Number(kw("poll") ?? 15),
    timeout: Number(kw("timeout") ?? 0),
    verbosity: o.verbosity,
    libraryPaths: o.libraryDirs(),
    facts: input.factsOf(targetHost),
    moduleDefaults: moduleDefaultsOf,
    onAsync: (e) => o.asyncStatus(host, task, vars, e),
    renderTemplate: (file, opts) => {
      if (!t.renderFile) throw new ExecutionError("the templating engine cannot render template files");
      // includes inside the template are searched as Ansible's template action sets Jinja2's search
      // path: the task's search path, the play's directory, the template's own directory
      const searchPaths = [...input.searchPath, input.playDir, path.dirname(file)];
      return t.renderFile(readTextFile(file), vars, {
        ...opts,
        extraVars: templateFileVars({
          path: String(args.src ?? file),
          fullpath: file,
          destPath: args.dest === undefined ? undefined : String(args.dest),
          managed: t.ansibleManaged,
        }),
        searchPaths,
      });
    },
  };
}
