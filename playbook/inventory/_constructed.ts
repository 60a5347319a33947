// The `constructed` inventory plugin as ansible-core 2.14 runs it: over the hosts the sources before it
// made, variables composed from Jinja2 expressions (`compose`), groups from conditionals (`groups`) and
// from variable values (`keyed_groups`), all templated by mito's engine.
import * as path from "node:path";
import { type Group, type Host, type InventoryData, InventoryError } from "./_data.ts";
import { boolean, pyStr } from "../py/mod.ts";
import { pyTypeName, Templar, truthy, type VarLookup } from "../template/mod.ts";
import { safeGroupName } from "./_group_names.ts";

/** The names a constructed configuration's `plugin` key may give. */
export const CONSTRUCTED_NAMES = ["constructed", "ansible.builtin.constructed"];
/** What the plugin's verify_file accepts: no extension, `.config`, or YAML_FILENAME_EXTENSIONS. */
export const CONSTRUCTED_EXTS = ["", ".config", ".yml", ".yaml", ".json"];

export interface ConstructOptions {
  /** The name the plugin was loaded by (the enabled list's, or the `plugin` key auto read). */
  loadedAs: string;
  /** The engine compose expressions and conditionals are rendered by (Ansible's default mode if absent). */
  templar?: Templar;
  /** The run's extra variables, over the host's when `use_extra_vars` is on. */
  extraVars?: Record<string, unknown>;
  /** use_extra_vars's configured value ([inventory_plugins] use_extra_vars), when the file does not say. */
  useExtraVars?: boolean;
  /** group_vars/NAME or host_vars/NAME beside the sources parsed before this one (`use_vars_plugins`). */
  varsFiles(kind: "group_vars" | "host_vars", name: string): Record<string, unknown>;
  /** A host's cached facts (the fact cache), which the expressions may use. */
  facts?: (host: string) => Record<string, unknown> | undefined;
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** A boolean option as Ansible's configuration reads one: a word it does not know is false. */
function flag(config: Record<string, unknown>, key: string, dflt: boolean): boolean {
  const v = config[key];
  if (v === undefined || v === null) return dflt;
  return boolean(v, { strict: false });
}

/** Reads a constructed configuration (already parsed YAML) and applies it to every host of `inv`. */
export function constructInventory(
  config: unknown,
  file: string,
  inv: InventoryData,
  opts: ConstructOptions,
): void {
  if (config === null || config === undefined || (isMap(config) && !Object.keys(config).length)) {
    throw new InventoryError(`${file} is empty`);
  }
  const plugin = isMap(config) ? config.plugin : undefined;
  if (plugin !== opts.loadedAs) {
    throw new InventoryError(`Incorrect plugin name in file: ${pyStr(plugin ?? "none found")}`);
  }
  const c = config as Record<string, unknown>;
  const strict = flag(c, "strict", false);
  const useVarsPlugins = flag(c, "use_vars_plugins", false);
  const useExtra = flag(c, "use_extra_vars", opts.useExtraVars ?? false);
  const leadingSeparator = flag(c, "leading_separator", true);
  const templar = (opts.templar ?? new Templar({ native: false })).withOptions({
    basedir: path.dirname(file),
  });
  // Inventory plugins make the names they build safe whatever transform_invalid_group_chars says, quietly.
  const sanitize = (name: string) => safeGroupName(name, "silently");
  const lookup = (vars: Record<string, unknown>): VarLookup => {
    const all = useExtra ? { ...vars, ...opts.extraVars } : vars;
    return { get: (n) => (Object.hasOwn(all, n) ? all[n] : undefined) };
  };
  // Ansible's `'%s%s%s' % ('{{', expr, '}}')`: the expression as Python prints it, between the delimiters,
  // rendered with lookups disabled (the conditionals and parent_group may use them)
  const noLookups = templar.withOptions({ disableLookups: true });
  const compose = (expr: unknown, vars: Record<string, unknown>) =>
    noLookups.template(`{{${pyStr(expr)}}}`, lookup(vars));

  /** What the expressions see: the host's groups' variables, its own, its magic ones, its cached facts. */
  const hostVars = (h: Host): Record<string, unknown> => {
    const groups = inv.sortedGroups(h);
    let out: Record<string, unknown> = {};
    for (const g of groups) out = { ...out, ...g.vars };
    if (useVarsPlugins) { for (const g of groups) out = { ...out, ...opts.varsFiles("group_vars", g.name) }; }
    const own: Record<string, unknown> = { ...h.vars };
    if (h.source) Object.assign(own, { inventory_file: h.source, inventory_dir: path.dirname(h.source) });
    Object.assign(own, magicVars(h, groups));
    out = { ...out, ...own };
    if (useVarsPlugins) out = { ...out, ...opts.varsFiles("host_vars", h.name) };
    return { ...out, ...opts.facts?.(h.name) };
  };

  try {
    for (const h of [...inv.hosts.values()]) {
      let vars = hostVars(h);
      const composed = c.compose;
      if (isMap(composed)) {
        for (const [name, expr] of Object.entries(composed)) {
          let value: unknown;
          try {
            value = compose(expr, vars);
          } catch (e) {
            if (!(e instanceof Error)) throw e;
            if (strict) throw new InventoryError(`Could not set ${name} for host ${h.name}: ${e.message}`);
            continue;
          }
          h.vars[name] = value;
        }
      }
      vars = hostVars(h);
      addToComposedGroups(c.groups, vars, h);
      addToKeyedGroups(c.keyed_groups, vars, h);
    }
  } catch (e) {
    if (!(e instanceof InventoryError)) throw e;
    // Ansible's error names its cause, and its text then adds the cause again
    throw new InventoryError(`failed to parse ${file}: ${e.message} . ${e.message}`);
  }

  function addToComposedGroups(groups: unknown, vars: Record<string, unknown>, h: Host) {
    if (!isMap(groups)) return;
    for (const [raw, cond] of Object.entries(groups)) {
      const name = sanitize(raw);
      let member: boolean;
      try {
        member = boolean(
          templar.template(`{% if ${pyStr(cond)} %} True {% else %} False {% endif %}`, lookup(vars), {
            native: false,
          }),
        );
      } catch (e) {
        if (!(e instanceof Error)) throw e;
        if (strict) throw new InventoryError(`Could not add host ${h.name} to group ${name}: ${e.message}`);
        continue;
      }
      if (member) addHostTo(h, name);
    }
  }

  function addToKeyedGroups(keyedGroups: unknown, vars: Record<string, unknown>, h: Host) {
    if (!Array.isArray(keyedGroups)) return;
    for (const keyed of keyedGroups) {
      if (!isMap(keyed) || !Object.keys(keyed).length) {
        throw new InventoryError(`Invalid keyed group entry, it must be a dictionary: ${pyStr(keyed)} `);
      }
      let key: unknown;
      try {
        key = compose(keyed.key ?? null, vars);
      } catch (e) {
        if (!(e instanceof Error)) throw e;
        if (strict) {
          throw new InventoryError(
            `Could not generate group for host ${h.name} from ${
              pyStr(keyed.key ?? null)
            } entry: ${e.message}`,
          );
        }
        continue;
      }
      const defaultValue = keyed.default_value ?? null;
      const trailingSeparator = keyed.trailing_separator ?? null;
      if (trailingSeparator !== null && defaultValue !== null) {
        throw new InventoryError(
          "parameters are mutually exclusive for keyed groups: default_value|trailing_separator",
        );
      }
      if (!(truthy(key) || (key === "" && defaultValue !== null))) {
        // an empty list or mapping asks for no group; anything else empty is a mistake under strict
        const emptyCollection = (Array.isArray(key) || isMap(key)) && !truthy(key);
        if (strict && !emptyCollection) {
          throw new InventoryError(
            `No key or key resulted empty for ${pyStr(keyed.key ?? null)} in host ${h.name}, invalid entry`,
          );
        }
        continue;
      }
      // Python's dict.get: a key given as null is None, which prints as "None"
      const prefix = pyStr(Object.hasOwn(keyed, "prefix") ? keyed.prefix : "");
      let sep = pyStr(Object.hasOwn(keyed, "separator") ? keyed.separator : "_");
      let parent: unknown = keyed.parent_group ?? null;
      if (truthy(parent)) {
        try {
          parent = templar.template(parent, lookup(vars), { native: false });
        } catch (e) {
          if (!(e instanceof Error)) throw e;
          if (strict) {
            throw new InventoryError(
              `Could not generate parent group ${pyStr(parent)} for group ${pyStr(key)}: ${e.message}`,
            );
          }
          continue;
        }
      }
      const bare: unknown[] = [];
      if (typeof key === "string") bare.push(key === "" && defaultValue !== null ? defaultValue : key);
      else if (Array.isArray(key)) {
        for (const k of key) bare.push(k === "" && defaultValue !== null ? defaultValue : k);
      } else if (isMap(key)) {
        for (const [k, v] of Object.entries(key)) {
          let name = `${k}${sep}${pyStr(v)}`;
          if (v === "") {
            if (defaultValue !== null) name = `${k}${sep}${pyStr(defaultValue)}`;
            else if (trailingSeparator === false) name = k;
          }
          bare.push(name);
        }
      } else {
        throw new InventoryError(
          `Invalid group name format, expected a string or a list of them or dictionary, got: <class '${
            pyTypeName(key)
          }'>`,
        );
      }
      for (const b of bare) {
        if (prefix === "" && !leadingSeparator) sep = "";
        const name = sanitize(`${prefix}${sep}${pyStr(b)}`);
        addHostTo(h, name);
        if (truthy(parent)) {
          const p = sanitize(pyStr(parent));
          inv.addGroup(p);
          inv.addChild(p, name);
        }
      }
    }
  }

  function addHostTo(h: Host, group: string) {
    inv.addGroup(group);
    inv.addHost(h.name, group);
  }
}

/** Host.get_magic_vars: the name, its short form (an IP address stays whole), its groups but `all`. */
function magicVars(h: Host, groups: Group[]): Record<string, unknown> {
  const short = IPV4.test(h.name) || h.name.includes(":") ? h.name : h.name.split(".")[0];
  return {
    inventory_hostname: h.name,
    inventory_hostname_short: short,
    group_names: groups.map((g) => g.name).filter((n) => n !== "all").sort(),
  };
}
