// The fully qualified name Ansible's plugin loaders resolve a module or action name to (their
// `resolved_fqcn`), and what module_defaults does with it: a task's defaults are the entries whose names
// resolve to the same plugin as the task's action (`ping`, `ansible.legacy.ping` and `ansible.builtin.ping`
// alike, a redirected name as its target), and the `group/…` entries of the action groups (runtime.yml's
// `action_groups`) that hold it.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { CollectionIndex } from "./collections.ts";
import { aliasInLibraries, type LibraryIO, moduleFileIn } from "./_module_file.ts";
import { pyStr } from "./py/mod.ts";
import { asList } from "./loader.ts";
import type { Item, Keywords, Playbook } from "./model.ts";
import { PlaybookError } from "./errors.ts";
import { KNOWN_MODULES } from "./_known_modules.ts";

export type PluginType = "modules" | "action";

/** A name resolved: the plugin's fully qualified name, and a module's `action_plugin` from its routing. */
export interface Resolved {
  fqcn: string;
  actionPlugin?: string;
}

export interface ActionNamesOptions {
  collections: CollectionIndex;
  /** Library folders (the adjacent ones, then the configured path): the legacy modules. */
  libraryDirs(): string[];
  /** Action plugin folders (adjacent, then configured): the legacy actions. */
  actionDirs(): string[];
  /** Directory holding an installed ansible-core's `ansible` package, if any. */
  ansibleDir?: string;
  /** Shows a warning, as Ansible's display.warning: about action group metadata (none when not given). */
  warning?(text: string): void;
  io: LibraryIO;
}

const FQCR = /^(\w+\.\w+)\.(\w+(?:\.\w+)*)$/;
const MAX_REDIRECTS = 10;

export class ActionNames {
  readonly #o: ActionNamesOptions;
  /** Resolved groups by fully qualified group name: their actions' fully qualified names. */
  readonly #groups = new Map<string, string[]>();
  readonly #cache = new Map<string, Resolved | null>();

  constructor(o: ActionNamesOptions) {
    this.#o = o;
  }

  /**
   * Where the plugin loader of `type` resolves `name`, searching `collections` for a short name (Ansible's
   * find_plugin_with_context): undefined when it finds nothing. Routing's tombstones throw.
   */
  resolve(name: string, type: PluginType, collections: string[] = []): Resolved | undefined {
    // a role loaded at run time (include_role) brings folders of its own: answers before it may differ
    const key = `${type}\0${name}\0${collections.join(",")}\0${this.#o.libraryDirs().length}`;
    if (!this.#cache.has(key)) this.#cache.set(key, this.#resolve(name, type, collections) ?? null);
    return this.#cache.get(key) ?? undefined;
  }

  #resolve(name: string, type: PluginType, collections: string[]): Resolved | undefined {
    let current = name;
    for (let hop = 0; hop < MAX_REDIRECTS; hop++) {
      const fq = FQCR.test(current);
      if (!fq && collections.length === 0) return this.#legacy(current, type);
      const candidates = fq ? [current] : collections.map((c) => `${c}.${current}`);
      let next: string | undefined;
      for (const candidate of candidates) {
        const step = candidate.startsWith("ansible.legacy.")
          ? this.#legacy(candidate.slice("ansible.legacy.".length), type)
          : this.#inCollection(candidate, type);
        if (step === undefined) continue;
        if ("redirect" in step) next = step.redirect;
        else return step;
        break;
      }
      if (next === undefined) return undefined;
      current = next;
    }
    return undefined;
  }

  /** The name looked for the way plugins were found before collections: folders, ansible-core, aliases. */
  #legacy(name: string, type: PluginType): Resolved | undefined {
    const local = type === "modules"
      ? this.#o.libraryDirs().some((d) => moduleFileIn(d, name, this.#o.io) !== undefined)
      : this.#actionIn(name);
    if (local) return { fqcn: name };
    if (this.#builtin(name, type)) return { fqcn: `ansible.builtin.${name}` };
    if (
      type === "modules" && !name.startsWith("_") && aliasInLibraries(this.#o.libraryDirs(), name, this.#o.io)
    ) {
      return { fqcn: `_${name}` };
    }
    if (name.includes(".")) return undefined;
    const step = this.#inCollection(`ansible.builtin.${name}`, type);
    return step && "redirect" in step ? this.resolve(step.redirect, type) : undefined;
  }

  #actionIn(name: string): boolean {
    return this.#o.actionDirs().some((d) => this.#o.io.exists(join(d, `${name}.py`)));
  }

  /** Whether ansible-core (or, without one, mito) has a plugin of that type and name. */
  #builtin(name: string, type: PluginType): boolean {
    const dir = this.#o.ansibleDir;
    if (!dir) return KNOWN_MODULES.has(name);
    const file = type === "modules"
      ? join(dir, "ansible", "modules", `${name}.py`)
      : join(dir, "ansible", "plugins", "action", `${name}.py`);
    return existsSync(file);
  }

  /** One fully qualified name: its collection's routing, then its file. */
  #inCollection(fqcn: string, type: PluginType): Resolved | { redirect: string } | undefined {
    const m = FQCR.exec(fqcn);
    if (!m) return undefined;
    const routing = this.#o.collections.routing;
    const entry = routing.entry(fqcn, type);
    if (typeof entry?.redirect === "string") return { redirect: entry.redirect };
    const [, collection, leaf] = m;
    const exists = collection === "ansible.builtin"
      ? this.#builtin(leaf, type)
      : this.#o.collections.pluginFile(collection, type, leaf) !== undefined;
    if (!exists) return undefined;
    const handler = type === "modules" ? entry?.action_plugin : undefined;
    return typeof handler === "string" ? { fqcn, actionPlugin: handler } : { fqcn };
  }

  /**
   * The name a task's module_defaults are looked up under: its module's when the module's routing names
   * the action plugin that runs it, else the task's resolved action (the action loader's answer, else
   * the module loader's), as Ansible's task executor decides. `parsed: false`: the action was named under
   * `action:`, where Ansible's parser resolves none (only the module's action plugin counts then).
   */
  taskName(action: string, collections: string[], opts: { parsed?: boolean } = {}): string | undefined {
    const module = this.resolve(action, "modules", collections);
    if (module?.actionPlugin) return module.fqcn;
    if (opts.parsed === false) return undefined;
    return (this.resolve(action, "action", collections) ?? module)?.fqcn;
  }

  /**
   * The names a module_defaults key stands for (Ansible's Base._resolve_action): a short key is
   * ansible.legacy's, and also ansible.builtin's; a module is preferred to an action of its name only
   * when its routing gives it an action plugin.
   */
  keyNames(key: string): string[] {
    const fq = key.split(".").length >= 3 ? key : `ansible.legacy.${key}`;
    const out: string[] = [];
    const one = this.#defaultsName(fq);
    if (one !== undefined) out.push(one);
    if (fq.startsWith("ansible.legacy.")) {
      const builtin = this.#defaultsName(`ansible.builtin.${fq.slice("ansible.legacy.".length)}`);
      if (builtin !== undefined && !out.includes(builtin)) out.push(builtin);
    }
    return out;
  }

  #defaultsName(name: string): string | undefined {
    const module = this.resolve(name, "modules");
    if (module?.actionPlugin) return module.fqcn;
    return (this.resolve(name, "action") ?? module)?.fqcn;
  }

  /** Whether the group's collection lists it in its `action_groups` (by full or short name). */
  groupExists(group: string): boolean {
    const fq = this.groupName(group);
    const collection = FQCR.exec(fq)![1];
    const groups = this.#o.collections.routing.actionGroups(collection);
    return Array.isArray(groups?.[fq] ?? groups?.[fq.slice(collection.length + 1)]);
  }

  /**
   * Whether a name that resolves nowhere is known to be wrong: always for a collection's, and for
   * ansible.builtin's (a short name is one) only where ansible-core is installed (without it mito cannot
   * tell a plugin it lacks from one that does not exist).
   */
  mayRefuse(name: string): boolean {
    const m = FQCR.exec(name);
    return (m !== null && m[1] !== "ansible.builtin" && m[1] !== "ansible.legacy") ||
      this.#o.ansibleDir !== undefined;
  }

  /** A group's fully qualified name: a short one is ansible.builtin's. */
  groupName(group: string): string {
    return FQCR.test(group) ? group : `ansible.builtin.${group}`;
  }

  /**
   * The fully qualified actions of action group `group` (`ns.coll.name`, or a short name of
   * ansible.builtin's), with the groups its metadata extends (each once, a loop cut), as Ansible resolves
   * a `group/…` key of module_defaults. Unknown groups hold nothing.
   */
  groupActions(group: string): string[] {
    const fq = this.groupName(group);
    const found = this.#groups.get(fq);
    if (found) return found;
    const actions: string[] = [];
    this.#groups.set(fq, actions); // a group extending itself, directly or not, stops here
    const collection = FQCR.exec(fq)![1];
    const resource = fq.slice(collection.length + 1);
    const groups = this.#o.collections.routing.actionGroups(collection);
    const list = groups?.[fq] ?? groups?.[resource];
    if (!Array.isArray(list)) return actions;
    const extend: string[] = [];
    let sawMetadata = false;
    for (const item of list) {
      if (typeof item === "string") {
        const name = FQCR.test(item) ? item : `${collection}.${item}`;
        const resolved = this.#defaultsName(name);
        if (resolved !== undefined) actions.push(resolved);
        continue;
      }
      this.#checkMetadata(item, sawMetadata, fq);
      const metadata = isMap(item) ? item.metadata : undefined;
      if (!isMap(metadata)) continue;
      sawMetadata = true;
      const more = metadata.extend_group ?? [];
      extend.length = 0;
      if (typeof more === "string") extend.push(more);
      else if (Array.isArray(more)) extend.push(...more.map(String));
    }
    for (const g of extend) actions.push(...this.groupActions(FQCR.test(g) ? g : `${collection}.${g}`));
    return actions;
  }

  /** Ansible's warning for an action group's metadata entry that is not as documented. */
  #checkMetadata(item: unknown, sawMetadata: boolean, group: string): void {
    const problems: string[] = [];
    const only = isMap(item) && "metadata" in item && Object.keys(item).length === 1;
    if (!only) {
      const keys = isMap(item) ? Object.keys(item).sort().join(", ") : "";
      problems.push(`The only expected key is metadata, but got keys: ${keys}`);
    } else {
      const metadata = (item as Record<string, unknown>).metadata;
      if (sawMetadata) problems.push("The group contains multiple metadata entries.");
      if (!isMap(metadata)) {
        problems.push(`The metadata is not a dictionary. Got ${pyStr(metadata)}`);
      } else {
        const unexpected = Object.keys(metadata).filter((k) => k !== "extend_group");
        if (unexpected.length) {
          problems.push(`The metadata contains unexpected keys: ${unexpected.join(", ")}`);
        }
        const eg = metadata.extend_group;
        if ("extend_group" in metadata && typeof eg !== "string" && !Array.isArray(eg)) {
          problems.push(
            `The metadata contains unexpected key types: extend_group is ${pyStr(eg)} (expected type list)`,
          );
        }
      }
    }
    if (problems.length) {
      this.#o.warning?.(
        [`Invalid metadata was found for action_group ${group} while loading module_defaults.`, ...problems]
          .join(" "),
      );
    }
  }
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Every module_defaults key of the playbooks must name a plugin or an action group, as Ansible checks when
 * it loads them: the first that does not stops the run before anything runs (Ansible's parser error).
 * ansible-core's own names are checked only where it is installed (see mayRefuse).
 */
export function checkModuleDefaults(playbooks: Playbook[], names: ActionNames): void {
  const seen = new Set<unknown>();
  const scope = (kw: Keywords) => {
    for (const md of asList(kw.module_defaults)) {
      if (!isMap(md) || seen.has(md)) continue;
      seen.add(md);
      for (const key of Object.keys(md)) {
        if (key.startsWith("group/")) {
          if (!names.groupExists(key.slice(6)) && names.mayRefuse(names.groupName(key.slice(6)))) {
            throw new PlaybookError(
              "Error loading module_defaults: could not resolve the module_defaults group " +
                names.groupName(key.slice(6)),
            );
          }
          names.groupActions(key.slice(6)); // resolved now, its metadata warned about, as Ansible loads it
        } else {
          const fq = key.split(".").length >= 3 ? key : `ansible.legacy.${key}`;
          if (names.keyNames(key).length === 0 && names.mayRefuse(fq)) {
            throw new PlaybookError(`Could not resolve action ${fq} in module_defaults`);
          }
        }
      }
    }
  };
  const items = (list: Item[]) => {
    for (const item of list) {
      scope(item.kw);
      if (item.kind === "block") { for (const part of [item.block, item.rescue, item.always]) items(part); }
    }
  };
  for (const pb of playbooks) {
    for (const play of pb.plays) {
      scope(play.kw);
      for (const section of play.sections) items(section);
      items(play.handlers);
      for (const role of play.roles) items(role.handlers);
    }
  }
}
