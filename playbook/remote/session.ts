// One task's view of its target: the context chain reaching it and the calls a task makes there. Every
// helper costs one round trip at most; file bytes ride inside the call when they are small.
import process from "node:process";
import { EMBEDDED } from "../../bootstrap/_embedded.ts";
import { randomInt } from "node:crypto";
import type { Context } from "../../transports/broker.ts";
import type { ModuleRequest, ModuleResult } from "../runner.ts";
import { ModuleNotFoundError, type ModuleResolver, type ModuleSource, shortName } from "./modules.ts";
import { withoutInternalKeys, withOutputLines } from "./_results.ts";
import { callWithSource } from "./module_sources.ts";
import { checkModuleSupport, type SupportLookup } from "./module_support.ts";

/** Ansible module sources whose support code was found (checkModuleSupport), once each. */
const SUPPORT_FOUND = new WeakSet<object>();

const DECODER = new TextDecoder();

/** The target's module runtime (bootstrap/runner.py), pushed ahead of a context's first module call. */
export const RUNNER_MODULE = "mito.runner";

/** What the runner imports before running a built-in module: the helpers every built-in module uses. */
export const BUILTIN_HELPERS = "mito.modules._common";

/** What the runner imports before running an Ansible module: ansible-core's start-up for every module. */
export const ANSIBLE_BASIC = "ansible.module_utils.basic";

let runnerImports: string[] | undefined;

/**
 * The standard library the runner imports at its top (its `import name` lines), read from its embedded
 * source so the list cannot drift from it: a target context imports them while its first call is on the
 * way (ConnectSpec.warm), instead of after that call arrived.
 */
export function runnerStdlib(): string[] {
  const source = EMBEDDED["bootstrap/runner.py"] ?? "";
  return runnerImports ??= [...source.matchAll(/^import (\w+)$/gm)].map((m) => m[1]);
}

/**
 * What a task's target context imports while its first call is on the way (ConnectSpec.warm): the
 * runner's standard library and, in a run whose modules are ansible-core's, `module_utils.basic` (the
 * target warms it only from its own ansible-core of the controller's release, never asking for it).
 */
export function targetWarm(ansibleModules: boolean): string[] {
  return ansibleModules ? [...runnerStdlib(), ANSIBLE_BASIC] : runnerStdlib();
}

export class TargetSession {
  readonly #ctx: Context;
  readonly #req: ModuleRequest;
  readonly #resolver: ModuleResolver;
  readonly #tempDirs: WeakMap<Context, Promise<string>>;
  readonly #overrides?: () => string[];
  readonly #support?: SupportLookup;
  readonly libraries: string[];
  /** Whether a module ran in this task (Ansible discovers the interpreter, and reports it, only then). */
  ranModule = false;

  constructor(opts: {
    ctx: Context;
    req: ModuleRequest;
    resolver: ModuleResolver;
    tempDirs: WeakMap<Context, Promise<string>>;
    libraries: string[];
    /** The `ansible.module_utils.<name>`s module_utils folders override (the runner pins them). */
    overrides?: () => string[];
    /** What the controller serves: an Ansible module's support code is checked against it. */
    support?: SupportLookup;
  }) {
    this.#overrides = opts.overrides;
    this.#support = opts.support;
    this.#ctx = opts.ctx;
    this.#req = opts.req;
    this.#resolver = opts.resolver;
    this.#tempDirs = opts.tempDirs;
    this.libraries = opts.libraries;
  }

  get context(): Context {
    return this.#ctx;
  }

  get request(): ModuleRequest {
    return this.#req;
  }

  /** The interpreter's private temp dir on the target (asked once per context). */
  tempDir(): Promise<string> {
    let p = this.#tempDirs.get(this.#ctx);
    if (!p) {
      p = this.#ctx.call<string>("mito.core", "get_temp_dir");
      this.#tempDirs.set(this.#ctx, p);
    }
    return p;
  }

  /** Whether `module` is run by Python: mito's own, or an Ansible module whose #! line names python. */
  #runsPython(module: string): boolean {
    let src: ReturnType<ModuleResolver["resolve"]>;
    try {
      src = this.#resolver.resolve(module, this.libraries);
    } catch {
      return true; // the run that follows fails and says why
    }
    if (src.kind !== "ansible") return true;
    const first = new TextDecoder().decode(src.source.subarray(0, 256)).split("\n")[0];
    return first.startsWith("#!") && first.includes("python");
  }

  /** Whether `module` resolves for this task (its role's and playbook's library/ first). */
  hasModule(module: string): boolean {
    try {
      this.#resolver.resolve(module, this.libraries);
      return true;
    } catch (err) {
      if (err instanceof ModuleNotFoundError) return false;
      throw err;
    }
  }

  /**
   * Runs `module` (resolved like the task's own module) with this task's flags; the result gets its output
   * lines here, as Ansible's action layer adds them on its controller. `sync` runs it to the end even in
   * an `async` task (an action's helper call, such as package's fact lookup); `askedAs` is the name the
   * module is told it runs as, when not `module` (the task's own module as written). `chain` is the task's
   * pipelining (ModuleRequest.chain), for the task's own module only.
   */
  async runModule(
    module: string,
    args: Record<string, unknown>,
    opts: { sync?: boolean; askedAs?: string; chain?: ModuleRequest["chain"] } = {},
  ): Promise<ModuleResult> {
    // Ansible discovers (and reports) the interpreter for a Python module only, not a shell or binary one
    if (!this.ranModule && this.#runsPython(module)) this.ranModule = true;
    return withOutputLines(withoutInternalKeys(await this.#run(module, args, opts)));
  }

  #run(
    module: string,
    args: Record<string, unknown>,
    opts: { sync?: boolean; askedAs?: string; chain?: ModuleRequest["chain"] },
  ): Promise<ModuleResult> {
    const req = this.#req;
    const chain = {
      ...(opts.chain?.mark !== undefined ? { mark: opts.chain.mark } : {}),
      ...(opts.chain?.after !== undefined ? { after: opts.chain.after } : {}),
    };
    // Only what differs from the runner's defaults travels (false, none, 0): sent with every task.
    const common = {
      ...(req.checkMode ? { check_mode: true } : {}),
      ...(req.diff ? { diff: true } : {}),
      ...(req.noLog ? { no_log: true } : {}),
      ...(Object.keys(req.environment).length ? { environment: req.environment } : {}),
      ...(req.verbosity ? { verbosity: req.verbosity } : {}),
      // mitogen_task_isolation: fork runs the module in a fork of the interpreter (a clean copy each time).
      ...(isolationOf(req.connectionVars) === "fork" ? { isolation: "fork" } : {}),
    };
    const src = this.#resolver.resolve(module, this.libraries);
    if (src.kind === "ansible" && src.extraArgs) args = { ...args, ...src.extraArgs };
    // Ansible refuses, before running anything, a module whose module_utils it cannot find
    if (src.kind === "ansible" && this.#support && !SUPPORT_FOUND.has(src)) {
      checkModuleSupport(
        DECODER.decode(src.source),
        `${src.package ?? "ansible.modules"}.${src.name}`,
        this.#support,
      );
      // what is served only grows during a run: a module (the resolver's cached source) passes once
      SUPPORT_FOUND.add(src);
    }
    // Ansible's play context hands every module its shell (the runner's default is /bin/sh)
    const shell = shellExecutable(req.connectionVars);
    if (shell !== "/bin/sh") args = { ...args, _ansible_shell_executable: shell };
    // The runner and the module travel ahead of the first call that needs them (no import round trips):
    // with a built-in module its helpers (the runtime imports them only for one), with an Ansible module
    // ansible-core's module_utils.basic (a target with that release of its own imports its own copy).
    this.#ctx.preload(
      src.kind === "builtin"
        ? [RUNNER_MODULE, BUILTIN_HELPERS, `mito.modules.${src.name}`]
        : [RUNNER_MODULE, ANSIBLE_BASIC],
    );
    if (req.asyncSeconds > 0 && !opts.sync) {
      const jid = jobId();
      const where = { async_dir: asyncDirOf(req.connectionVars) };
      const [kind, target] = src.kind === "builtin" ? ["builtin", src.name] : ["ansible", src.source];
      return this.#ctx.call("mito.runner", "start_async", [jid, req.asyncSeconds, kind, target, args], {
        ...common,
        ...where,
        ...askedName(opts.askedAs ?? module, src),
        ...(src.kind === "ansible"
          ? { name: src.name, interpreters: this.interpreters(), ...this.#pinned() }
          : {}),
      });
    }
    // the task's timeout: the runner kills the module (and what it started) when it passes
    const limit = req.timeout > 0 ? { time_limit: req.timeout } : {};
    if (src.kind === "builtin") {
      return this.#ctx.call("mito.runner", "run_module", [src.name, args], {
        ...common,
        ...askedName(opts.askedAs ?? module, src),
        ...chain,
        ...limit,
      });
    }
    const interpreters = this.interpreters();
    return callWithSource(this.#ctx, src.source, args, {
      ...common,
      name: src.name,
      ...askedName(opts.askedAs ?? module, src),
      ...(Object.keys(interpreters).length ? { interpreters } : {}),
      ...(src.package ? { package: src.package } : {}),
      ...this.#pinned(),
      ...chain,
      ...limit,
    });
  }

  /**
   * A context with ansible-core of its own imports module_utils from it (docs/protocol.md "Importer"), except
   * the names a module_utils folder overrides: those the runner pins to the controller's copy, as Ansible
   * ships them with the module. Nothing travels where the context has no copy to shadow them.
   */
  #pinned(): { pinned?: string[] } {
    if (!this.#overrides || !this.#ctx.info?.local?.includes("ansible")) return {};
    const names = this.#overrides();
    return names.length ? { pinned: names } : {};
  }

  /**
   * ansible_<lang>_interpreter values, for the shebang rewriting of modules run as programs; a python
   * one without ansible_python_interpreter gets the interpreter found for the host (the context's own),
   * as Ansible gives it the discovered one.
   */
  interpreters(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.#req.connectionVars)) {
      const m = /^ansible_(\w+)_interpreter$/.exec(k);
      if (m && typeof v === "string" && v !== "auto" && v !== "auto_silent" && v !== "auto_legacy") {
        out[m[1]] = v;
      }
    }
    const found = this.#ctx.info?.executable;
    if (out.python === undefined && found) out.python = found;
    return out;
  }
}

/**
 * The name a module run is given (`_ansible_module_name`, which its messages show: "Unsupported parameters
 * for (ansible.legacy.command) module"): the name it was asked for, as the task wrote it or as an action
 * asks for it; Ansible's shell action runs its command module as ansible.legacy.command.
 */
function askedName(module: string, src: ModuleSource): { module_name?: string } {
  const shell = src.kind === "ansible" ? src.extraArgs?._uses_shell === true : src.name === "shell";
  const asked = shell ? "ansible.legacy.command" : module;
  // Sent only when it differs from the module's own name: most calls name it as it is.
  return asked === src.name ? {} : { module_name: asked };
}

/**
 * ansible-core's action plugins run these modules as `ansible.legacy.<name>` (so that a `library/` module
 * of that name overrides, and no collection's does), whatever name the task wrote.
 */
const LEGACY_ACTION_MODULES = new Set(["command", "shell", "uri"]);

/** The name a task's own module runs as: `ansible.legacy.<name>` for those ansible-core actions, else as written. */
export function taskModuleName(module: string): string {
  const { collection, name } = shortName(module);
  return collection === undefined && LEGACY_ACTION_MODULES.has(name) ? `ansible.legacy.${name}` : module;
}

/** ansible_shell_executable, else the configuration's `executable` (DEFAULT_EXECUTABLE), else /bin/sh. */
export function shellExecutable(vars: Record<string, unknown>): string {
  for (const v of [vars.ansible_shell_executable, vars.executable]) {
    if (v !== undefined && v !== null && v !== "") return String(v);
  }
  return "/bin/sh";
}

/**
 * An async job's id in Ansible's form: j, a random number as its action draws (0 to 999999999999), a dot
 * and a process id (Ansible's is its async_wrapper's on the target; here the controller's, which with the
 * random part keeps ids apart for controllers sharing a target's async_dir).
 */
export function jobId(): string {
  return `j${randomInt(0, 1_000_000_000_000)}.${process.pid}`;
}

/**
 * Where the host's async jobs keep their results: the shell plugins' async_dir (ansible_async_dir, else
 * the configuration's, whose default is ~/.ansible_async).
 */
export function asyncDirOf(vars: Record<string, unknown>): string {
  for (const v of [vars.ansible_async_dir, vars.async_dir]) {
    if (v !== undefined && v !== null && v !== "") return String(v);
  }
  return "~/.ansible_async";
}

/** The task's `mitogen_task_isolation` (fork or inproc); anything else is refused by the runner's caller. */
export function isolationOf(vars: Record<string, unknown>): "fork" | "inproc" {
  const v = vars.mitogen_task_isolation;
  if (v === undefined || v === null || v === "" || v === "inproc") return "inproc";
  if (v === "fork") return "fork";
  throw new Error(`mitogen_task_isolation must be fork or inproc, not ${JSON.stringify(v)}`);
}
