// Ansible's Python action plugins (playbook- and role-adjacent `action_plugins/`, `action_plugins =`,
// collections' plugins/action/): run() runs in the plugin host, and what it asks of the target —
// _execute_module, _low_level_execute_command, _transfer_data/_transfer_file, _make_tmp_path,
// _remote_expand_user — comes back as calls the controller carries out with mito's module path for the
// task's host (the way Mitogen's ActionModuleMixin redirects them to its contexts).
import * as fs from "node:fs";
import * as path from "node:path";
import type { CollectionIndex } from "../collections.ts";
import { ActionRaised, type ModuleRequest, type ModuleResult } from "../runner.ts";
import { ExecutionError } from "../errors.ts";
import { KNOWN_MODULES } from "../_known_modules.ts";

/** Actions Ansible's strategy carries out itself: no action plugin can stand for them. */
const STRATEGY_ACTIONS = new Set([
  "meta",
  "include",
  "include_tasks",
  "include_role",
  "import_tasks",
  "import_role",
  "import_playbook",
]);
import type { PluginHost } from "./host.ts";
import { type AnswerContext, answerLookup } from "./resolver.ts";
import { playContext } from "./_play_context.ts";

/** Which Python file an action name means. */
export interface ActionPluginRef {
  /** The module name Python imports it as: the collection's module, or the file's base name. */
  loadName: string;
  file: string;
  collection?: string;
}

/** One task on one host, as the executor hands it to an action plugin. */
export interface ActionCall {
  plugin: ActionPluginRef;
  /** The task's module request: templated arguments, become, check/diff, connection, environment. */
  request: ModuleRequest;
  /** Ansible's task attributes the plugin reads (`self._task`). */
  task: { action: string; name: string; noLog: boolean };
  /** The task's variables and templating (`task_vars`, `self._templar`). */
  lookup: AnswerContext;
  /** The play's directory (the plugin's `_loader` base directory). */
  basedir: string;
  /** mito's module path for that host. */
  runModule(req: ModuleRequest): Promise<ModuleResult>;
  /** The play's force_handlers, which the plugin's play context carries. */
  forceHandlers?: boolean;
}

/** A remote step the plugin asked for failed: raised in the plugin as Ansible's helpers raise. */
export class ActionStepError extends ExecutionError {
  override name = "ActionStepError";
}

/**
 * run() raised: the task fails with Ansible's message for it, with the traceback and empty stdout for a
 * non-Ansible error.
 */
export class ActionPluginRaised extends ActionRaised {
  override name = "ActionPluginRaised";
}

export interface ActionPluginsOptions {
  /** Makes a plugin host (started on its first call): one runs one action plugin at a time. */
  newHost(): PluginHost;
  /** How many action plugins may run at once, each in a host of its own (the run's forks). */
  maxHosts: number;
  collections: CollectionIndex;
  /** The action plugin folders, in Ansible's order: the same array until a role brings its own. */
  folders(): string[];
}

export class ActionPlugins {
  readonly #o: ActionPluginsOptions;
  /**
   * The hosts: a host's Python runs one plugin at a time (a second call would run nested inside the
   * first's wait for its target), so tasks of several hosts at once get a host each, up to maxHosts.
   */
  readonly #hosts: PluginHost[] = [];
  readonly #idle: PluginHost[] = [];
  readonly #waiting: ((host: PluginHost) => void)[] = [];
  readonly #found = new Map<string, ActionPluginRef | undefined>();
  #foundIn: string[] | undefined;

  constructor(o: ActionPluginsOptions) {
    this.#o = o;
  }

  /**
   * The action plugin a task's action names, if any, as Ansible's action loader finds it: a short (or
   * ansible.legacy.) name is `<name>.py` in the first action plugin folder that has it, even where mito
   * has a builtin of that name (a folder's `debug.py` replaces debug, as in Ansible); else mito's builtin
   * modules and actions; else, and for a fully qualified name, the collection's `plugins/action/<leaf>.py`
   * after its `plugin_routing.action` (redirects, deprecations, tombstones) or, failing that, under the
   * name the module is routed to (`patch` → ansible.posix.patch), as Ansible looks for an action beside
   * the module it resolved. ansible.builtin's own, and collections' modules mito implements itself
   * (ansible.posix.synchronize), are mito's. The names Ansible's strategy runs itself
   * (includes, meta) are never plugins.
   */
  find(action: string, written: string): ActionPluginRef | undefined {
    // asked for every task on every host: answers are kept until a role brings new folders
    const folders = this.#o.folders();
    if (folders !== this.#foundIn) {
      this.#found.clear();
      this.#foundIn = folders;
    }
    const key = `${action}\0${written}`;
    if (!this.#found.has(key)) this.#found.set(key, this.#lookUp(action, written));
    return this.#found.get(key);
  }

  #lookUp(action: string, written: string): ActionPluginRef | undefined {
    const name = written.includes(".") ? written : action;
    const legacy = name.startsWith("ansible.legacy.") ? name.slice("ansible.legacy.".length) : name;
    if (!legacy.includes(".")) {
      if (STRATEGY_ACTIONS.has(legacy)) return undefined;
      const own = this.#inFolders(legacy);
      if (own || KNOWN_MODULES.has(legacy)) return own;
      return this.#collection(this.#routed(legacy, "action") ?? this.#routed(legacy, "modules"));
    }
    // a collection's module mito implements itself (ansible.posix.synchronize, …): mito's own runs
    if (KNOWN_MODULES.has(action)) return undefined;
    // the module's routing names the action plugin that runs it (`action_plugin`): that one, before an
    // action plugin of the module's own name (Ansible's task executor asks the module first)
    const handler = this.#moduleHandler(name);
    if (handler) return this.#collection(this.#routed(handler, "action") ?? handler);
    return this.#collection(this.#routed(name, "action") ?? this.#routed(name, "modules") ?? name);
  }

  /**
   * The action plugin an installed collection module's routing names for it (`action_plugin` on the
   * entry its redirects end at), if any.
   */
  #moduleHandler(module: string): string | undefined {
    const routing = this.#o.collections.routing;
    let final: string;
    try {
      final = routing.route(module, "modules", { quiet: true }) ?? module;
    } catch {
      return undefined; // a tombstone: the module path reports it
    }
    const m = /^(\w+\.\w+)\.(\w+)$/.exec(final);
    if (!m || !this.#o.collections.module(m[1], m[2])) return undefined;
    const handler = routing.entry(final, "modules")?.action_plugin;
    return typeof handler === "string" ? handler : undefined;
  }

  /**
   * Where routing sends a name: an action's own route (`plugin_routing.action`, its deprecation said, its
   * tombstone thrown), else where the module of that name is routed (Ansible looks for the action plugin
   * under the module's resolved name; the module path reports the module's own deprecations and
   * tombstones).
   */
  #routed(name: string, kind: "action" | "modules"): string | undefined {
    if (kind === "action") return this.#o.collections.routing.route(name, "action");
    try {
      return this.#o.collections.routing.route(name, "modules", { quiet: true });
    } catch {
      return undefined; // a tombstone: the module path reports it
    }
  }

  #collection(name: string | undefined): ActionPluginRef | undefined {
    const fqcn = name === undefined ? null : /^(\w+\.\w+)\.(\w+)$/.exec(name);
    if (fqcn) {
      const [, collection, leaf] = fqcn;
      if (collection === "ansible.builtin" || collection === "ansible.legacy") {
        return collection === "ansible.legacy" ? this.#inFolders(leaf) : undefined;
      }
      const file = this.#o.collections.pluginFile(collection, "action", leaf);
      return file
        ? { loadName: `ansible_collections.${collection}.plugins.action.${leaf}`, file, collection }
        : undefined;
    }
    return undefined;
  }

  #inFolders(name: string): ActionPluginRef | undefined {
    for (const d of this.#o.folders()) {
      const file = path.join(d, `${name}.py`);
      if (fs.statSync(file, { throwIfNoEntry: false })?.isFile()) return { loadName: name, file };
    }
    return undefined;
  }

  /** Runs the plugin's run() for one task on one host; its failure is Ansible's task result for it. */
  async run(call: ActionCall): Promise<ModuleResult> {
    const host = await this.#acquire();
    try {
      return await this.#run(host, call);
    } finally {
      const next = this.#waiting.shift();
      if (next) next(host);
      else this.#idle.push(host);
    }
  }

  /** Whether a host has been started (a run without action plugins starts none). */
  get started(): boolean {
    return this.#hosts.some((h) => h.started);
  }

  /** Stops the hosts (by pid); idempotent. */
  close(): void {
    for (const h of this.#hosts) h.close();
  }

  #acquire(): Promise<PluginHost> {
    const idle = this.#idle.pop();
    if (idle) return Promise.resolve(idle);
    if (this.#hosts.length < Math.max(1, this.#o.maxHosts)) {
      const host = this.#o.newHost();
      this.#hosts.push(host);
      return Promise.resolve(host);
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  async #run(host: PluginHost, call: ActionCall): Promise<ModuleResult> {
    const r = call.request;
    const task = {
      action: call.task.action,
      name: call.task.name,
      args: r.args,
      async_val: r.asyncSeconds,
      poll: r.poll,
      delegate_to: r.delegateTo ?? null,
      // Ansible's is the list of each scope's environment; mito holds them merged (innermost wins)
      environment: Object.keys(r.environment).length ? [r.environment] : [],
      check_mode: r.checkMode,
      diff: r.diff,
      no_log: call.task.noLog,
      become: r.become.become,
      become_user: r.become.user,
      become_method: r.become.method,
      search_path: r.searchPath,
    };
    const pc = playContext(r, call.task.noLog, { forceHandlers: call.forceHandlers ?? false });
    const args = [call.plugin.loadName, call.plugin.file, call.plugin.collection ?? null, task, pc];
    const result = await host.callAsync(
      "action_run",
      [...args, call.basedir],
      (method, a) => this.#answer(call, method, a),
    );
    const raised = (result as { $raised?: { msg: string } & Record<string, unknown> }).$raised;
    if (raised) {
      const { msg, ...fields } = raised;
      throw new ActionPluginRaised(msg, fields);
    }
    return result as ModuleResult;
  }

  /** What the running plugin asks: the target's side through mito's module path, else variables/templates. */
  async #answer(call: ActionCall, method: string, a: unknown[]): Promise<unknown> {
    switch (method) {
      case "execute_module": {
        const [asked, args, wrapAsync] = a as [string, Record<string, unknown>, boolean];
        // the task's own module, as written: resolved already with the task's collections
        const name = asked === call.task.action ? call.request.module : asked;
        return await call.runModule(moduleCall(call.request, name, args, wrapAsync));
      }
      case "low_level_execute_command": {
        const [cmd, sudoable, inData, executable, chdir] = a as [
          string,
          boolean,
          string | null,
          string | null,
          string | null,
        ];
        const req = moduleCall(call.request, "command", {
          _raw_params: cmd,
          _uses_shell: true,
          strip_empty_ends: false,
          ...(executable ? { executable } : {}),
          ...(chdir ? { chdir } : {}),
          ...(inData !== null && inData !== undefined ? { stdin: inData, stdin_add_newline: false } : {}),
        });
        if (!sudoable) req.become = { ...req.become, become: false };
        const out = await call.runModule(req);
        return { rc: out.rc ?? (out.failed ? 1 : 0), stdout: out.stdout ?? "", stderr: out.stderr ?? "" };
      }
      case "put_file": {
        // as the login user, the bytes as they are (Ansible's connection puts files so; _fixup_perms2 lets
        // an unprivileged become user read them)
        const [dest, data, src] = a as [string, Uint8Array | null, string | null];
        const req = moduleCall(
          call.request,
          "_mito_put_file",
          data !== null ? { dest, data } : { dest, src },
        );
        req.become = { ...req.become, become: false };
        const out = await call.runModule(req);
        if (out.failed) throw new ActionStepError(`failed to transfer file to ${dest}: ${out.msg ?? ""}`);
        return null;
      }
      case "fetch_file": {
        const [src, dest] = a as [string, string];
        const req = moduleCall(call.request, "_mito_fetch_file", { src, dest });
        req.become = { ...req.become, become: false };
        const out = await call.runModule(req);
        if (out.failed) throw new ActionStepError(`failed to transfer file from ${src}: ${out.msg ?? ""}`);
        return null;
      }
      case "exec_command": {
        const [cmd, inData] = a as [string, Uint8Array | null];
        const req = moduleCall(call.request, "_mito_exec_command", { cmd, in_data: inData });
        req.become = { ...req.become, become: false };
        const out = await call.runModule(req);
        if (out.failed) throw new ActionStepError(`failed to run a command: ${out.msg ?? ""}`);
        return [out.rc, out.out, out.err];
      }
      case "make_tmp_path": {
        // the login user's, as Ansible makes it (a command that is not sudoable)
        const req = moduleCall(call.request, "command", {
          _raw_params:
            "umask 77 && mkdir -p ~/.ansible/tmp && mktemp -d ~/.ansible/tmp/ansible-tmp-XXXXXXXXXX",
          _uses_shell: true,
        });
        req.become = { ...req.become, become: false };
        const out = await call.runModule(req);
        if (out.rc !== 0) {
          throw new ActionStepError(`failed to create a temporary directory: ${out.stderr ?? ""}`);
        }
        return String(out.stdout).trim();
      }
      case "expand_user": {
        const [p, sudoable] = a as [string, boolean];
        const slash = p.indexOf("/");
        const head = slash < 0 ? p : p.slice(0, slash);
        // only `~` or `~user` reaches the shell unquoted
        if (!/^~[\w.-]*$/.test(head)) return p;
        const req = moduleCall(call.request, "command", { _raw_params: `echo ${head}`, _uses_shell: true });
        if (!sudoable) req.become = { ...req.become, become: false };
        const out = await call.runModule(req);
        return String(out.stdout ?? head).trim() + (slash < 0 ? "" : p.slice(slash));
      }
    }
    return answerLookup(call.lookup, method, a);
  }
}

/** The task's request for another module, as ActionBase._execute_module builds it from the task. */
function moduleCall(
  r: ModuleRequest,
  name: string,
  args: Record<string, unknown>,
  wrapAsync = false,
): ModuleRequest {
  const short = name.replace(/^ansible\.(builtin|legacy)\./, "");
  const { moduleWritten: _w, ...rest } = r;
  return {
    ...rest,
    module: short,
    ...(short !== name ? { moduleWritten: name } : {}),
    args,
    asyncSeconds: wrapAsync ? r.asyncSeconds : 0,
  };
}
