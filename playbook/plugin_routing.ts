// Ansible's plugin routing for modules, filters, tests and lookups: a collection's meta/runtime.yml
// (`plugin_routing.<type>`) and, for ansible.builtin, ansible-core's config/ansible_builtin_runtime.yml (the
// short names whose plugins moved to collections, e.g. `timezone` → community.general.timezone). Redirects are followed to where a module
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

/** The plugin types of `plugin_routing` in meta/runtime.yml that mito resolves. */
export type PluginKind = "modules" | "filter" | "test" | "lookup";

/** Filters and tests: Ansible's Jinja2 loader words their routing messages on its own. */
const isJinja = (kind: PluginKind) => kind === "filter" || kind === "test";

/** A plugin whose route ends at a tombstone: Ansible's "[DEPRECATED]: … has been removed." message. */
export class PluginRemovedError extends Error {
  override name = "PluginRemovedError";
  constructor(
    readonly module: string,
    tombstone: Record<string, unknown>,
    collection: string,
    kind: PluginKind = "modules",
  ) {
    const text = typeof tombstone.warning_text === "string" ? tombstone.warning_text : "";
    const said = isJinja(kind)
      ? text || `${kind} "${module}" has been removed`
      : `${module} has been removed.${text ? " " : ""}${text}`;
    const date = tombstone.removal_date === undefined ? undefined : String(tombstone.removal_date);
    const version = tombstone.removal_version === undefined ? undefined : String(tombstone.removal_version);
    super(
      deprecationMessage(said, {
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
   * The fully qualified name plugin `name` of that kind (a short name is ansible.builtin's) is routed to:
   * undefined when its collection has no route for it. Throws PluginRemovedError at a tombstone. `quiet`
   * leaves deprecations unsaid (a look ahead, not a use).
   */
  route(name: string, kind: PluginKind = "modules", opts: { quiet?: boolean } = {}): string | undefined {
    let current = name.includes(".") ? name : `ansible.builtin.${name}`;
    for (let hop = 0; hop < MAX_REDIRECTS; hop++) {
      const m = /^(\w+\.\w+)\.(\w+(?:\.\w+)*)$/.exec(current);
      if (!m) break;
      const collection = m[1] === "ansible.legacy" ? "ansible.builtin" : m[1];
      const entry = this.#table(collection, kind)[m[2]];
      if (!entry) break;
      const d = entry.deprecation;
      if (d && this.#deprecated && !opts.quiet) {
        const text = typeof d.warning_text === "string" ? ` ${d.warning_text}` : "";
        const date = d.removal_date === undefined ? undefined : String(d.removal_date);
        this.#deprecated(
          isJinja(kind)
            ? text.slice(1) || `${kind} "${current}" is deprecated`
            : `${current} has been deprecated.${text}`,
          date || d.removal_version === undefined ? undefined : String(d.removal_version),
          { ...(date ? { date } : {}), collection },
        );
      }
      if (entry.tombstone) throw new PluginRemovedError(current, entry.tombstone, collection, kind);
      if (typeof entry.redirect !== "string") break;
      current = entry.redirect;
    }
    return current === name || current === `ansible.builtin.${name}` ? undefined : current;
  }

  #table(collection: string, kind: PluginKind): Record<string, RouteEntry> {
    let table = this.#tables.get(`${collection}\0${kind}`);
    if (table) return table;
    table = {};
    const file = this.#runtimeFile(collection);
    if (file && existsSync(file)) {
      const doc = parseYaml(readFileSync(file, "utf8"), { file }) as Record<string, unknown> | null;
      const routes = (doc?.plugin_routing as Record<string, unknown> | undefined)?.[kind];
      if (routes && typeof routes === "object") table = routes as Record<string, RouteEntry>;
    }
    this.#tables.set(`${collection}\0${kind}`, table);
    return table;
  }
}
