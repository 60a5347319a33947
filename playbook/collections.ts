// Where Ansible collections live and how a name finds its way into one: the collection roots in Ansible's
// order, the first root holding a collection owning it (a later copy is masked, as Python's import of
// `ansible_collections.ns.coll` would mask it), and the search lists of the `collections` keyword. One
// implementation for roles (the loader) and modules (the remote runner).
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { type DeprecationSink, ModuleRouting } from "./plugin_routing.ts";

const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/**
 * Python's site directories, in the order of the interpreter's sys.path (/usr/local first): where a pip
 * or Debian ansible keeps its packages and `ansible_collections`.
 */
export function sitePackageDirs(): string[] {
  const versions = (base: string) => {
    try {
      return readdirSync(base).filter((n) => /^python3\.\d+$/.test(n)).sort().reverse();
    } catch {
      return [];
    }
  };
  const site = (base: string) =>
    versions(base).flatMap((n) => [join(base, n, "dist-packages"), join(base, n, "site-packages")]);
  return [...site("/usr/local/lib"), "/usr/lib/python3/dist-packages", ...site("/usr/lib")];
}

/**
 * Collection roots (directories holding `ansible_collections/`), in Ansible's order: `collections/` beside
 * each playbook, the configured collections path, then Python's site directories (unless
 * collections_scan_sys_path is off). A configured entry may name the `ansible_collections` directory itself;
 * roots without one are dropped, except the playbook ones (Ansible keeps those unchecked, to no effect).
 */
export function collectionRoots(opts: {
  playbookDirs: string[];
  configured: string[];
  sitePackages: string[];
}): string[] {
  const out: string[] = [];
  for (const d of opts.playbookDirs) {
    const p = join(d, "collections");
    if (!out.includes(p)) out.push(p);
  }
  for (let p of [...opts.configured, ...opts.sitePackages]) {
    if (p.replace(/\/+$/, "").endsWith("/ansible_collections")) p = p.replace(/\/+$/, "").slice(0, -20);
    if (!out.includes(p) && isDir(join(p, "ansible_collections"))) out.push(p);
  }
  return out;
}

/** ns.coll as a collection name (two identifiers). */
const COLLECTION_RE = /^\w+\.\w+$/;
/** ns.coll.resource: a fully qualified collection reference (subdirectories are for plugins, not roles). */
const FQCR_RE = /^(\w+\.\w+)\.(\w+)$/;

/** The synthetic collections of ansible-core's own plugins and the controller's library dirs. */
export const CORE_COLLECTIONS: ReadonlySet<string> = new Set(["ansible.builtin", "ansible.legacy"]);

/** `ns.coll.role` split; undefined for a name that is not a fully qualified role reference. */
export function parseFqcr(name: string): { collection: string; resource: string } | undefined {
  const m = FQCR_RE.exec(name);
  return m ? { collection: m[1], resource: m[2] } : undefined;
}

/**
 * A `collections:` keyword's list as Ansible completes it: a non-empty list without ansible.builtin or
 * ansible.legacy gets `fallback` appended, so names outside the listed collections still resolve.
 */
export function withCoreFallback(list: string[], fallback = "ansible.legacy"): string[] {
  if (list.length === 0 || list.some((c) => CORE_COLLECTIONS.has(c))) return list;
  return [...list, fallback];
}

/** The collections installed under the roots, by name, each at the first root that has it. */
export class CollectionIndex {
  readonly roots: readonly string[];
  /** Module routing: each collection's meta/runtime.yml, and `builtinRuntime` for ansible.builtin. */
  readonly routing: ModuleRouting;
  readonly #dirs = new Map<string, string | undefined>();

  constructor(roots: string[], opts: { builtinRuntime?: string; deprecated?: DeprecationSink } = {}) {
    this.roots = roots;
    this.routing = new ModuleRouting((c) => {
      if (c === "ansible.builtin") return opts.builtinRuntime;
      const d = this.dir(c);
      return d && join(d, "meta", "runtime.yml");
    }, opts.deprecated);
  }

  /** The directory of collection `ns.coll`: the first root that has it (later ones are masked). */
  dir(collection: string): string | undefined {
    if (!COLLECTION_RE.test(collection) || CORE_COLLECTIONS.has(collection)) return undefined;
    if (this.#dirs.has(collection)) return this.#dirs.get(collection);
    const [ns, coll] = collection.split(".");
    const found = this.roots.map((r) => join(r, "ansible_collections", ns, coll)).find(isDir);
    this.#dirs.set(collection, found);
    return found;
  }

  /**
   * A role as Ansible's role definition finds it in collections: a fully qualified name in its own
   * collection only, a short one in each collection of `searchList` in turn; undefined leaves the
   * search to the roles path.
   */
  role(name: string, searchList: string[]): { dir: string; name: string; collection: string } | undefined {
    const fq = parseFqcr(name);
    if (!fq && searchList.length === 0) return undefined;
    const list = fq ? [fq.collection] : searchList;
    const resource = fq ? fq.resource : name;
    if (!/^\w+$/.test(resource)) return undefined;
    for (const c of list) {
      const d = this.dir(c);
      if (d && isDir(join(d, "roles", resource))) {
        return { dir: join(d, "roles", resource), name: resource, collection: c };
      }
    }
    return undefined;
  }

  /** Module `name` of collection `c` (`sub.name` in a subdirectory): plugins/modules/<name>.py. */
  module(c: string, name: string): string | undefined {
    return this.#plugin(c, "modules", name);
  }

  /**
   * Whether `ns.coll.name` names a task action: a module or an action plugin of an installed collection.
   * Undefined for a name that is not fully qualified.
   */
  hasAction(fqcn: string): boolean | undefined {
    const m = /^(\w+\.\w+)\.(\w+(?:\.\w+)*)$/.exec(fqcn);
    if (!m) return undefined;
    return this.#plugin(m[1], "modules", m[2]) !== undefined ||
      this.#plugin(m[1], "action", m[2]) !== undefined;
  }

  /** Plugin `name` of collection `c` of a type (`modules`, `action`, `lookup`, …): plugins/<type>/<name>.py. */
  pluginFile(c: string, kind: string, name: string): string | undefined {
    return this.#plugin(c, kind, name);
  }

  #plugin(c: string, kind: string, name: string): string | undefined {
    const d = this.dir(c);
    if (!d || !/^\w+(\.\w+)*$/.test(name)) return undefined;
    const file = join(d, "plugins", kind, ...name.split(".").slice(0, -1), `${name.split(".").pop()}.py`);
    return existsSync(file) ? file : undefined;
  }
}
