// Ansible's plugin routing for modules: a collection's meta/runtime.yml (`plugin_routing.modules`) and, for
// ansible.builtin, ansible-core's config/ansible_builtin_runtime.yml (the short names whose modules moved to
// collections, e.g. `timezone` → community.general.timezone). Redirects are followed to where a module
// lives now, a tombstone is refused with Ansible's message and a deprecation is reported as Ansible's
// plugin loader records it.
import { existsSync, readFileSync } from "node:fs";
import { parseYaml } from "./yaml/mod.ts";
import { deprecationMessage } from "./callbacks/display.ts";

interface RouteEntry {
  redirect?: unknown;
  tombstone?: Record<string, unknown>;
  deprecation?: Record<string, unknown>;
}

/** Shows a route's deprecation, as Ansible's display.deprecated(msg, version, date, collection_name). */
export type DeprecationSink = (
  msg: string,
  version?: string,
  opts?: { date?: string; collection?: string },
) => void;

/** A module whose route ends at a tombstone: Ansible's "[DEPRECATED]: … has been removed." message. */
export class PluginRemovedError extends Error {
  override name = "PluginRemovedError";
  constructor(readonly module: string, tombstone: Record<string, unknown>, collection: string) {
    const text = typeof tombstone.warning_text === "string" ? tombstone.warning_text : "";
    const date = tombstone.removal_date === undefined ? undefined : String(tombstone.removal_date);
    const version = tombstone.removal_version === undefined ? undefined : String(tombstone.removal_version);
    super(
      deprecationMessage(`${module} has been removed.${text ? " " : ""}${text}`, {
        removed: true,
        collection,
        ...(date ? { date } : version ? { version } : {}),
      }),
    );
  }
}

const MAX_REDIRECTS = 10;

export class ModuleRouting {
  readonly #runtimeFile: (collection: string) => string | undefined;
  readonly #tables = new Map<string, Record<string, RouteEntry>>();

  readonly #deprecated: DeprecationSink | undefined;

  /** `runtimeFile` names a collection's routing file (ansible.builtin's is ansible-core's), if it has one. */
  constructor(runtimeFile: (collection: string) => string | undefined, deprecated?: DeprecationSink) {
    this.#runtimeFile = runtimeFile;
    this.#deprecated = deprecated;
  }

  /**
   * The fully qualified name module `name` (a short name is ansible.builtin's) is routed to: undefined
   * when its collection has no route for it. Throws PluginRemovedError at a tombstone.
   */
  route(name: string): string | undefined {
    let current = name.includes(".") ? name : `ansible.builtin.${name}`;
    for (let hop = 0; hop < MAX_REDIRECTS; hop++) {
      const m = /^(\w+\.\w+)\.(\w+(?:\.\w+)*)$/.exec(current);
      if (!m) break;
      const collection = m[1] === "ansible.legacy" ? "ansible.builtin" : m[1];
      const entry = this.#table(collection)[m[2]];
      if (!entry) break;
      const d = entry.deprecation;
      if (d && this.#deprecated) {
        const text = typeof d.warning_text === "string" ? ` ${d.warning_text}` : "";
        const date = d.removal_date === undefined ? undefined : String(d.removal_date);
        this.#deprecated(
          `${current} has been deprecated.${text}`,
          date || d.removal_version === undefined ? undefined : String(d.removal_version),
          { ...(date ? { date } : {}), collection },
        );
      }
      if (entry.tombstone) throw new PluginRemovedError(current, entry.tombstone, collection);
      if (typeof entry.redirect !== "string") break;
      current = entry.redirect;
    }
    return current === name || current === `ansible.builtin.${name}` ? undefined : current;
  }

  #table(collection: string): Record<string, RouteEntry> {
    let table = this.#tables.get(collection);
    if (table) return table;
    table = {};
    const file = this.#runtimeFile(collection);
    if (file && existsSync(file)) {
      const doc = parseYaml(readFileSync(file, "utf8"), { file }) as Record<string, unknown> | null;
      const modules = (doc?.plugin_routing as Record<string, unknown> | undefined)?.modules;
      if (modules && typeof modules === "object") table = modules as Record<string, RouteEntry>;
    }
    this.#tables.set(collection, table);
    return table;
  }
}
