// Which code runs a task's module on the target: a module from a `library/` directory or collection next
// to the playbook, an installed ansible-core's module, or mito's own built-in. Ansible's resolution order;
// mito's built-ins stand in where no Ansible is installed (or when MITO_MODULES=builtin asks for them).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { aliasInLibraries, moduleFileIn } from "../_module_file.ts";
import { join } from "node:path";
import { EMBEDDED } from "../../bootstrap/_embedded.ts";
import { type CollectionIndex, sitePackageDirs } from "../collections.ts";
import { directoryRoot } from "../../transports/broker.ts";
import type { ModuleRoot } from "../../core/importer.ts";
import { parseYaml } from "../yaml/mod.ts";

export type ModuleSource =
  | { kind: "builtin"; name: string }
  | {
    kind: "ansible";
    name: string;
    path: string;
    source: Uint8Array;
    /** The module's package, for its relative imports (`from ..module_utils import x`). */
    package?: string;
    extraArgs?: Record<string, unknown>;
  };

export type ModulePreference = "auto" | "builtin" | "ansible";

export interface ModuleResolverOptions {
  /** `library/` directories: configured library path, then beside the playbook and each role. */
  libraryPaths: string[];
  /** The installed collections (playbook-adjacent, configured, Python's site). */
  collections?: CollectionIndex;
  /** Directory holding the `ansible` package of an installed ansible-core, if any. */
  ansibleDir?: string;
  prefer: ModulePreference;
}

export class ModuleNotFoundError extends Error {
  override name = "ModuleNotFoundError";
  constructor(readonly module: string) {
    super(
      `couldn't resolve module/action '${module}'. This often indicates a misspelling, missing collection, ` +
        `or incorrect module path.`,
    );
  }
}

const BUILTINS: ReadonlySet<string> = new Set(
  Object.keys(EMBEDDED)
    .map((p) => /^modules\/([a-z][a-z0-9_]*)\.py$/.exec(p)?.[1])
    .filter((n): n is string => n !== undefined),
);

/** mito's built-in module names. */
export function builtinModules(): ReadonlySet<string> {
  return BUILTINS;
}

/** `ansible.builtin.copy` and `ansible.legacy.copy` are `copy`; other FQCNs keep their collection. */
export function shortName(module: string): { collection?: string; name: string } {
  const m = /^(ansible\.(?:builtin|legacy))\.([A-Za-z0-9_]+)$/.exec(module);
  if (m) return { name: m[2] };
  const parts = module.split(".");
  if (parts.length >= 3) return { collection: parts.slice(0, 2).join("."), name: parts.slice(2).join(".") };
  return { name: module };
}

/**
 * What targets may import from an installed ansible-core (docs/protocol.md "Importer"): its module_utils,
 * all that a module imports (the module's own source travels with its task), with `ansible` above it as
 * an empty package. Nothing else of the controller's Ansible (plugins, executor, constants, release) is
 * served: it is controller code no target needs.
 */
export function ansibleModuleRoot(dir: string): ModuleRoot {
  const root = directoryRoot(dir, ["ansible.module_utils"]);
  const version = ansibleRelease(dir);
  return version ? { ...root, release: [RELEASE_FILE, version] } : root;
}

// Where ansible-core declares its release, inside the `ansible` package (read the same way on targets).
const RELEASE_FILE = "module_utils/ansible_release.py";

/** The `__version__` of the ansible-core under `dir`, undefined when it declares none. */
export function ansibleRelease(dir: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, "ansible", RELEASE_FILE), "utf-8");
  } catch {
    return undefined;
  }
  return /^__version__\s*=\s*['"]([^'"]+)['"]/m.exec(text)?.[1];
}

/**
 * What targets may import as `ansible.module_utils.<name>` from module_utils folders (beside the playbooks,
 * in roles, configured): a file or package of the first folder that has it, the way Ansible's module_utils
 * loader searches those folders before ansible-core's own. The `ansible.module_utils` package itself stays
 * ansible-core's (this root has none), and a name no folder has falls through to the next root.
 */
export function moduleUtilsRoot(dirs: () => string[]): ModuleRoot & { names(): string[] } {
  const PREFIX = "ansible/module_utils/";
  const listed = new Map<string, string[]>();
  // the names a folder overrides: each `x.py` and package `x/` (listed once; a folder's files are the run's)
  const namesIn = (dir: string) => {
    let names = listed.get(dir);
    if (names) return names;
    names = [];
    try {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const m = /^([A-Za-z_]\w*)(\.py)?$/.exec(e.name);
        if (!m || m[1] === "__init__" || (m[2] ? e.isDirectory() : !e.isDirectory())) continue;
        names.push(`ansible.module_utils.${m[1]}`);
      }
    } catch {
      // a folder that is not there overrides nothing
    }
    listed.set(dir, names);
    return names;
  };
  const roots = new Map<string, ModuleRoot>();
  const rootOf = (dir: string) => {
    let r = roots.get(dir);
    if (!r) roots.set(dir, r = directoryRoot(dir, []));
    return r;
  };
  // the folder of the first that has `rel` (a file or a package directory)
  const holder = (rel: string): { root: ModuleRoot; inner: string } | undefined => {
    if (!rel.startsWith(PREFIX)) return undefined;
    const inner = rel.slice(PREFIX.length);
    const top = inner.split("/")[0].replace(/\.py$/, "");
    if (top === "__init__" || top === "") return undefined;
    for (const dir of dirs()) {
      const root = rootOf(dir);
      // a name belongs to the first folder holding its top-level module or package, as Python's path would
      if (root.read(`${top}.py`) || root.isDir?.(top)) return { root, inner };
    }
    return undefined;
  };
  return {
    prefixes: ["ansible.module_utils"],
    /** Every `ansible.module_utils.<name>` the folders override: a target must never take its own copy. */
    names: () => [...new Set(dirs().flatMap(namesIn))].sort(),
    read: (rel) => {
      const h = holder(rel);
      return h ? h.root.read(h.inner) : null;
    },
    filename: (rel) => {
      const h = holder(rel);
      return h ? h.root.filename?.(h.inner) ?? rel : rel;
    },
    isDir: (rel) => {
      const h = holder(rel);
      return h ? h.root.isDir?.(h.inner) ?? false : false;
    },
  };
}

/**
 * What targets may import from a collection root: the `ansible_collections` packages, whose modules import
 * their collection's module_utils (`ansible_collections.ns.coll.plugins.module_utils.x`).
 */
export function collectionsModuleRoot(root: string): ModuleRoot {
  return directoryRoot(root, ["ansible_collections"]);
}

/** The directory holding an installed ansible-core's `ansible` package, searched once. */
export function findAnsibleDir(env: Record<string, string | undefined>): string | undefined {
  const candidates = [env.MITO_ANSIBLE_DIR, "/usr/lib/python3/dist-packages", ...sitePackageDirs()];
  return candidates.find((dir) => dir && existsSync(join(dir, "ansible", "modules", "command.py")));
}

/**
 * ansible-core's routing of ansible.builtin names (config/ansible_builtin_runtime.yml), where installed;
 * `dir` when the caller has searched for the installation already.
 */
export function ansibleBuiltinRuntime(
  env: Record<string, string | undefined>,
  dir: string | undefined = findAnsibleDir(env),
): string | undefined {
  return dir ? join(dir, "ansible", "config", "ansible_builtin_runtime.yml") : undefined;
}

/**
 * Whether ansible-core's routing (ansible_builtin_runtime.yml's `plugin_routing.module_utils`) sends
 * `ansible.module_utils.<remainder>`, or a package above it, elsewhere. The file is parsed at the first
 * question only (it is large, and asked about only for support code the controller does not serve).
 */
export function moduleUtilsRedirects(runtimeFile: string | undefined): (remainder: string) => boolean {
  let keys: string[] | undefined;
  return (remainder) => {
    if (keys === undefined) {
      keys = [];
      try {
        if (runtimeFile) {
          const doc = parseYaml(readFileSync(runtimeFile, "utf-8"), { file: runtimeFile }) as {
            plugin_routing?: { module_utils?: Record<string, unknown> };
          } | null;
          keys = Object.keys(doc?.plugin_routing?.module_utils ?? {});
        }
      } catch {
        // an unreadable table redirects nothing
      }
    }
    return keys.some((k) => remainder === k || remainder.startsWith(k + "."));
  };
}

type AnsibleModuleSource = Extract<ModuleSource, { kind: "ansible" }>;

function readModule(path: string, name: string, pkg?: string): AnsibleModuleSource {
  const src: AnsibleModuleSource = {
    kind: "ansible",
    name,
    path,
    source: new Uint8Array(readFileSync(path)),
  };
  if (pkg) src.package = pkg;
  return src;
}

const LIBRARY_IO = {
  exists: existsSync,
  listDir: (dir: string) => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  },
};

function inLibrary(dirs: string[], name: string): string | undefined {
  for (const dir of dirs) {
    const file = moduleFileIn(dir, name, LIBRARY_IO);
    if (file) return file;
  }
  return undefined;
}

export class ModuleResolver {
  readonly #opts: ModuleResolverOptions;
  readonly #cache = new Map<string, ModuleSource>();
  constructor(opts: ModuleResolverOptions) {
    this.#opts = opts;
  }

  get ansibleDir(): string | undefined {
    return this.#opts.ansibleDir;
  }

  /**
   * Resolves a task's module; `extraLibraries` are the `library/` dirs beside the playbooks and the roles
   * loaded so far, searched first as Ansible does.
   */
  resolve(module: string, extraLibraries: string[] = []): ModuleSource {
    const key = `${module}\0${extraLibraries.join("\0")}`;
    let found = this.#cache.get(key);
    if (!found) {
      found = this.#resolve(module, extraLibraries);
      this.#cache.set(key, found);
    }
    return found;
  }

  #resolve(module: string, extraLibraries: string[]): ModuleSource {
    const { collection, name } = shortName(module);
    const o = this.#opts;
    if (collection) {
      const file = o.collections?.module(collection, name);
      if (file) return readModule(file, name, `ansible_collections.${collection}.plugins.modules`);
      return this.#routed(module, extraLibraries);
    }
    if (o.prefer !== "builtin") {
      const lib = inLibrary([...extraLibraries, ...o.libraryPaths], name);
      if (lib) return readModule(lib, name);
      if (o.ansibleDir) {
        // Ansible's shell is an action over the command module.
        if (name === "shell") {
          const file = join(o.ansibleDir, "ansible", "modules", "command.py");
          if (existsSync(file)) {
            return { ...readModule(file, "command", "ansible.modules"), extraArgs: { _uses_shell: true } };
          }
        }
        const file = join(o.ansibleDir, "ansible", "modules", `${name}.py`);
        if (existsSync(file) && !PREFER_BUILTIN.has(name)) {
          return readModule(file, name, "ansible.modules");
        }
      }
    }
    // a module kept only as its deprecated `_name` (the loader said the deprecation)
    if (o.prefer !== "builtin" && !name.startsWith("_")) {
      const alias = aliasInLibraries([...extraLibraries, ...o.libraryPaths], name, LIBRARY_IO);
      if (alias) return readModule(alias.file, name);
    }
    // Where Ansible is installed, a short name it routes to a collection (sysctl → ansible.posix.sysctl)
    // runs that module, as in ansible-playbook; mito's built-in stands in only without one.
    const target = o.prefer === "builtin" ? undefined : o.collections?.routing.route(module);
    if (target !== undefined && o.collections?.hasAction(target)) {
      return this.#resolve(target, extraLibraries);
    }
    if (BUILTINS.has(name)) return { kind: "builtin", name };
    if (o.prefer === "builtin" && o.ansibleDir) {
      const file = join(o.ansibleDir, "ansible", "modules", `${name}.py`);
      if (existsSync(file)) return readModule(file, name, "ansible.modules");
    }
    return this.#routed(module, extraLibraries);
  }

  /** A module found nowhere under its name: where its collection's plugin routing sends it, if anywhere. */
  #routed(module: string, extraLibraries: string[]): ModuleSource {
    const target = this.#opts.collections?.routing.route(module);
    if (target === undefined) throw new ModuleNotFoundError(module);
    return this.#resolve(target, extraLibraries);
  }
}

// Target halves of controller-side actions: the controller has already moved the bytes, and mito's own
// target side takes them inline (no temp file), which Ansible's modules cannot. async_status reads the
// jobs mito's runner started, in its format.
const PREFER_BUILTIN: ReadonlySet<string> = new Set(["copy", "template", "async_status"]);
