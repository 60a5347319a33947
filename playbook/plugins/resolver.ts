// Which plugin a filter, test or lookup name means, as ansible-core 2.14 resolves it, and the Python ones
// as template functions that call the plugin host.
//
// Filters and tests (Ansible's Jinja2 loader; the `collections` keyword does not apply to them): a short
// name is first looked for in the plugin folders (playbook- and role-adjacent `filter_plugins/`, then the
// configured paths), whose plugins shadow the builtins; then it is ansible.builtin's, which is mito's own
// where mito has it, else ansible-core's Python one. A fully qualified name follows meta/runtime.yml
// routing to its collection, whose plugins/<type>/ modules all define names (a later module wins).
// Lookups (Ansible's plugin loader): a short name is a file `<name>.py` in the lookup folders, else the
// builtin, else ansible.builtin's routing; a fully qualified one is plugins/lookup/<name>.py of its
// collection after routing.
import * as fs from "node:fs";
import * as path from "node:path";
import type { CollectionIndex } from "../collections.ts";
import { PluginRemovedError } from "../plugin_routing.ts";
import {
  type FilterFn,
  Kwargs,
  type LookupContext,
  type LookupFn,
  type PluginSource,
  TemplateError,
  type TestFn,
  UnknownPluginError,
} from "../template/mod.ts";
import type { PluginHost } from "./host.ts";

type JinjaKind = "filter" | "test";
type Fn = FilterFn | TestFn;

/** Plugin folders of each type, in Ansible's order (see pluginFolders). */
export interface PluginFolders {
  filter: string[];
  test: string[];
  lookup: string[];
}

export interface PythonPluginsOptions {
  host: PluginHost;
  collections: CollectionIndex;
  /** Computed on first need: role folders join as roles are loaded. */
  folders: () => PluginFolders;
  /** ansible-core's own plugin folders (…/ansible/plugins/<type>): the builtins mito does not have. */
  ansiblePlugins?: string;
  warn?: (message: string) => void;
}

/** How a name resolved: to mito's own plugin of that short name, to a Python one, or to an error. */
type Resolved<F> = { k: "mito"; short: string } | { k: "python"; fn: F } | { k: "error"; error: Error };

const LEGACY = "ansible.legacy.";
const FQCN = /^(\w+\.\w+)\.(\w+(?:\.\w+)*)$/;

export class PythonPlugins implements PluginSource {
  readonly #o: PythonPluginsOptions;
  readonly #jinja = { filter: new Map<string, Resolved<Fn>>(), test: new Map<string, Resolved<Fn>>() };
  readonly #lookups = new Map<string, Resolved<LookupFn> | undefined>();
  /** Names from the plugin folders, per type (and with ansible-core's builtins, per type + "+core"). */
  readonly #folderNames = new Map<string, Record<string, number>>();

  constructor(opts: PythonPluginsOptions) {
    this.#o = opts;
  }

  /**
   * The plugin folders changed (a role loaded while the play runs, by include_role): names are resolved
   * again, as Ansible's loader clears its caches when a directory joins.
   */
  foldersChanged(): void {
    this.#jinja.filter.clear();
    this.#jinja.test.clear();
    this.#lookups.clear();
    this.#folderNames.clear();
  }

  filter(name: string, mito: (short: string) => FilterFn | undefined): FilterFn | undefined {
    return this.#resolveJinja("filter", name, mito) as FilterFn | undefined;
  }

  test(name: string, mito: (short: string) => TestFn | undefined): TestFn | undefined {
    return this.#resolveJinja("test", name, mito) as TestFn | undefined;
  }

  lookup(name: string, mito: (short: string) => LookupFn | undefined): LookupFn | undefined {
    let r = this.#lookups.get(name);
    if (r === undefined && !this.#lookups.has(name)) {
      r = this.#findLookup(name, mito);
      this.#lookups.set(name, r);
    }
    if (r === undefined) return undefined;
    if (r.k === "error") throw r.error;
    return r.k === "mito" ? mito(r.short) : r.fn;
  }

  /**
   * The file a Python plugin of that name would come from, found without the plugin host (for filters and
   * tests, the file that names it: Ansible only knows after importing them all); undefined for mito's own
   * builtins and for names that resolve to nothing.
   */
  sourceFile(kind: JinjaKind | "lookup", written: string): string | undefined {
    const name = written.startsWith(LEGACY) ? written.slice(LEGACY.length) : written;
    const folders = this.#o.folders()[kind];
    if (!name.includes(".")) {
      const found = kind === "lookup"
        ? folders.map((d) => path.join(d, `${name}.py`)).find(isFile)
        : folders.flatMap(pythonFiles).find((f) => names(f, name));
      if (found) return found;
    }
    let routed: string | undefined;
    const fq = name.includes(".") ? name : `ansible.builtin.${name}`;
    try {
      routed = this.#o.collections.routing.route(fq, kind, { quiet: true }) ?? fq;
    } catch {
      return undefined;
    }
    const m = FQCN.exec(routed);
    if (!m || !this.#o.collections.dir(m[1])) return undefined;
    const own = this.#o.collections.pluginFile(m[1], kind, m[2]);
    if (own || kind === "lookup") return own;
    return pythonFiles(path.join(this.#o.collections.dir(m[1])!, "plugins", kind)).find((f) =>
      names(f, m[2])
    );
  }

  #resolveJinja(kind: JinjaKind, written: string, mito: (short: string) => Fn | undefined): Fn | undefined {
    // asked on every filter call of every template: one map lookup once the name is known
    const known = this.#jinja[kind];
    let r = known.get(written);
    if (!r) {
      r = this.#findJinja(kind, written, mito);
      known.set(written, r);
    }
    if (r.k === "error") throw r.error;
    return r.k === "mito" ? mito(r.short) : r.fn;
  }

  #findJinja(kind: JinjaKind, written: string, mito: (short: string) => Fn | undefined): Resolved<Fn> {
    const name = written.startsWith(LEGACY) ? written.slice(LEGACY.length) : written;
    const notFound = (why = `'${written}'`): Resolved<Fn> => ({
      k: "error",
      error: new UnknownPluginError(`Could not load "${written}": ${why}`),
    });
    if (!name.includes(".")) {
      const id = own(this.#folderPlugins(kind, false), name);
      if (id !== undefined) return { k: "python", fn: this.#jinjaFn(id) };
    }
    let routed: string;
    try {
      routed =
        this.#o.collections.routing.route(name.includes(".") ? name : `ansible.builtin.${name}`, kind) ??
          (name.includes(".") ? name : `ansible.builtin.${name}`);
    } catch (e) {
      if (e instanceof PluginRemovedError) return notFound(e.message);
      throw e;
    }
    const m = FQCN.exec(routed);
    if (!m) {
      // Ansible's loader refuses the name, and Jinja2's own table answers: its operator tests (`==`, `>=`)
      if (!name.includes(".") && mito(name)) return { k: "mito", short: name };
      return notFound(`'invalid plugin name: ${routed}'`);
    }
    const [, collection, leaf] = m;
    if (collection === "ansible.builtin") {
      if (mito(leaf)) return { k: "mito", short: leaf };
      // ansible-core's own Python filters and tests, which mito does not have (vault, unvault, …)
      const id = own(this.#folderPlugins(kind, true), leaf) ??
        this.#o.host.call("jinja_builtin", [kind, leaf]);
      return typeof id === "number" ? { k: "python", fn: this.#jinjaFn(id) } : notFound();
    }
    if (!this.#o.collections.dir(collection)) {
      return notFound(`'Invalid plugin FQCN (${routed}): unable to locate collection ${collection}'`);
    }
    const [names, warnings] = this.#o.host.call("jinja_collection", [kind, collection]) as [
      Record<string, number>,
      string[],
    ];
    for (const w of warnings) this.#o.warn?.(w);
    const id = own(names, leaf);
    return id !== undefined ? { k: "python", fn: this.#jinjaFn(id) } : notFound();
  }

  /**
   * The names the plugin folders define (loaded in the host on first need); `withCore` adds ansible-core's
   * own folder last, as Ansible's loader searches it. Without any .py file in the folders the host is
   * not started.
   */
  #folderPlugins(kind: JinjaKind, withCore: boolean): Record<string, number> {
    const key = withCore ? `${kind}+core` : kind;
    let names = this.#folderNames.get(key);
    if (names) return names;
    const dirs = [...this.#o.folders()[kind]];
    if (withCore && this.#o.ansiblePlugins) dirs.push(path.join(this.#o.ansiblePlugins, kind));
    names = {};
    if (dirs.some((d) => pythonFiles(d).length > 0)) {
      const [found, warnings] = this.#o.host.call("jinja_legacy", [kind, dirs]) as [
        Record<string, number>,
        string[],
      ];
      for (const w of warnings) this.#o.warn?.(w);
      names = found;
    }
    this.#folderNames.set(key, names);
    return names;
  }

  #jinjaFn(id: number): Fn {
    const host = this.#o.host;
    return (value: unknown, ...args: unknown[]) => {
      const last = args.at(-1);
      const kwargs = last instanceof Kwargs ? (args.pop(), last.values) : {};
      return host.call("call", [id, value, args, kwargs]);
    };
  }

  #findLookup(
    written: string,
    mito: (short: string) => LookupFn | undefined,
  ): Resolved<LookupFn> | undefined {
    const name = written.startsWith(LEGACY) ? written.slice(LEGACY.length) : written;
    if (!name.includes(".")) {
      const file = this.#o.folders().lookup.map((d) => path.join(d, `${name}.py`)).find(isFile);
      if (file) return { k: "python", fn: this.#lookupFn(name, name, file) };
    }
    let routed: string;
    const fq = name.includes(".") ? name : `ansible.builtin.${name}`;
    try {
      routed = this.#o.collections.routing.route(fq, "lookup") ?? fq;
    } catch (e) {
      if (e instanceof PluginRemovedError) return { k: "error", error: new TemplateError(e.message) };
      throw e;
    }
    const m = FQCN.exec(routed);
    if (!m) return undefined;
    const [, collection, leaf] = m;
    if (collection === "ansible.builtin") {
      if (mito(leaf)) return { k: "mito", short: leaf };
      const core = this.#o.ansiblePlugins && path.join(this.#o.ansiblePlugins, "lookup", `${leaf}.py`);
      const loadName = name.includes(".") ? `ansible.plugins.lookup.${leaf}` : leaf;
      return core && isFile(core) ? { k: "python", fn: this.#lookupFn(routed, loadName, core) } : undefined;
    }
    const file = this.#o.collections.pluginFile(collection, "lookup", leaf);
    const loadName = `ansible_collections.${collection}.plugins.lookup.${leaf}`;
    return file ? { k: "python", fn: this.#lookupFn(routed, loadName, file, collection) } : undefined;
  }

  /** A lookup run in the host; `loadName` is the name Ansible's loader gives it (its options are kept under it). */
  #lookupFn(fqcn: string, loadName: string, file: string, collection?: string): LookupFn {
    const host = this.#o.host;
    let id: number | undefined;
    return (terms, kwargs, ctx) => {
      id ??= host.call("lookup_load", [fqcn, loadName, file, collection ?? null], { lookup: true }) as number;
      return host.call("lookup_run", [id, terms, kwargs, ctx.basedir], {
        lookup: true,
        serve: (method, args) => answerLookup(ctx, method, args),
      }) as unknown[];
    };
  }
}

/** What a running lookup asks the controller: its variables, and templating (Ansible's Templar). */
/** What answering a plugin's questions needs of a lookup's context (an action plugin's has as much). */
export type AnswerContext = {
  vars: LookupContext["vars"];
  native: boolean;
  templar: {
    template(
      v: unknown,
      vars: LookupContext["vars"],
      opts: { native?: boolean; failOnUndefined?: boolean },
    ): unknown;
  };
};

export function answerLookup(ctx: AnswerContext, method: string, args: unknown[]): unknown {
  switch (method) {
    case "var": {
      const v = ctx.vars.get(String(args[0]));
      return v === undefined ? [false, null] : [true, v];
    }
    case "var_names": {
      const keys = (ctx.vars as { keys?: () => string[] }).keys;
      return typeof keys === "function" ? keys.call(ctx.vars) : [];
    }
    case "template": {
      const opts = (args[1] ?? {}) as { fail_on_undefined?: boolean; variables?: Record<string, unknown> };
      const own = opts.variables;
      const vars = own ? { get: (n: string) => (Object.hasOwn(own, n) ? own[n] : undefined) } : ctx.vars;
      return ctx.templar.template(args[0], vars, {
        native: ctx.native,
        failOnUndefined: opts.fail_on_undefined ?? true,
      });
    }
  }
  throw new TemplateError(`the plugin host asked for '${method}', which mito does not answer`);
}

/** A plugin's id by name (never an Object.prototype member: `constructor` is no plugin). */
function own(names: Record<string, number>, name: string): number | undefined {
  return Object.hasOwn(names, name) ? names[name] : undefined;
}

function isFile(p: string): boolean {
  return fs.statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
}

/** The plugin modules of a folder, by name. */
function pythonFiles(dir: string): string[] {
  try {
    return fs.readdirSync(dir).filter((f) => f.endsWith(".py") && f !== "__init__.py").sort().map((f) =>
      path.join(dir, f)
    );
  } catch {
    return [];
  }
}

/** Whether a plugin file's text names `name` as a string (a key of its filters() or tests()). */
function names(file: string, name: string): boolean {
  try {
    const text = fs.readFileSync(file, "utf8");
    return text.includes(`'${name}'`) || text.includes(`"${name}"`);
  } catch {
    return false;
  }
}

/**
 * The plugin folders of one type in Ansible's order: `<dir>/<subdir>` of each playbook and role directory
 * (those that exist), then each configured path preceded by its sub-folders one and two levels deep.
 */
export function pluginFolders(adjacent: string[], subdir: string, configured: string[]): string[] {
  const out: string[] = [];
  const add = (d: string) => {
    if (!out.includes(d)) out.push(d);
  };
  for (const d of adjacent) {
    const p = path.join(fs.existsSync(d) ? fs.realpathSync(d) : d, subdir);
    if (isDir(p)) add(p);
  }
  for (const c of configured) {
    for (const sub of [...subdirs(c), ...subdirs(c).flatMap(subdirs)]) add(sub);
    add(c);
  }
  return out;
}

function isDir(p: string): boolean {
  return fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

function subdirs(d: string): string[] {
  try {
    return fs.readdirSync(d).sort().map((n) => path.join(d, n)).filter(isDir);
  } catch {
    return [];
  }
}
