// Turns playbook YAML into the model: plays, blocks, tasks, roles, static imports expanded, dynamic
// includes left as tasks. Every structural mistake is a PlaybookError naming the file and line.
import * as path from "node:path";
import { ExecutionError, PlaybookError, type Position, RoleNotFoundError } from "./errors.ts";
import {
  type Block,
  BLOCK_KEYWORDS,
  HANDLER_KEYWORDS,
  IMPORT_PLAYBOOK_KEYWORDS,
  type Item,
  type Keywords,
  makeBlock,
  nextId,
  type Play,
  PLAY_KEYWORDS,
  type Playbook,
  ROLE_ENTRY_KEYWORDS,
  type RoleInstance,
  type Scope,
  type Task,
  TASK_KEYWORDS,
  type VarsPrompt,
} from "./model.ts";
import {
  FREE_FORM,
  isTemplateText,
  oldIncludeVars,
  parseKv,
  shortActionName,
  splitArgs,
} from "./task_args.ts";
import { KNOWN_MODULES } from "./_known_modules.ts";
import { aliasDeprecation, moduleInLibraries } from "./_module_file.ts";
import { keyJson, UnsafeString } from "./values.ts";
import { pyStr } from "./py/mod.ts";
import { keepPositions, yamlClass } from "./yaml/mod.ts";
import { type CollectionIndex, CORE_COLLECTIONS, withCoreFallback } from "./collections.ts";
import { PluginRemovedError } from "./plugin_routing.ts";
import { boolean } from "./py/boolean.ts";

const HAS_CMD = new Set(["command", "shell", "script"]);

/** What the loader needs from the outside world: file reading and the YAML layer's positions. */
export interface LoaderIO {
  /** Reads and parses a YAML file; errors (missing file, bad YAML) are thrown with file and line. */
  readYaml(file: string): unknown;
  /**
   * Where a parsed mapping or sequence starts; with `index`, where that item of a sequence starts, or
   * where the value of that key of a mapping starts.
   */
  positionOf(node: unknown, index?: number | string): Position | undefined;
  exists(file: string): boolean;
  isDir(file: string): boolean;
  listDir(dir: string): string[];
  /** roles_path from the configuration, already absolute. */
  rolesPath: string[];
  /** The installed collections, for roles (and, through `collections:`, modules) named in them. */
  collections?: CollectionIndex;
  /** Whether a Python action plugin answers that short name (its folders, or the collection it routes to). */
  isActionPlugin?(name: string): boolean;
  /** Templates a load-time value (import file names) against play vars and extra vars. */
  templateStatic(value: unknown, vars: Record<string, unknown>): unknown;
  /** Extra vars, visible to load-time templating. */
  extraVars: Record<string, unknown>;
  /** Shows a deprecation warning (once per message), as Ansible's display.deprecated. */
  deprecated?(msg: string, version?: string): void;
  /** A role's directory, each time a role is loaded (its *_plugins folders join Ansible's plugin paths). */
  onRole?(dir: string): void;
  /**
   * The playbooks' directories given on the command line: Ansible adds their plugin folders (`library/`,
   * …) before it loads anything, so they come before any role's.
   */
  playbookDirs?: string[];
  /** The configured library path (ANSIBLE_LIBRARY), absolute: searched after the adjacent folders. */
  libraryPath?: string[];
  /** Whether a file is a symbolic link (a module's `_name` alias that is one is not deprecated). */
  isSymlink?(file: string): boolean;
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function typeName(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return "list";
  if (typeof v === "object") return "dict";
  return typeof v === "number" ? "number" : typeof v;
}

const YAML_EXT = ["", ".yml", ".yaml", ".json"];

const TASK_INCLUDE_ARGS = new Set(["file", "_raw_params", "apply"]);
const ROLE_INCLUDE_ARGS = new Set([
  "name",
  "role",
  "tasks_from",
  "vars_from",
  "defaults_from",
  "handlers_from",
  "apply",
  "public",
  "allow_duplicates",
  "rolespec_validate",
]);
/** The arguments Ansible's TaskInclude and IncludeRole accept (the old `include:` takes any). */
const INCLUDE_ARGS = new Map<string, Set<string>>([
  ["include_tasks", TASK_INCLUDE_ARGS],
  ["import_tasks", TASK_INCLUDE_ARGS],
  ["include_role", ROLE_INCLUDE_ARGS],
  ["import_role", ROLE_INCLUDE_ARGS],
]);

/** Whether a scope is inside tasks that an include_tasks/include_role loads at run time. */
function insideDynamicInclude(scope: Scope | undefined): boolean {
  for (let s = scope; s; s = s.parent) {
    const action = (s as Partial<Task>).action;
    if (action === "include_tasks" || action === "include_role") return true;
    // the block a dynamic include loads its tasks into (its parent is the include's, not the include)
    if (s.includeParams !== undefined) return true;
  }
  return false;
}

/** Whether `child` is `parent` or below it, both made absolute and normalised, links not followed. */
function isSubpath(child: string, parent: string): boolean {
  const rel = path.relative(path.resolve(parent), path.resolve(child));
  return rel === "" || (rel !== ".." && !rel.startsWith("../") && !path.isAbsolute(rel));
}

interface FileCtx {
  file: string;
  role?: RoleInstance;
  /** Variables for load-time templating (play vars, import vars). */
  vars: Record<string, unknown>;
  play: PlayState;
}

interface PlayState {
  baseDir: string;
  roles: RoleInstance[];
  /** Role keys already listed in the play's roles (their handlers and public vars), once each. */
  seenRoles: Set<string>;
  importDepth: number;
}

export class Loader {
  #io: LoaderIO;
  /** Each play's role keys already listed in its roles: files loaded at run time add to them. */
  #seenRoles = new WeakMap<Play, Set<string>>();
  /** Playbook and role directories in the order Ansible's plugin loaders added them (see pluginDirs). */
  readonly #pluginDirs: string[] = [];
  constructor(io: LoaderIO) {
    this.#io = io;
    for (const d of io.playbookDirs ?? []) this.#addPluginDir(path.resolve(d));
  }

  /**
   * The directories whose plugin folders (`library/`, `action_plugins/`, `module_utils/` …) Ansible
   * searches, in its order: the playbooks' directories, then every role's as it was loaded, whichever play
   * loaded it (Ansible's loaders are global: a role's `library/` serves the play's own tasks, and the
   * plays after it). The array grows as roles are loaded.
   */
  get pluginDirs(): readonly string[] {
    return this.#pluginDirs;
  }

  /** The `library/` folders of pluginDirs (the configured library path is searched after them). */
  get libraryDirs(): string[] {
    return this.#pluginDirs.map((d) => path.join(d, "library"));
  }

  #addPluginDir(dir: string): void {
    if (!this.#pluginDirs.includes(dir)) this.#pluginDirs.push(dir);
  }

  /** Where `node` is; `node` may also be a Position already known (a sequence item's). */
  #pos(node: unknown, fallbackFile: string): Position {
    return this.#io.positionOf(node) ??
      (isPosition(node) ? node : { file: fallbackFile, line: 1, column: 1 });
  }

  #fail(message: string, node: unknown, file: string): never {
    throw new PlaybookError(message, this.#pos(node, file));
  }

  loadPlaybook(
    file: string,
    depth = 0,
    inherited?: { vars: Keywords; when: unknown[]; tags: unknown[] },
  ): Playbook {
    const abs = path.resolve(file);
    if (!this.#io.exists(abs)) throw new PlaybookError(`the playbook: ${file} could not be found`);
    return this.playbookFromData(this.#io.readYaml(abs), abs, depth, inherited);
  }

  /** A playbook already parsed (`mito adhoc` builds its one play in memory); `file` names it in errors. */
  playbookFromData(
    data: unknown,
    abs: string,
    depth = 0,
    inherited?: { vars: Keywords; when: unknown[]; tags: unknown[] },
  ): Playbook {
    if (data === null || data === undefined) throw new PlaybookError(`Empty playbook, nothing to do: ${abs}`);
    if (!Array.isArray(data)) {
      this.#fail("A playbook must be a list of plays, got a " + typeName(data) + " instead", data, abs);
    }
    if (data.length === 0) throw new PlaybookError(`A playbook must contain at least one play: ${abs}`);
    this.#addPluginDir(path.dirname(abs));
    const plays: Play[] = [];
    for (const entry of data) {
      if (!isMap(entry)) {
        this.#fail(`A playbook must contain plays (dicts), got a ${typeName(entry)}`, entry, abs);
      }
      // 2.14 no longer imports a playbook with `include:` (it is a Play attribute error)
      const importKey = [
        "import_playbook",
        "ansible.builtin.import_playbook",
        "ansible.legacy.import_playbook",
      ].find((k) => k in entry);
      if (importKey !== undefined) {
        plays.push(...this.#importPlaybook(entry, importKey, abs, depth, inherited));
        continue;
      }
      // an import's vars win over the play's own (Ansible's PlaybookInclude), and the play's static
      // imports already see them while it loads
      const play = this.#loadPlay(entry, abs, inherited?.vars ?? {});
      if (inherited) {
        if (inherited.when.length) play.kw.when = [...inherited.when, ...asList(play.kw.when)];
        if (inherited.tags.length) play.kw.tags = [...inherited.tags, ...asList(play.kw.tags)];
      }
      plays.push(play);
    }
    return { file: abs, plays };
  }

  #importPlaybook(
    entry: Record<string, unknown>,
    key: string,
    file: string,
    depth: number,
    inherited?: { vars: Keywords; when: unknown[]; tags: unknown[] },
  ): Play[] {
    if (depth > 20) this.#fail("import_playbook nested too deeply (a loop?)", entry, file);
    for (const k of Object.keys(entry)) {
      if (k !== key && !IMPORT_PLAYBOOK_KEYWORDS.has(k)) {
        this.#fail(`'${k}' is not a valid attribute for a PlaybookInclude`, entry, file);
      }
    }
    // an outer import's vars are laid over the inner one's last, so they win (as in Ansible)
    const own = this.#varsMap(entry.vars, entry, file);
    const vars = keepPositions({ ...own, ...(inherited?.vars ?? {}) }, own, inherited?.vars);
    let target = entry[key];
    if (typeof target === "string") {
      // the file name is the first word, a template kept whole (Ansible's split_args)
      const [first] = splitArgs(target.trim());
      target = this.#io.templateStatic(first, { ...vars, ...this.#io.extraVars });
    }
    if (typeof target !== "string" || target === "") {
      this.#fail(`import_playbook expects a file name, got ${typeName(target)}`, entry, file);
    }
    const resolved = path.resolve(path.dirname(file), target as string);
    if (!this.#io.exists(resolved)) this.#fail(`Unable to find playbook to import: ${target}`, entry, file);
    const nested = this.loadPlaybook(resolved, depth + 1, {
      vars,
      when: [...(inherited?.when ?? []), ...asList(entry.when)],
      tags: [...(inherited?.tags ?? []), ...asList(entry.tags)],
    });
    return nested.plays;
  }

  #varsMap(v: unknown, owner: unknown, file: string): Record<string, unknown> {
    if (v === undefined || v === null) return {};
    if (isMap(v)) return v;
    if (Array.isArray(v) && v.every(isMap)) return Object.assign({}, ...v);
    this.#fail(
      `Vars in a play/block/task must be specified as a dictionary, got ${typeName(v)}`,
      owner,
      file,
    );
  }

  #checkKeys(entry: Record<string, unknown>, allowed: Set<string>, what: string, file: string): void {
    for (const k of Object.keys(entry)) {
      if (!allowed.has(k)) this.#fail(`'${k}' is not a valid attribute for a ${what}`, entry, file);
    }
  }

  #list(v: unknown, what: string, owner: unknown, file: string): unknown[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.#fail(
        `A malformed block was encountered: ${what} must be a list, got ${typeName(v)}`,
        owner,
        file,
      );
    }
    return v;
  }

  /** A play's task list or roles that is not a list (nor null), refused with Ansible's Play messages. */
  #playSection(entry: Record<string, unknown>, key: string, file: string): void {
    const v = entry[key];
    if (v === undefined || v === null || Array.isArray(v)) return;
    let message = `A malformed block was encountered while loading ${key}`;
    if (key === "roles") message = "A malformed role declaration was encountered.";
    // only tasks says why (Play._load_tasks passes the assertion's text on)
    else if (key === "tasks") message += `: ${pyStr(v)} should be a list or None but is ${yamlClass(v)}`;
    this.#fail(message, entry, file);
  }

  #loadPlay(entry: Record<string, unknown>, file: string, importVars: Keywords): Play {
    // a play's `user` is the old name of remote_user, as Ansible's Play still reads it
    if (Object.hasOwn(entry, "user")) {
      if (Object.hasOwn(entry, "remote_user")) {
        this.#fail(
          "both 'user' and 'remote_user' are set for this play. The use of 'user' is deprecated, and should be removed",
          entry,
          file,
        );
      }
      entry.remote_user = entry.user;
      delete entry.user;
    }
    this.#checkKeys(entry, PLAY_KEYWORDS, "Play", file);
    if (entry.hosts === undefined) this.#fail("the field 'hosts' is required but was not set", entry, file);
    if (
      entry.hosts === null || entry.hosts === "" || (Array.isArray(entry.hosts) && entry.hosts.length === 0)
    ) {
      throw new PlaybookError("Hosts list cannot be empty. Please check your playbook");
    }
    if (entry.name !== undefined && entry.name !== null && typeof entry.name !== "string") {
      this.#fail(`the field 'name' should be a string, got ${typeName(entry.name)}`, entry, file);
    }
    const baseDir = path.dirname(file);
    const kw: Keywords = {};
    for (const [k, v] of Object.entries(entry)) {
      if (
        !["tasks", "pre_tasks", "post_tasks", "handlers", "roles", "vars", "vars_files", "vars_prompt"]
          .includes(k)
      ) {
        kw[k] = v;
      }
    }
    const own = this.#varsMap(entry.vars, entry, file);
    const vars = keepPositions({ ...own, ...importVars }, own, importVars);
    const state: PlayState = { baseDir, roles: [], seenRoles: new Set(), importDepth: 0 };
    const play: Play = {
      kind: "play",
      id: nextId(),
      name: typeof entry.name === "string" ? entry.name : hostsName(entry.hosts),
      hosts: entry.hosts,
      pos: this.#io.positionOf(entry),
      file,
      baseDir,
      kw,
      vars,
      varsFiles: this.#varsFiles(entry.vars_files, entry, file),
      varsPrompt: this.#varsPrompt(entry.vars_prompt, entry, file),
      sections: [],
      handlers: [],
      roles: state.roles,
    };
    this.#seenRoles.set(play, state.seenRoles);
    const ctx: FileCtx = { file, vars: { ...vars, ...this.#io.extraVars }, play: state };
    for (const section of ["pre_tasks", "roles", "tasks", "post_tasks", "handlers"]) {
      this.#playSection(entry, section, file);
    }
    const pre = this.#items(this.#list(entry.pre_tasks, "pre_tasks", entry, file), play, ctx, false);
    const roleBlocks: Item[] = [];
    const roles = this.#list(entry.roles, "roles", entry, file);
    for (const [i, r] of roles.entries()) {
      const b = this.#roleEntry(r, play, ctx, this.#io.positionOf(roles, i));
      if (b) roleBlocks.push(b);
    }
    const tasks = this.#items(this.#list(entry.tasks, "tasks", entry, file), play, ctx, false);
    const post = this.#items(this.#list(entry.post_tasks, "post_tasks", entry, file), play, ctx, false);
    play.sections = [
      [...pre, flushTask(play)],
      [...roleBlocks, ...tasks, flushTask(play)],
      [...post, flushTask(play)],
    ];
    const playHandlers = this.#items(this.#list(entry.handlers, "handlers", entry, file), play, ctx, true);
    play.handlers = [...state.roles.flatMap((r) => r.handlers), ...playHandlers];
    return play;
  }

  #varsFiles(v: unknown, owner: unknown, file: string): unknown[] {
    if (v === undefined || v === null) return [];
    if (typeof v === "string") return [v];
    if (!Array.isArray(v)) {
      this.#fail(`vars_files must be a list of file names, got ${typeName(v)}`, owner, file);
    }
    return v;
  }

  #varsPrompt(v: unknown, owner: unknown, file: string): VarsPrompt[] {
    if (v === undefined || v === null) return [];
    const list = Array.isArray(v) ? v : [v];
    return list.map((p) => {
      if (isMap(p) && !Object.hasOwn(p, "name")) {
        this.#fail("Invalid vars_prompt data structure, missing 'name' key", v, file);
      }
      if (!isMap(p) || typeof p.name !== "string") {
        this.#fail("vars_prompt entries must be dicts with a 'name'", owner, file);
      }
      return {
        name: p.name,
        prompt: typeof p.prompt === "string" ? p.prompt : undefined,
        default: p.default,
        private: p.private === undefined ? true : Boolean(p.private),
        pos: this.#io.positionOf(p) ?? this.#io.positionOf(owner),
      };
    });
  }

  /** Loads a list of tasks/blocks. `parent` is what they inherit keywords from. */
  #items(list: unknown[], parent: Scope, ctx: FileCtx, handlers: boolean): Item[] {
    const out: Item[] = [];
    for (const entry of list) {
      if (entry === null || entry === undefined) continue;
      if (!isMap(entry)) {
        this.#fail(
          `A malformed block was encountered while loading tasks: expected a dict, got ${typeName(entry)}`,
          entry,
          ctx.file,
        );
      }
      if ("block" in entry) {
        // a handlers list may hold blocks (their tasks are handlers), but not a block inside one
        const inBlock = (parent as Partial<Block>).kind === "block" && !(parent as Block).synthetic;
        if (handlers && inBlock) {
          this.#fail("Using a block as a handler is not supported.", entry, ctx.file);
        }
        out.push(this.#block(entry, parent, ctx, handlers));
        continue;
      }
      if ("rescue" in entry || "always" in entry) {
        this.#fail("'rescue' and 'always' are only valid together with 'block'", entry, ctx.file);
      }
      out.push(...this.#task(entry, parent, ctx, handlers));
    }
    return out;
  }

  #block(entry: Record<string, unknown>, parent: Scope, ctx: FileCtx, handlers: boolean): Block {
    this.#checkKeys(entry, BLOCK_KEYWORDS, "Block", ctx.file);
    const kw: Keywords = {};
    for (const [k, v] of Object.entries(entry)) if (!["block", "rescue", "always"].includes(k)) kw[k] = v;
    if (kw.vars !== undefined) kw.vars = this.#varsMap(kw.vars, entry, ctx.file);
    const block: Block = makeBlock({
      kw,
      parent,
      role: ctx.role,
      pos: this.#io.positionOf(entry),
    });
    block.block = this.#items(this.#list(entry.block, "block", entry, ctx.file), block, ctx, handlers);
    block.rescue = this.#items(this.#list(entry.rescue, "rescue", entry, ctx.file), block, ctx, handlers);
    block.always = this.#items(this.#list(entry.always, "always", entry, ctx.file), block, ctx, handlers);
    return block;
  }

  /** Finds the action key, validates the rest, and expands static imports. */
  #task(entry: Record<string, unknown>, parent: Scope, ctx: FileCtx, handler: boolean): Item[] {
    const allowed = handler ? HANDLER_KEYWORDS : TASK_KEYWORDS;
    const candidates: string[] = [];
    let loopWith: string | undefined;
    for (const k of Object.keys(entry)) {
      if (k.startsWith("with_")) {
        if (loopWith !== undefined) {
          this.#fail(`only one loop is allowed per task, got ${loopWith} and ${k}`, entry, ctx.file);
        }
        loopWith = k.slice(5);
        continue;
      }
      if (!allowed.has(k)) candidates.push(k);
    }
    if (loopWith !== undefined && entry.loop !== undefined) {
      this.#fail(`The 'loop' and 'with_${loopWith}' keywords cannot be used together`, entry, ctx.file);
    }
    let actionWritten: string;
    let rawArgs: unknown;
    let localAction = false;
    if ("action" in entry || "local_action" in entry) {
      if (candidates.length > 0 || ("action" in entry && "local_action" in entry)) {
        this.#fail(
          `conflicting action statements: ${
            ["action", "local_action", ...candidates].filter((k) => k in entry).join(", ")
          }`,
          entry,
          ctx.file,
        );
      }
      localAction = "local_action" in entry;
      let spec = localAction ? entry.local_action : entry.action;
      // `action: !unsafe ns.coll.name` names its action all the same (only templating cares)
      if (spec instanceof UnsafeString) spec = String(spec);
      if (typeof spec === "string") {
        const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(spec);
        if (!m) this.#fail("action must name a module", entry, ctx.file);
        actionWritten = m[1];
        rawArgs = m[2];
      } else if (isMap(spec) && typeof spec.module === "string") {
        actionWritten = spec.module;
        const { module: _m, ...rest } = spec;
        rawArgs = rest;
      } else {
        this.#fail("action/local_action must be a string or a dict with 'module'", entry, ctx.file);
      }
    } else if (candidates.length === 1) {
      actionWritten = candidates[0];
      rawArgs = entry[actionWritten];
    } else if (candidates.length === 0) {
      this.#fail("no module/action detected in task.", entry, ctx.file);
    } else {
      const unknown = candidates.filter((c) => !this.#isKnownAction(c));
      if (unknown.length > 0 && unknown.length < candidates.length) {
        this.#fail(
          `'${unknown[0]}' is not a valid attribute for a ${handler ? "Handler" : "Task"} ` +
            `(it is neither a keyword nor a module; the task's action is '${
              candidates.find((c) => !unknown.includes(c))
            }')`,
          entry,
          ctx.file,
        );
      }
      this.#fail(`conflicting action statements: ${candidates.join(", ")}`, entry, ctx.file);
    }
    let action = this.#inCollection(actionWritten, entry, parent, ctx) ?? shortActionName(actionWritten);
    // Ansible resolves a module named under action:/local_action: only when the task runs (an unknown
    // one fails each host then); a module named as the task's key must resolve when the file loads.
    const named = "action" in entry || "local_action" in entry;
    if (!named && !this.#isKnownAction(action)) {
      this.#fail(
        `couldn't resolve module/action '${actionWritten}'. This often indicates a misspelling, ` +
          `missing collection, or incorrect module path.`,
        entry,
        ctx.file,
      );
    }
    if (handler && (action === "include_role" || action === "import_role")) {
      this.#fail(`Using '${actionWritten}' as a handler is not supported.`, entry, ctx.file);
    }
    const args = this.#args(rawArgs, action, entry, ctx.file);
    if (isMap(entry.args)) Object.assign(args, entry.args);
    else if (typeof entry.args === "string" && isTemplateText(entry.args)) {
      // `args: "{{ a_dict }}"`: the task's arguments come from a variable when it runs
      args._variable_params = entry.args;
    } else if (typeof entry.args === "string") {
      this.#fail(
        "Complex args containing variables cannot use bare variables (without Jinja2 delimiters), " +
          "and must use the full variable style ('{{var_name}}')",
        entry,
        ctx.file,
      );
    } else if (entry.args !== undefined && entry.args !== null) {
      this.#fail(`'args' must be a dict, got ${typeName(entry.args)}`, entry, ctx.file);
    }
    if (HAS_CMD.has(action) && "cmd" in args) {
      // command/shell/script's old `cmd` option is their free-form text (Ansible's Task.preprocess_data)
      if ((args._raw_params ?? "") !== "") {
        this.#fail(
          "The 'cmd' argument cannot be used when other raw parameters are specified. " +
            "Please put everything in one or the other place.",
          entry,
          ctx.file,
        );
      }
      args._raw_params = args.cmd;
      delete args.cmd;
    }
    if (typeof args._raw_params === "string" && !FREE_FORM.has(action) && isTemplateText(args._raw_params)) {
      // `debug: "{{ a_dict }}"`: likewise (Ansible's _variable_params)
      args._variable_params = args._raw_params;
      delete args._raw_params;
    }
    if (args._raw_params !== undefined && !FREE_FORM.has(action)) {
      this.#fail(
        `this task '${actionWritten}' has extra params, which is only allowed in the following modules: ` +
          [...FREE_FORM].sort().join(", "),
        entry,
        ctx.file,
      );
    }
    const kw: Keywords = {};
    for (const [k, v] of Object.entries(entry)) {
      if (k === actionWritten || k === "action" || k === "local_action" || k === "args") continue;
      if (k.startsWith("with_")) kw.loop = v;
      else kw[k] = v;
    }
    if (kw.vars !== undefined) kw.vars = this.#varsMap(kw.vars, entry, ctx.file);
    if (localAction) kw.delegate_to = "localhost";
    this.#checkValues(kw, entry, ctx.file);
    const pos = this.#io.positionOf(entry);
    if (action === "include") {
      this.#io.deprecated?.(
        '"include" is deprecated, use include_tasks/import_tasks instead. See ' +
          "https://docs.ansible.com/ansible-core/2.14/user_guide/playbooks_reuse_includes.html for details",
        "2.16",
      );
      // as ansible-core 2.14 decides: an import, unless the file name is templated, it loops, or it
      // sits inside a dynamic include
      const file = args._raw_params;
      const dynamic = (typeof file === "string" && isTemplateText(file)) || kw.loop !== undefined ||
        insideDynamicInclude(parent);
      if (!dynamic) {
        // the include's vars are include params, its parameters vars of the block it becomes
        const blockKw = { ...kw, vars: { ...(kw.vars as Keywords ?? {}), ...oldIncludeVars(args) } };
        const includeParams = kw.vars as Keywords | undefined;
        return [this.#importTasks(args, blockKw, parent, ctx, entry, handler, includeParams)];
      }
      action = "include_tasks";
    }
    const valid = INCLUDE_ARGS.get(action);
    // the old `include:` (run here as include_tasks) takes any parameter
    if (valid && shortActionName(actionWritten) !== "include") {
      this.#checkIncludeArgs(valid, action, actionWritten, args, entry, ctx.file);
    }
    if (action === "import_tasks") return [this.#importTasks(args, kw, parent, ctx, entry, handler)];
    if (action === "import_role") return [this.#importRole(args, kw, parent, ctx, entry)];
    if (action === "import_playbook") {
      this.#fail("import_playbook is only allowed as a top-level playbook entry", entry, ctx.file);
    }
    const task: Task = {
      kind: "task",
      id: nextId(),
      action,
      actionWritten,
      args,
      kw,
      parent,
      role: ctx.role,
      pos,
      isHandler: handler,
      localAction,
      loopWith,
      ...(named ? { namedInActionKeyword: true } : {}),
    };
    if (action === "include_tasks" || action === "include_role") {
      // Remember where the file lives so the run-time load resolves relative paths like Ansible.
      task.args = { ...args, __dir: path.dirname(ctx.file) };
    }
    if (action === "include_role") {
      const written = isMap(entry.args) && ("name" in entry.args || "role" in entry.args)
        ? entry.args
        : rawArgs;
      const key = isMap(written) && "name" in written ? "name" : "role";
      const at = isMap(written) ? this.#io.positionOf(written, key) : undefined;
      if (at) task.namePos = at;
    }
    return [task];
  }

  /** An include's or import's arguments checked as Ansible's TaskInclude and IncludeRole load them. */
  #checkIncludeArgs(
    valid: Set<string>,
    action: string,
    written: string,
    args: Record<string, unknown>,
    entry: unknown,
    file: string,
  ): void {
    const isRole = action === "include_role" || action === "import_role";
    if (isRole && "public" in args && action !== "include_role") {
      this.#fail(`Invalid options for ${written}: public`, entry, file);
    }
    const bad = Object.keys(args).filter((k) => !valid.has(k));
    if (bad.length) this.#fail(`Invalid options for ${written}: ${bad.join(",")}`, entry, file);
    if (isRole) {
      // checked before they are templated
      for (const key of ["tasks_from", "vars_from", "defaults_from", "handlers_from"]) {
        if (key in args && typeof args[key] !== "string") {
          throw new PlaybookError(`Expected a string for ${key} but got ${yamlClass(args[key])} instead`);
        }
      }
    }
    if (args.apply && action !== "include_tasks" && action !== "include_role") {
      this.#fail(`Invalid options for ${written}: apply`, entry, file);
    }
  }

  /**
   * A short module name resolved as Ansible does through the task's collection search list (its
   * `collections:`, else its block's, role's or play's; a collection role's own collection first): the
   * fully qualified name of the first listed collection that has the module or an action plugin of that
   * name, or whose plugin routing sends that name to one (Ansible's action loader searches the list too: a
   * listed collection's `debug` action replaces the builtin), unless ansible.builtin or ansible.legacy
   * comes first in the list and knows it. Undefined leaves the name to the usual lookup.
   */
  #inCollection(
    written: string,
    entry: Record<string, unknown>,
    parent: Scope,
    ctx: FileCtx,
  ): string | undefined {
    const index = this.#io.collections;
    if (!index || written.includes(".") || LOADER_ACTIONS.has(written)) return undefined;
    for (const c of collectionSearch(entry.collections, parent, ctx.role)) {
      if (CORE_COLLECTIONS.has(c)) {
        if (this.#isKnownAction(written)) return undefined;
      } else if (
        index.module(c, written) || index.pluginFile(c, "action", written) ||
        this.#isRouted(`${c}.${written}`)
      ) {
        return `${c}.${written}`;
      }
    }
    return undefined;
  }

  #isKnownAction(name: string): boolean {
    const short = shortActionName(name);
    if (KNOWN_MODULES.has(short)) return true;
    // ansible-playbook refuses a collection's action that is not installed before it runs anything.
    if (name.includes(".")) {
      return short !== name || (this.#io.collections?.hasAction(name) ?? true) || this.#isRouted(name);
    }
    // an action plugin needs no module of its name (playbook- and role-adjacent action_plugins/)
    if (this.#pluginDirs.some((d) => this.#io.exists(path.join(d, "action_plugins", short + ".py")))) {
      return true;
    }
    if (this.#io.isActionPlugin?.(short)) return true;
    const found = moduleInLibraries([...this.libraryDirs, ...(this.#io.libraryPath ?? [])], short, this.#io);
    if (found?.alias && !this.#io.isSymlink?.(found.file)) this.#io.deprecated?.(aliasDeprecation(short));
    return found !== undefined || this.#isRouted(name);
  }

  /**
   * Whether plugin routing (an action's own, else its module's) sends `name` to an installed module or
   * action plugin; a tombstone stops the load as in Ansible.
   */
  #isRouted(name: string): boolean {
    const index = this.#io.collections;
    if (!index) return false;
    try {
      return (["action", "modules"] as const).some((kind) => {
        const target = index.routing.route(name, kind);
        return target !== undefined && (index.hasAction(target) ?? false);
      });
    } catch (err) {
      if (err instanceof PluginRemovedError) throw new ExecutionError(err.message); // not a parse error: exit 1
      throw err;
    }
  }

  #args(raw: unknown, action: string, owner: unknown, file: string): Record<string, unknown> {
    if (raw === null || raw === undefined) return {};
    if (typeof raw === "string") {
      try {
        return parseKv(raw, action);
      } catch (err) {
        this.#fail((err as Error).message, owner, file);
      }
    }
    if (isMap(raw)) return { ...raw };
    if (typeof raw === "number" || typeof raw === "boolean") return { _raw_params: String(raw) };
    this.#fail(`the arguments of '${action}' must be a dict or a string, got ${typeName(raw)}`, owner, file);
  }

  /** Catches the commonest wrong-typed keyword values at load time, as Ansible's field validation does. */
  #checkValues(kw: Keywords, owner: unknown, file: string): void {
    const bools = ["ignore_errors", "ignore_unreachable", "run_once", "any_errors_fatal", "delegate_facts"];
    for (const k of bools) {
      const v = kw[k];
      if (v === undefined || typeof v === "boolean") continue;
      if (typeof v === "string" && (v.includes("{{") || /^(yes|no|true|false|on|off|y|n|1|0)$/i.test(v))) {
        continue;
      }
      if (typeof v === "number" && (v === 0 || v === 1)) continue;
      this.#fail(
        `The field '${k}' has an invalid value, which includes an undefined variable or is not a boolean: ${
          JSON.stringify(v)
        }`,
        owner,
        file,
      );
    }
    if (
      kw.register !== undefined && (typeof kw.register !== "string" || !/^[A-Za-z_]\w*$/.test(kw.register))
    ) {
      this.#fail(`Invalid variable name in 'register' specified: '${String(kw.register)}'`, owner, file);
    }
    if (kw.loop_control !== undefined && !isMap(kw.loop_control)) {
      this.#fail(`loop_control must be a dict, got ${typeName(kw.loop_control)}`, owner, file);
    }
    if (isMap(kw.loop_control)) {
      const ok = new Set([
        "loop_var",
        "index_var",
        "label",
        "pause",
        "extended",
        "extended_allitems",
        "break_when",
      ]);
      for (const k of Object.keys(kw.loop_control)) {
        if (!ok.has(k)) this.#fail(`'${k}' is not a valid attribute for a LoopControl`, owner, file);
      }
    }
    for (const k of ["retries", "delay"]) {
      const v = kw[k];
      if (
        // a null retries is Ansible's "not given" (3 attempts); a null delay fails later in Ansible too
        v === undefined || typeof v === "number" || (v === null && k === "retries") ||
        (typeof v === "string" && (/^\d+$/.test(v) || v.includes("{{")))
      ) continue;
      this.#fail(`The field '${k}' should be an integer, got ${JSON.stringify(v)}`, owner, file);
    }
  }

  #findTaskFile(name: string, ctx: FileCtx, sub: string): string | undefined {
    const dirs: string[] = [];
    if (ctx.role) dirs.push(path.join(ctx.role.path, sub));
    dirs.push(path.dirname(ctx.file));
    if (ctx.role) dirs.push(ctx.role.path);
    dirs.push(ctx.play.baseDir);
    for (const d of dirs) {
      const p = path.resolve(d, name);
      if (this.#io.exists(p) && !this.#io.isDir(p)) return p;
    }
    return undefined;
  }

  #importTasks(
    args: Record<string, unknown>,
    kw: Keywords,
    parent: Scope,
    ctx: FileCtx,
    owner: unknown,
    handler: boolean,
    includeParams?: Keywords,
  ): Block {
    if (kw.loop !== undefined) {
      this.#fail(
        "You cannot use loops on 'import_tasks' statements. You should use 'include_tasks' instead.",
        owner,
        ctx.file,
      );
    }
    const fileArg = this.#io.templateStatic(args.file ?? args._raw_params, {
      ...ctx.vars,
      ...(kw.vars as Keywords ?? {}),
    });
    if (typeof fileArg !== "string") this.#fail("import_tasks needs a file name", owner, ctx.file);
    const found = this.#findTaskFile(fileArg, ctx, "tasks");
    if (!found) this.#fail(`Could not find or access '${fileArg}'`, owner, ctx.file);
    const block: Block = makeBlock({
      kw,
      parent,
      role: ctx.role,
      pos: this.#io.positionOf(owner),
      synthetic: true,
      ...(includeParams ? { includeParams } : {}),
    });
    ctx.play.importDepth++;
    if (ctx.play.importDepth > 50) this.#fail("import_tasks nested too deeply (a loop?)", owner, ctx.file);
    const data = this.#io.readYaml(found);
    block.block = this.#items(
      this.#list(data, "tasks file", data, found),
      block,
      { ...ctx, file: found },
      handler,
    );
    ctx.play.importDepth--;
    return block;
  }

  #importRole(
    args: Record<string, unknown>,
    kw: Keywords,
    parent: Scope,
    ctx: FileCtx,
    owner: unknown,
  ): Block {
    const name = this.#io.templateStatic(args.name ?? args.role, ctx.vars);
    if (typeof name !== "string") this.#fail("import_role needs 'name'", owner, ctx.file);
    const params: Record<string, unknown> = {};
    // Ansible's import_role keeps only a `*_from`'s last path part (before templating it): its files
    // are always the role's own
    const vars = { ...ctx.vars, ...(kw.vars as Keywords ?? {}) };
    const from = (v: unknown) =>
      v === undefined ? undefined : String(this.#io.templateStatic(path.basename(String(v)), vars));
    const role = this.loadRole(name, params, ctx, owner, {
      searchList: collectionSearch(kw.collections, parent, ctx.role),
      tasksFrom: from(args.tasks_from),
      varsFrom: from(args.vars_from),
      defaultsFrom: from(args.defaults_from),
      handlersFrom: from(args.handlers_from),
      public: true,
      entryVars: (kw.vars as Record<string, unknown>) ?? {},
    });
    // import_role allows duplicates whatever the role's meta says, unless its allow_duplicates (templated
    // as the playbook loads) says otherwise: then a second import with the same vars does not run
    if (
      args.allow_duplicates !== undefined &&
      !boolean(this.#io.templateStatic(args.allow_duplicates, ctx.vars), { strict: false })
    ) {
      role.role.dedup = {
        key: `import\0${dedupKey(name, params, { vars: kw.vars })}`,
        allowDuplicates: false,
      };
    }
    const { vars: _v, ...rest } = kw;
    const block: Block = makeBlock({
      kw: rest,
      parent,
      block: role.tasks,
      pos: this.#io.positionOf(owner),
      synthetic: true,
    });
    for (const t of role.tasks) t.parent = block;
    // its handlers (and its dependencies') inherit the import's keywords too (Ansible parents them to
    // the import task): a `delegate_to:` on the import delegates them
    for (const r of role.all) for (const hb of r.handlers) hb.parent = block;
    this.#listRoles(ctx.play, role.all);
    return block;
  }

  /** `at`: where the entry is in the file (a bare role name has no position of its own). */
  #roleEntry(entry: unknown, play: Play, ctx: FileCtx, at?: Position): Block | undefined {
    if (typeof entry !== "string" && !isMap(entry)) {
      this.#fail(`role entries must be a name or a dict, got ${typeName(entry)}`, entry, ctx.file);
    }
    // the old "role,version" form Ansible refuses (an error of the run, with no position)
    if (typeof entry === "string" && entry.includes(",")) {
      throw new ExecutionError(`Invalid old style role requirement: ${entry}`);
    }
    const split = splitRoleEntry(entry);
    const { kw, params } = split;
    const name = this.#io.templateStatic(split.name, ctx.vars);
    if (typeof name !== "string" || !name) {
      this.#fail("role definitions must contain a role name", entry, ctx.file);
    }
    const role = this.loadRole(name, params, ctx, typeof entry === "string" ? at ?? entry : entry, {
      searchList: collectionSearch(play.kw.collections, undefined, undefined),
      public: true,
      entryVars: this.#varsMap(kw.vars, entry, ctx.file),
    });
    role.role.dedup = { key: dedupKey(name, params, kw), allowDuplicates: role.allowDuplicates };
    const { vars: _v, ...rest } = kw;
    const block: Block = makeBlock({
      kw: rest,
      parent: play,
      block: role.tasks,
      pos: this.#io.positionOf(entry),
      synthetic: true,
    });
    for (const t of role.tasks) t.parent = block;
    this.#listRoles(ctx.play, role.all);
    return block;
  }

  /** Adds roles to the play's list (handlers, public vars) unless one with the same params is there. */
  #listRoles(play: PlayState, roles: RoleInstance[]): void {
    for (const r of roles) {
      const key = `${r.key}\0${keyJson(r.vars)}`;
      if (play.seenRoles.has(key)) continue;
      play.seenRoles.add(key);
      play.roles.push(r);
    }
  }

  /**
   * Ansible's role lookup: in collections first (a fully qualified name in its own, a short one in each
   * collection of the search list), then under each role search path by the name as written (a role
   * installed as `ns.name` is a directory of that name), then as a path.
   */
  #findRole(
    name: string,
    ctx: FileCtx,
    searchList: string[],
    roleBasedir: string | undefined,
  ): { dir: string; name: string; collection?: string } | { searched: string[] } {
    const inCollection = this.#io.collections?.role(name, searchList);
    if (inCollection) return inCollection;
    const dirs = [path.join(ctx.play.baseDir, "roles"), ...this.#io.rolesPath];
    if (roleBasedir) dirs.push(roleBasedir);
    dirs.push(ctx.play.baseDir);
    for (const d of dirs) {
      const p = path.resolve(d, name);
      if (this.#io.isDir(p)) return { dir: p, name };
    }
    const p = path.resolve(ctx.play.baseDir, name);
    if (this.#io.isDir(p)) return { dir: p, name: path.basename(name) };
    return { searched: [...searchList, ...dirs] };
  }

  /**
   * `dir/main.yml`, `dir/main.yaml`, `dir/main` or a `dir/main/` directory of files. A `base` (a
   * `tasks_from`…) that leads out of `dir` is refused as Ansible refuses it, naming `role`.
   */
  #roleFile(dir: string, base: string, role: string): string[] {
    // joined as Python joins (an absolute base replaces the folder), normalised only to be looked up:
    // Ansible names the file as joined
    const joined = path.isAbsolute(base) ? base : `${dir}/${base}`;
    for (const ext of YAML_EXT) {
      const p = path.resolve(joined + ext);
      if (this.#io.exists(p)) {
        if (!isSubpath(p, dir)) {
          throw new PlaybookError(
            `Failed loading '${joined + ext}' for role (${role}) as it is not inside the expected role ` +
              `path: '${dir}'`,
          );
        }
        if (!this.#io.isDir(p)) return [p];
        return this.#io.listDir(p).filter((f) => /\.(ya?ml|json)$/.test(f)).sort().map((f) =>
          path.join(p, f)
        );
      }
    }
    return [];
  }

  #roleVarsFile(
    dir: string,
    base: string,
    role: string,
    owner: unknown,
    file: string,
  ): Record<string, unknown> {
    let out: Record<string, unknown> = {};
    for (const f of this.#roleFile(dir, base, role)) {
      const data = this.#io.readYaml(f);
      if (data === null || data === undefined) continue;
      if (!isMap(data)) {
        this.#fail(`${f} must contain a dict of variables, got ${typeName(data)}`, owner, file);
      }
      out = keepPositions({ ...out, ...data }, out, data);
    }
    return out;
  }

  /** Loads a role and its dependencies; `tasks` has the dependencies' blocks first. */
  loadRole(
    name: string,
    params: Record<string, unknown>,
    ctx: FileCtx,
    owner: unknown,
    opts: {
      tasksFrom?: string;
      varsFrom?: string;
      defaultsFrom?: string;
      handlersFrom?: string;
      public: boolean;
      entryVars: Record<string, unknown>;
      dependencyOf?: RoleInstance;
      /** The collections a short role name is looked up in (the caller's collection search list). */
      searchList: string[];
    },
  ): { role: RoleInstance; tasks: Item[]; all: RoleInstance[]; allowDuplicates: boolean } {
    const found = this.#findRole(
      name,
      ctx,
      opts.searchList,
      opts.dependencyOf ? path.dirname(opts.dependencyOf.path) : undefined,
    );
    if ("searched" in found) {
      throw new RoleNotFoundError(
        `the role '${name}' was not found in ${found.searched.join(":")}`,
        this.#pos(owner, ctx.file),
      );
    }
    const dir = found.dir;
    this.#addPluginDir(dir);
    this.#io.onRole?.(dir);
    const roleName = found.collection ? found.name : path.basename(found.name);
    const role: RoleInstance = {
      name: roleName,
      ...(found.collection ? { collection: found.collection } : {}),
      path: dir,
      params,
      defaults: this.#roleVarsFile(
        path.join(dir, "defaults"),
        opts.defaultsFrom ?? "main",
        name,
        owner,
        ctx.file,
      ),
      vars: ((own) => keepPositions({ ...opts.entryVars, ...own }, opts.entryVars, own))(
        this.#roleVarsFile(path.join(dir, "vars"), opts.varsFrom ?? "main", name, owner, ctx.file),
      ),
      public: opts.public,
      dependencyOf: opts.dependencyOf,
      handlers: [],
      key: `${found.collection ? `${found.collection}.` : ""}${roleName}\0${keyJson(params)}`,
    };
    const rctx: FileCtx = {
      file: path.join(dir, "tasks", "main.yml"),
      role,
      vars: { ...ctx.vars, ...role.defaults, ...role.vars, ...params },
      play: ctx.play,
    };
    const all: RoleInstance[] = [];
    const tasks: Item[] = [];
    let allowDuplicates = false;
    const metas = this.#roleFile(path.join(dir, "meta"), "main", name).map((mf) => ({
      mf,
      meta: this.#io.readYaml(mf),
    }));
    role.collections = roleCollections(
      found.collection,
      metas.flatMap(({ meta }) => isMap(meta) ? asList(meta.collections).map(String) : []),
    );
    // Ansible's dependency lookup: the role's own collection first, and the roles path after them.
    const depSearch = [...new Set([...(found.collection ? [found.collection] : []), ...role.collections])];
    if (!depSearch.includes("ansible.legacy")) depSearch.push("ansible.legacy");
    for (const { mf, meta } of metas) {
      if (!isMap(meta)) continue;
      allowDuplicates = meta.allow_duplicates === true;
      const deps = this.#list(meta.dependencies, "dependencies", meta, mf);
      for (const [i, dep] of deps.entries()) {
        const { name: depName, kw: depKw, params: depParams } = splitRoleEntry(dep);
        if (typeof depName !== "string") this.#fail("role dependencies must name a role", dep, mf);
        const at = typeof dep === "string" ? this.#io.positionOf(deps, i) ?? dep : dep;
        const sub = this.loadRole(depName, depParams, { ...rctx, file: mf }, at, {
          searchList: depSearch,
          public: opts.public,
          entryVars: this.#varsMap(depKw.vars, dep, mf),
          dependencyOf: role,
        });
        sub.role.dedup = { key: dedupKey(depName, depParams, depKw), allowDuplicates: sub.allowDuplicates };
        const { vars: _v, ...rest } = depKw;
        const b: Block = makeBlock({
          kw: rest,
          block: sub.tasks,
          synthetic: true,
        });
        for (const t of sub.tasks) t.parent = b;
        tasks.push(b);
        all.push(...sub.all);
      }
    }
    const taskFiles = this.#roleFile(path.join(dir, "tasks"), opts.tasksFrom ?? "main", name);
    if (opts.tasksFrom && taskFiles.length === 0) {
      this.#fail(`Could not find specified file in role: tasks/${opts.tasksFrom}`, owner, ctx.file);
    }
    const roleBlock: Block = makeBlock({
      role,
      synthetic: true,
      endsRole: role,
    });
    for (const tf of taskFiles) {
      const data = this.#io.readYaml(tf);
      roleBlock.block.push(
        ...this.#items(this.#list(data, "tasks file", data, tf), roleBlock, { ...rctx, file: tf }, false),
      );
    }
    tasks.push(roleBlock);
    for (const hf of this.#roleFile(path.join(dir, "handlers"), opts.handlersFrom ?? "main", name)) {
      const data = this.#io.readYaml(hf);
      const hb: Block = makeBlock({
        role,
        synthetic: true,
      });
      hb.block = this.#items(this.#list(data, "handlers file", data, hf), hb, { ...rctx, file: hf }, true);
      role.handlers.push(hb);
    }
    all.push(role);
    return { role, tasks, all, allowDuplicates };
  }

  /** Loads a tasks file at run time for include_tasks (and include_role's tasks). */
  loadTasksFile(
    file: string,
    parent: Scope,
    role: RoleInstance | undefined,
    play: Play,
    handler = false,
  ): Item[] {
    const state: PlayState = {
      baseDir: play.baseDir,
      roles: play.roles,
      seenRoles: this.#seenRolesOf(play),
      importDepth: 0,
    };
    const data = this.#io.readYaml(file);
    return this.#items(this.#list(data, "tasks file", data, file), parent, {
      file,
      role,
      vars: { ...this.#io.extraVars },
      play: state,
    }, handler);
  }

  #seenRolesOf(play: Play): Set<string> {
    let seen = this.#seenRoles.get(play);
    if (!seen) this.#seenRoles.set(play, seen = new Set());
    return seen;
  }

  /** Finds an include_tasks file like Ansible: beside the including file, the role's tasks/, the playbook. */
  resolveInclude(
    name: string,
    fromDir: string,
    role: RoleInstance | undefined,
    play: Play,
  ): string | undefined {
    const dirs = [fromDir];
    if (role) dirs.push(path.join(role.path, "tasks"), role.path);
    dirs.push(play.baseDir);
    for (const d of dirs) {
      const p = path.resolve(d, name);
      if (this.#io.exists(p) && !this.#io.isDir(p)) return p;
    }
    return undefined;
  }

  /** Loads a role for include_role at run time: not public unless asked, roles added to the play. */
  includeRole(
    name: string,
    play: Play,
    fromRole: RoleInstance | undefined,
    owner: unknown,
    file: string,
    opts: {
      tasksFrom?: string;
      varsFrom?: string;
      defaultsFrom?: string;
      handlersFrom?: string;
      public: boolean;
      /** The include_role task: its collection search list finds a short role name. */
      task?: Scope;
    },
  ): { role: RoleInstance; tasks: Item[]; all: RoleInstance[] } {
    const state: PlayState = {
      baseDir: play.baseDir,
      roles: play.roles,
      seenRoles: this.#seenRolesOf(play),
      importDepth: 0,
    };
    const { task, ...rest } = opts;
    const r = this.loadRole(
      name,
      {},
      { file, role: fromRole, vars: { ...this.#io.extraVars }, play: state },
      owner,
      {
        ...rest,
        searchList: collectionSearch(task?.kw.collections, task?.parent, fromRole),
        entryVars: {},
      },
    );
    return r;
  }
}

/** Actions the loader expands itself: never looked up in collections. */
const LOADER_ACTIONS: ReadonlySet<string> = new Set([
  "import_tasks",
  "import_role",
  "include_tasks",
  "include_role",
  "import_playbook",
  "include",
]);

/**
 * The collection search list a task, role entry or include sees, as Ansible inherits the `collections`
 * keyword: its own, else the nearest enclosing block's, else its role's (roles do not inherit the play's),
 * else the play's; a non-empty list always ends in ansible.legacy (or has ansible.builtin).
 */
function collectionSearch(own: unknown, parent: Scope | undefined, role: RoleInstance | undefined): string[] {
  if (own !== undefined && own !== null) return withCoreFallback(asList(own).map(String));
  for (let s = parent; s; s = s.parent) {
    if (s.kw.collections !== undefined && s.kw.collections !== null) {
      return withCoreFallback(asList(s.kw.collections).map(String));
    }
    if (s.role) return s.role.collections ?? [];
  }
  return role?.collections ?? [];
}

/**
 * A role's own collection search list: its collection first (a collection role), then those its meta
 * lists; a non-empty list gets ansible.builtin (collection roles) or ansible.legacy appended.
 */
function roleCollections(collection: string | undefined, fromMeta: string[]): string[] {
  const list = collection ? [collection] : [];
  for (const c of fromMeta) if (!list.includes(c)) list.push(c);
  return withCoreFallback(list, collection ? "ansible.builtin" : "ansible.legacy");
}

/** A role entry (`roles:` item or meta dependency): its name, its keywords, and the rest as role params. */
function splitRoleEntry(entry: unknown): { name: unknown; kw: Keywords; params: Record<string, unknown> } {
  const kw: Keywords = {};
  const params: Record<string, unknown> = {};
  if (!isMap(entry)) return { name: entry, kw, params };
  for (const [k, v] of Object.entries(entry)) {
    if (k === "role" || (k === "name" && entry.role === undefined)) continue;
    if (ROLE_ENTRY_KEYWORDS.has(k)) kw[k] = v;
    else params[k] = v;
  }
  return { name: entry.role ?? entry.name, kw, params };
}

/**
 * A role placement's identity as Ansible caches its Role objects in a play: the name, the params, and the
 * entry's when, tags and vars. Placements with one identity run once per host (Ansible's has_run).
 */
function dedupKey(name: string, params: Record<string, unknown>, kw: Record<string, unknown>): string {
  return [name, params, kw.when ?? null, kw.tags ?? null, kw.vars ?? {}].map(keyJson).join("\0");
}

function flushTask(play: Play): Task {
  return {
    kind: "task",
    id: nextId(),
    action: "meta",
    actionWritten: "meta",
    args: { _raw_params: "flush_handlers" },
    kw: {},
    parent: play,
    isHandler: false,
    localAction: false,
    implicit: true,
  };
}

function hostsName(hosts: unknown): string {
  if (Array.isArray(hosts)) return hosts.join(",");
  return String(hosts);
}

export function asList(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

function isPosition(v: unknown): v is Position {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 3 &&
    typeof (v as Position).file === "string" && typeof (v as Position).line === "number" &&
    typeof (v as Position).column === "number";
}
