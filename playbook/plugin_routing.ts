// Ansible's plugin routing for modules, filters, tests and lookups: a collection's meta/runtime.yml
// (`plugin_routing.<type>`) and, for ansible.builtin, ansible-core's config/ansible_builtin_runtime.yml (the
// short names whose plugins moved to collections, e.g. `timezone` → community.general.timezone). Redirects are followed to where a module
// lives now, a tombstone is refused with Ansible's message and a deprecation is reported as Ansible's
// plugin loader records it.
import { existsSync, readFileSync } from "node:fs";
import { parseYaml } from "./yaml/mod.ts";
import { deprecationMessage } from "./callbacks/display.ts";

export interface RouteEntry {
  redirect?: unknown;
  /** A module's: the action plugin that runs it (runtime.yml's `action_plugin`). */
  action_plugin?: unknown;
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
export type PluginKind = "modules" | "action" | "filter" | "test" | "lookup";

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

/** Where `key` could stand as a mapping key in YAML text: plain or quoted, before its colon. */
function keyPattern(key: string): RegExp {
  return new RegExp(String.raw`(?:^|[\s{[,?'"])${key.replaceAll(".", "\\.")}['"]?\s*:`, "m");
}

interface RoutingFile {
  path: string;
  text: string;
  /** Whether the text has a backslash (an escape could spell a key its text does not show). */
  escapes: boolean;
  /** Whether the text writes a name as a key (so the file must be parsed for it), by name. */
  names: Map<string, boolean>;
  /** The parsed file, once a name it writes as a key is looked up. */
  doc: Record<string, unknown> | null | undefined;
}

export class ModuleRouting {
  readonly #runtimeFile: (collection: string) => string | undefined;
  readonly #tables = new Map<string, Record<string, RouteEntry>>();
  /** Routing files by collection (null: it has none), read once. */
  readonly #files = new Map<string, RoutingFile | null>();

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
      if (!this.#mayName(collection, m[2])) break;
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

  /** The routing entry of one fully qualified name (no redirect followed), if its collection has one. */
  entry(fqcn: string, kind: PluginKind): RouteEntry | undefined {
    const m = /^(\w+\.\w+)\.(\w+(?:\.\w+)*)$/.exec(fqcn);
    if (!m) return undefined;
    const collection = m[1] === "ansible.legacy" ? "ansible.builtin" : m[1];
    if (!this.#mayName(collection, m[2])) return undefined;
    return this.#table(collection, kind)[m[2]];
  }

  /** A collection's `action_groups` (ansible.builtin's from ansible-core's own file), if it has any. */
  actionGroups(collection: string): Record<string, unknown> | undefined {
    const f = this.#file(collection);
    if (!f) return undefined;
    f.doc ??= parseYaml(f.text, { file: f.path }) as Record<string, unknown> | null;
    const groups = f.doc?.action_groups;
    return groups && typeof groups === "object" && !Array.isArray(groups)
      ? groups as Record<string, unknown>
      : undefined;
  }

  /**
   * Whether the collection's routing file could have an entry for `key`. ansible-core's own is 9,700 lines
   * of YAML (a third of a second to parse) and a play's names are mostly in no table: a name its text
   * nowhere writes as a key (plain or quoted, then a colon, after whatever may stand before a key) is not
   * one of its keys. Only an escape could spell a key otherwise, so a file with a backslash is always
   * parsed.
   */
  #mayName(collection: string, key: string): boolean {
    const f = this.#file(collection);
    if (!f) return false;
    let may = f.names.get(key);
    if (may === undefined) f.names.set(key, may = f.escapes || keyPattern(key).test(f.text));
    return may;
  }

  #file(collection: string): RoutingFile | null {
    let f = this.#files.get(collection);
    if (f === undefined) {
      const path = this.#runtimeFile(collection);
      const text = path && existsSync(path) ? readFileSync(path, "utf8") : undefined;
      f = path && text !== undefined
        ? { path, text, escapes: text.includes("\\"), names: new Map(), doc: undefined }
        : null;
      this.#files.set(collection, f);
    }
    return f;
  }

  #table(collection: string, kind: PluginKind): Record<string, RouteEntry> {
    let table = this.#tables.get(`${collection}\0${kind}`);
    if (table) return table;
    table = {};
    const f = this.#file(collection);
    if (f) {
      // one parse per file, whichever plugin kinds are asked of it
      f.doc ??= parseYaml(f.text, { file: f.path }) as Record<string, unknown> | null;
      const routes = (f.doc?.plugin_routing as Record<string, unknown> | undefined)?.[kind];
      if (routes && typeof routes === "object") table = routes as Record<string, RouteEntry>;
    }
    this.#tables.set(`${collection}\0${kind}`, table);
    return table;
  }
}
