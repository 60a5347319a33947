// Actions that run in the controller: debug, set_fact, assert, fail, include_vars, add_host, group_by,
// pause, set_stats. Each gets its task's arguments (templated, except assert's `that`) and returns an
// Ansible-shaped result; `failed: true` fails the host.
import * as fs from "node:fs";
import * as path from "node:path";
import { mergeDeep, type VarLookup } from "./vars.ts";
import { fileNotFoundMessage, findInSearchPath } from "./_search_path.ts";
import { boolean } from "./py/boolean.ts";
import { pyEq, pyTypeName, UndefinedError } from "./template/mod.ts";
import { UnsafeString } from "./values.ts";
import { isMap } from "./executor/_util.ts";
import { pyStr } from "./py/mod.ts";
import { varsDirFiles, type VarsDirGroup, type VarsDirOptions } from "./_include_vars_dir.ts";

export type Result = Record<string, unknown>;

/** What a controller action may touch: its host's variables, the inventory, templating, the display. */
export interface ActionEnv {
  host: string;
  /** Arguments as written (not templated). */
  rawArgs: Record<string, unknown>;
  /** Templates one value against the task's variables. */
  template(value: unknown): unknown;
  /** Evaluates a conditional (`when`-style) against the task's variables. */
  condition(cond: unknown): boolean;
  vars: VarLookup;
  verbosity: number;
  checkMode: boolean;
  /** The run templates in jinja2_native mode (ANSIBLE_JINJA2_NATIVE). */
  jinja2Native: boolean;
  /** Directory relative include_vars files resolve against (role vars/, playbook dir). */
  searchPath: string[];
  /** The folder of the task's role, if it has one, and of the file the task was read from. */
  rolePath?: string;
  taskDir?: string;
  readYaml(file: string): unknown;
  /** Adds or updates a host; true when that changed the inventory. */
  addHost(name: string, groups: string[], vars: Record<string, unknown>): boolean;
  /**
   * group_by: the host joins `group`, which becomes a child of each of `parents` (made when missing);
   * true when that changed the inventory (group_by's `changed`).
   */
  addToGroup(host: string, group: string, parents: string[]): boolean;
  isUndefinedError(err: unknown): boolean;
  isTTY: boolean;
  sleep(ms: number): Promise<void>;
  prompt?(text: string): Promise<string>;
  /** The task's name as the banner shows it (pause puts it in its prompt). */
  taskName: string;
  /** A line on the screen, as Ansible's display.display. */
  display(text: string): void;
  warning(text: string): void;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Ansible's actions read their flags with boolean(strict=False). */
const bool = (v: unknown): boolean => boolean(v, { strict: false });

function debug(env: ActionEnv): Result {
  const args = env.rawArgs;
  if ("msg" in args && "var" in args) {
    return { failed: true, msg: "'msg' and 'var' are incompatible options" };
  }
  const verbosity = Number(env.template(args.verbosity ?? 0));
  const r: Result = {};
  if (verbosity <= env.verbosity) {
    if ("msg" in args) r.msg = env.template(args.msg);
    else if ("var" in args) {
      // the task's arguments are templated before the action reads them (`var={{ item }}` names item's value)
      const name = typeof args.var === "string" && args.var.includes("{{")
        ? env.template(args.var)
        : args.var;
      let value: unknown;
      try {
        value = debugVar(env, name);
      } catch (err) {
        if (!env.isUndefinedError(err)) throw err;
        value = "VARIABLE IS NOT DEFINED!";
        if (env.verbosity > 0) value += `: ${(err as Error).message}`;
      }
      const key = typeof name === "string"
        ? name
        : name instanceof UnsafeString
        ? name.value
        : Array.isArray(name)
        ? "<class 'list'>"
        : "<class 'dict'>";
      r[key] = value === undefined ? "VARIABLE IS NOT DEFINED!" : value;
    } else r.msg = "Hello world!";
    r._ansible_verbose_always = true;
  } else {
    r.skipped_reason = "Verbosity threshold not met.";
    r.skipped = true;
  }
  r.failed = false;
  return r;
}

/**
 * debug's `var`, read as Ansible's Templar reads it with convert_bare: a bare expression is wrapped in
 * `{{ }}` when it has a filter or starts with a defined variable, and templated like any other value, so
 * `var=x` keeps x's type (the single-variable shortcut) while `var=x.y`, `var=x+1` and `var=x|length`
 * come back as text. When templating changed nothing, the value itself is tried as an expression once
 * more; a non-text value that is its own result counts as undefined.
 */
function debugVar(env: ActionEnv, name: unknown): unknown {
  let value = env.template(convertBare(env, name));
  if (pyEq(value, name)) {
    // unsafe text is never templated, and "{{" + it + "}}" is unsafe text too
    if (value instanceof UnsafeString) return new UnsafeString(`{{${value.value}}}`);
    if (typeof value !== "string") throw new UndefinedError("", ""); // Ansible raises a bare AnsibleUndefinedVariable here
    value = env.template(`{{${value}}}`);
  }
  return value;
}

function convertBare(env: ActionEnv, name: unknown): unknown {
  if (typeof name !== "string" || name.includes("{{")) return name;
  const first = name.split("|")[0].split(".")[0].split("[")[0];
  return name.includes("|") || env.vars.get(first) !== undefined ? `{{${name}}}` : name;
}

function setFact(env: ActionEnv): Result {
  const facts: Record<string, unknown> = {};
  let cacheable = false;
  for (const [k0, v] of Object.entries(env.rawArgs)) {
    if (k0 === "cacheable") {
      cacheable = bool(env.template(v));
      continue;
    }
    if (k0 === "_raw_params") {
      return {
        failed: true,
        msg: "No key/value pairs provided, at least one is required for this action to succeed",
      };
    }
    const k = String(env.template(k0));
    if (!IDENT.test(k)) {
      return {
        failed: true,
        msg:
          `The variable name '${k}' is not valid. Variables must start with a letter or underscore character, and contain only letters, numbers and underscores.`,
      };
    }
    let value = env.template(v);
    // Ansible converts boolean words (unsafe text too) only outside native mode, where templating
    // cannot give a boolean. Lowercased only when short enough to be one: a fact may be a 100 MB text.
    const text = value instanceof UnsafeString ? value.value : value;
    const word = !env.jinja2Native && typeof text === "string" && text.length <= 5 ? text.toLowerCase() : "";
    if (["true", "false", "yes", "no"].includes(word)) value = boolean(word);
    facts[k] = value;
  }
  if (Object.keys(facts).length === 0) {
    return {
      failed: true,
      msg: "No key/value pairs provided, at least one is required for this action to succeed",
    };
  }
  const r: Result = { ansible_facts: facts, changed: false };
  if (cacheable) r._ansible_facts_cacheable = true;
  return r;
}

function assertAction(env: ActionEnv): Result {
  const args = env.rawArgs;
  if (!("that" in args)) return { failed: true, msg: 'conditional required in "that" string' };
  const failMsg = "fail_msg" in args
    ? env.template(args.fail_msg)
    : "msg" in args
    ? env.template(args.msg)
    : "Assertion failed";
  const successMsg = "success_msg" in args ? env.template(args.success_msg) : "All assertions passed";
  const quiet = bool(env.template(args.quiet ?? false));
  let thats = args.that;
  if (typeof thats === "string" && thats.includes("{{")) thats = env.template(thats);
  const list = Array.isArray(thats) ? thats : [thats];
  const r: Result = {};
  if (!quiet) r._ansible_verbose_always = true;
  for (const that of list) {
    if (!env.condition(that)) {
      r.failed = true;
      r.evaluated_to = false;
      r.assertion = that;
      r.msg = failMsg;
      return r;
    }
  }
  r.changed = false;
  r.msg = successMsg;
  return r;
}

function fail(env: ActionEnv): Result {
  const msg = "msg" in env.rawArgs ? env.template(env.rawArgs.msg) : "Failed as requested from task";
  return { failed: true, msg };
}

/** include_vars' dir options, or the failure Ansible gives for an invalid one. */
function varsDirOptions(a: Record<string, unknown>): VarsDirOptions | Result {
  const ext = a.extensions ?? ["yaml", "yml", "json"];
  // a string is a list of its characters to Python's list()
  const extensions = typeof ext === "string" ? Array.from(ext) : ext;
  if (!Array.isArray(extensions)) {
    return { failed: true, msg: 'Invalid type for "extensions" option, it must be a list' };
  }
  const ignoreRaw = a.ignore_files ?? [];
  if (isMap(ignoreRaw)) return { failed: true, message: `${pyStr(ignoreRaw)} must be a list` };
  const ignore = typeof ignoreRaw === "string" ? ignoreRaw.split(/\s+/).filter(Boolean) : [ignoreRaw].flat();
  const ignoreFiles: RegExp[] = [];
  for (const p of ignore.map(String)) {
    try {
      ignoreFiles.push(new RegExp(`${p}$`));
    } catch {
      return { failed: true, msg: `Invalid regular expression: ${p}` };
    }
  }
  return {
    depth: Number(a.depth ?? 0) || 0,
    filesMatching: a.files_matching ? new RegExp(String(a.files_matching)) : undefined,
    ignoreFiles,
    extensions: extensions.map(String),
    ignoreUnknownExtensions: a.ignore_unknown_extensions !== undefined && bool(a.ignore_unknown_extensions),
  };
}

/**
 * Loads include_vars' files folder by folder as Ansible does: a file that is not a mapping or has an
 * invalid extension ends the task, failed, keeping the variables of the folders read before.
 */
function loadVarsGroups(env: ActionEnv, groups: VarsDirGroup[], extensions: string[]): Result {
  let vars: Record<string, unknown> = {};
  const loaded: string[] = [];
  const failed = (message: string): Result => ({
    failed: true,
    message,
    ansible_included_var_files: loaded,
    ansible_facts: vars,
  });
  for (const g of groups) {
    let own: Record<string, unknown> = {};
    for (const f of g.files) {
      const data = env.readYaml(f);
      if (isEmptyVars(data)) {
        loaded.push(f);
        continue;
      }
      if (!isMap(data)) return failed(`${f} must be stored as a dictionary/hash`);
      loaded.push(f);
      own = { ...own, ...data };
    }
    if (g.invalid) return failed(`${g.invalid} does not have a valid extension: ${extensions.join(", ")}`);
    vars = { ...vars, ...own };
  }
  return { vars, loaded };
}

/**
 * include_vars' dir as Ansible places it: in a role, below the role's vars/ (a path starting with vars/
 * is the role's own when it exists); elsewhere beside the task's file.
 */
function varsDirOf(env: ActionEnv, dir: string): string {
  if (env.rolePath !== undefined) {
    if (dir.split("/")[0] !== "vars") return path.join(env.rolePath, "vars", dir);
    const own = path.join(env.rolePath, dir);
    return fs.existsSync(own) ? own : path.resolve(dir);
  }
  return env.taskDir !== undefined ? path.resolve(env.taskDir, dir) : path.resolve(dir);
}

/** What Python's `not data` holds true for: a file that gives no variables. */
function isEmptyVars(data: unknown): boolean {
  if (data === null || data === undefined || data === "" || data === 0 || data === false) return true;
  if (Array.isArray(data)) return data.length === 0;
  return isMap(data) && Object.keys(data).length === 0;
}

function includeVars(env: ActionEnv): Result {
  const a: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(env.rawArgs)) a[k] = env.template(v);
  // as Ansible's action reads them: an empty dir or file is none, free-form text loses trailing newlines
  const given = (v: unknown) => (v === undefined || v === null || v === "" ? undefined : v);
  const dirArg = given(a.dir);
  let file = dirArg === undefined ? given(a.file) : undefined;
  if (dirArg === undefined && file === undefined && typeof a._raw_params === "string") {
    file = given(a._raw_params.replace(/\n+$/, ""));
  }
  let loaded: Result;
  if (dirArg !== undefined) {
    const dir = varsDirOf(env, String(dirArg));
    const missing = !fs.existsSync(dir)
      ? "directory does not exist"
      : !fs.statSync(dir).isDirectory()
      ? "is not a directory"
      : undefined;
    if (missing) loaded = { failed: true, message: `${dir} ${missing}`, ansible_included_var_files: [] };
    else {
      const opts = varsDirOptions(a);
      if ("failed" in opts) return opts as Result;
      const { extensions } = opts as VarsDirOptions;
      loaded = loadVarsGroups(env, varsDirFiles(dir, opts as VarsDirOptions), extensions);
    }
  } else {
    if (file === undefined) env.warning('Invalid request to find a file that matches a "null" value');
    // the task's search path ends with the play's directory, Ansible's last resort
    const basedir = env.searchPath[env.searchPath.length - 1] ?? path.resolve();
    const needle = file === undefined
      ? { searched: [] }
      : findInSearchPath(env.searchPath, "vars", String(file), basedir);
    loaded = needle.found ? loadVarsGroups(env, [{ files: [needle.found] }], []) : {
      failed: true,
      message: fileNotFoundMessage(file === undefined ? undefined : String(file), needle.searched),
      ansible_included_var_files: [],
    };
  }
  if (loaded.failed) {
    // Ansible's failed result still holds what was read, under `name` when it has one
    const facts = loaded.ansible_facts ?? {};
    return { ...loaded, ansible_facts: typeof a.name === "string" ? { [a.name]: facts } : facts };
  }
  let vars = loaded.vars as Record<string, unknown>;
  if (typeof a.name === "string") vars = { [a.name]: vars };
  if (a.hash_behaviour === "merge") {
    // each variable merged into the value the task sees, dicts recursively (Ansible's combine_vars)
    for (const [k, v] of Object.entries(vars)) {
      let old: unknown;
      try {
        old = env.vars.get(k);
      } catch {
        old = undefined;
      }
      if (isMap(old) && isMap(v)) vars[k] = mergeDeep(old, v);
    }
  }
  return {
    ansible_facts: vars,
    ansible_included_var_files: loaded.loaded,
    changed: false,
    _ansible_include_vars: true,
  };
}

function addHost(env: ActionEnv): Result {
  let a: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(env.rawArgs)) a[k] = env.template(v);
  // `add_host: "{{ a_dict }}"`: the dict gives the arguments, under the ones written beside it
  if ("_raw_params" in a) {
    const { _raw_params: raw, ...rest } = a;
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
      const type = typeof raw === "string" ? "ansible.parsing.yaml.objects.AnsibleUnicode" : pyTypeName(raw);
      return {
        failed: true,
        msg: `Invalid raw parameters passed, requires a dictonary/mapping got a  <class '${type}'>`,
      };
    }
    a = { ...(raw as Record<string, unknown>), ...rest };
  }
  const name = (a.name ?? a.hostname ?? a.host) as string | undefined;
  if (name === undefined || name === null) {
    return { failed: true, msg: "name, host or hostname needs to be provided" };
  }
  const groupsRaw = a.groups ?? a.group ?? a.groupname;
  const groups = groupsRaw === undefined
    ? []
    : Array.isArray(groupsRaw)
    ? groupsRaw.map(String)
    : String(groupsRaw).split(",").map((s) => s.trim()).filter(Boolean);
  const vars: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a)) {
    if (["name", "host", "hostname", "groups", "group", "groupname", "_raw_params"].includes(k)) continue;
    vars[k] = v;
  }
  let hostName = String(name);
  const port = /^([^:\[\]]+):(\d+)$/.exec(hostName);
  if (port) {
    hostName = port[1];
    vars.ansible_ssh_port = Number(port[2]);
  }
  const changed = env.addHost(hostName, groups, vars);
  return { changed, add_host: { host_name: hostName, groups, host_vars: vars } };
}

function groupBy(env: ActionEnv): Result {
  const key = env.template(env.rawArgs.key ?? env.rawArgs._raw_params);
  if (key === undefined || key === null || key === "") {
    return { failed: true, msg: "the 'key' param is required when using group_by" };
  }
  // As ansible-core 2.14: spaces become dashes; the inventory then warns about (or, as
  // transform_invalid_group_chars says, replaces) what a variable's name could not have.
  const group = String(key).replaceAll(" ", "-");
  const parentsRaw = env.template(env.rawArgs.parents ?? "all");
  const parents = (Array.isArray(parentsRaw) ? parentsRaw.map(String) : [String(parentsRaw)])
    .map((p) => p.replaceAll(" ", "-"));
  const changed = env.addToGroup(env.host, group, parents);
  return { changed, add_group: group, parent_groups: parents };
}

/** Python's str() of a float: always a decimal point. */
function pyFloatText(n: number): string {
  return Number.isInteger(n) ? `${n}.0` : String(n);
}

/** datetime.now() as Python prints it: local time, microseconds. */
function localStamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${
    p(d.getMinutes())
  }:` +
    `${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}000`;
}

async function pause(env: ActionEnv): Promise<Result> {
  const a: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(env.rawArgs)) a[k] = env.template(v);
  // Ansible takes minutes/seconds through int(): floats are truncated, anything else is refused.
  const asInt = (v: unknown): number => (typeof v === "boolean" ? Number(v) : Math.trunc(Number(v)));
  let seconds: number | undefined;
  let unit = "minutes";
  if (a.minutes !== undefined && a.minutes !== null) seconds = asInt(a.minutes) * 60;
  else if (a.seconds !== undefined && a.seconds !== null) {
    seconds = asInt(a.seconds);
    unit = "seconds";
  }
  if (seconds !== undefined && Number.isNaN(seconds)) {
    return { failed: true, msg: "non-integer value given for prompt duration" };
  }
  const echo = a.echo === undefined ? true : bool(a.echo);
  const hidden = echo ? "" : " (output is hidden)";
  const prompt = `[${env.taskName.trim()}]\n${
    a.prompt ? String(a.prompt) : "Press enter to continue, Ctrl+C to interrupt"
  }${hidden}:`;
  const start = new Date();
  let userInput = "";
  if (seconds !== undefined) {
    if (seconds < 1) seconds = 1;
    env.display(`Pausing for ${seconds} seconds${hidden}`);
    env.display("(ctrl+C then 'C' = continue early, ctrl+C then 'A' = abort)\r");
    if (a.prompt) env.display(prompt);
    await env.sleep(seconds * 1000);
  } else if (env.isTTY && env.prompt) {
    userInput = await env.prompt(prompt);
  } else {
    env.display(prompt);
    env.warning("Not waiting for response to prompt as stdin is not interactive");
  }
  const stop = new Date();
  const duration = (stop.getTime() - start.getTime()) / 1000;
  const shown = Math.round((unit === "minutes" ? duration / 60 : duration) * 100) / 100;
  return {
    changed: false,
    rc: 0,
    start: localStamp(start),
    stop: localStamp(stop),
    delta: Math.trunc(duration),
    stdout: `Paused for ${pyFloatText(shown)} ${unit}`,
    stderr: "",
    user_input: userInput,
    echo,
  };
}

function setStats(env: ActionEnv): Result {
  const data = env.template(env.rawArgs.data ?? {});
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return { failed: true, msg: "The 'data' option needs to be a dictionary/hash" };
  }
  for (const k of Object.keys(data)) {
    if (!IDENT.test(k)) {
      return {
        failed: true,
        msg:
          `The variable name '${k}' is not valid. Variables must start with a letter or underscore character, and contain only letters, numbers and underscores.`,
      };
    }
  }
  return {
    changed: false,
    ansible_stats: {
      data,
      per_host: bool(env.template(env.rawArgs.per_host ?? false)),
      aggregate: bool(env.template(env.rawArgs.aggregate ?? true)),
    },
  };
}

export const CONTROLLER_ACTIONS: Record<string, (env: ActionEnv) => Result | Promise<Result>> = {
  debug,
  set_fact: setFact,
  assert: assertAction,
  fail,
  include_vars: includeVars,
  add_host: addHost,
  group_by: groupBy,
  pause,
  set_stats: setStats,
};

/** Actions Ansible runs once for the batch, on its first host, rather than per host (bypass_host_loop). */
export const BYPASS_HOST_LOOP = new Set(["add_host", "pause"]);
