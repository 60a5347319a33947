// The inventory: sources (INI, YAML, scripts, directories, `a,b,` lists), group_vars/host_vars beside
// them, host patterns and limits, and host variables with Ansible's group precedence.
import * as fs from "node:fs";
import * as path from "node:path";
import * as childProcess from "node:child_process";
import process from "node:process";
import { isDeepStrictEqual } from "node:util";
import { YamlError } from "../yaml/mod.ts";
import { strRepr } from "../py/mod.ts";
import { type Config, DEFAULT_INVENTORY_IGNORE_EXTS } from "../config/mod.ts";
import type { VaultSecrets } from "../vault/mod.ts";
import type { Templar } from "../template/mod.ts";
import { CONSTRUCTED_EXTS, CONSTRUCTED_NAMES, constructInventory } from "./_constructed.ts";
import {
  DEFAULT_ENABLED_PLUGINS,
  type EnabledPlugin,
  enabledPlugins,
  parseHostList,
  SourceFile,
} from "./_plugins.ts";
import { type Group, type Host, InventoryData, InventoryError, LOCALHOST_NAMES } from "./_data.ts";
import { parseIni } from "./_ini.ts";
import { ansibleInventoryPlugins, runPythonInventoryPlugin } from "./_python_plugin.ts";
import { parseYamlInventory } from "./_yaml_inventory.ts";
import { loadVarsDir } from "./_vars_dir.ts";
import { expandRanges, splitPort } from "./_hostpattern.ts";
import {
  applySubscript,
  matcherFor,
  orderPatterns,
  PatternError,
  splitHostPattern,
  splitSubscript,
} from "./_patterns.ts";

export type { Group, Host };
export { InventoryError, loadVarsDir, PatternError, splitHostPattern };

export { LOCALHOST_NAMES };

/** Extensions Ansible skips when reading a directory of inventory files (INVENTORY_IGNORE_EXTS). */
export const IGNORED_EXTS = DEFAULT_INVENTORY_IGNORE_EXTS;
const IGNORED_NAMES = /^(?:\..*|host_vars|group_vars|vars_plugins)$/;

export interface InventoryOptions {
  vault?: VaultSecrets;
  cwd?: string;
  /** What Ansible only warns about (unparsable sources, skipped keys, unmatched patterns). */
  onWarning?: (message: string) => void;
  /** Extensions skipped in inventory directories (the inventory_ignore_extensions setting). */
  ignoreExts?: string[];
  /** The controller's Python for the implicit localhost (default /usr/bin/python3 when present). */
  python?: string;
  /** inventory_unparsed_failure: no source parsed at all is an error, not a warning. */
  unparsedIsFailed?: boolean;
  /** inventory_any_unparsed_is_failed: any source that no format can parse is an error. */
  anyUnparsedIsFailed?: boolean;
  /** INVENTORY_ENABLED ([inventory] enable_plugins): the plugins offered each source, in order. */
  enabledPlugins?: string[];
  /** What the constructed plugin renders its expressions with (Ansible's default mode when absent). */
  templar?: Templar;
  /** The run's extra variables (the constructed plugin's use_extra_vars). */
  extraVars?: Record<string, unknown>;
  /** [inventory_plugins] use_extra_vars: the constructed plugin's default. */
  useExtraVars?: boolean;
  /** A host's cached facts, which constructed expressions may use (the fact cache). */
  factsOf?: (host: string) => Record<string, unknown> | undefined;
  /** transform_invalid_group_chars: what a group name a variable could not have becomes. */
  transformGroupChars?: string;
  /** host_pattern_mismatch: a pattern that matches nothing is warned about (the default), an error, or not said. */
  patternMismatch?: string;
  /** Messages Ansible shows at some verbosity (-vvv: a host range left as written). */
  onVerbose?: (message: string, level: number) => void;
  /**
   * Inventory plugins mito lacks (a collection's, an inventory_plugins/ folder's) run by ansible-core with
   * this Python, when it imports ansible; `basedirs` are the folders whose inventory_plugins/ count (the
   * playbooks', --playbook-dir). Default: the controller's /usr/bin/python3, no folders.
   */
  ansiblePlugins?: { python: string; basedirs: string[]; flushCache?: boolean };
}

/** The options the configuration decides (inventory_ignore_extensions, the inventory_*unparsed* ones). */
export function configuredOptions(
  cfg: Pick<
    Config,
    | "inventoryIgnoreExts"
    | "inventoryUnparsedIsFailed"
    | "inventoryAnyUnparsedIsFailed"
    | "inventoryEnabled"
    | "inventoryUseExtraVars"
    | "transformInvalidGroupChars"
    | "hostPatternMismatch"
  >,
): InventoryOptions {
  return {
    ignoreExts: cfg.inventoryIgnoreExts,
    unparsedIsFailed: cfg.inventoryUnparsedIsFailed,
    anyUnparsedIsFailed: cfg.inventoryAnyUnparsedIsFailed,
    enabledPlugins: cfg.inventoryEnabled,
    useExtraVars: cfg.inventoryUseExtraVars,
    transformGroupChars: cfg.transformInvalidGroupChars,
    patternMismatch: cfg.hostPatternMismatch,
  };
}

/** One format's attempt at a source that failed, e.g. { plugin: "ini", message: "hosts:3: …" }. */
interface Attempt {
  plugin: string;
  message: string;
}

const isPlainMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype;

function defaultPython(): string {
  for (const p of ["/usr/bin/python3", "/usr/bin/python"]) if (fs.existsSync(p)) return p;
  return "/usr/bin/python3";
}

/** host_pattern_mismatch=error: a pattern that names nothing stops ansible-playbook with exit 1. */
export class PatternMismatchError extends PatternError {
  override name = "PatternMismatchError";
}

/** An --limit @file that is no file: ansible-playbook stops with exit 1, not as on a parse error. */
export class LimitFileError extends InventoryError {
  override name = "LimitFileError";
}

export class Inventory {
  #data = new InventoryData();
  #sources: string[] = [];
  #parsed = false;
  /** The directories of the file sources parsed so far (where vars plugins look, for constructed). */
  #processed: string[] = [];
  /** The sources parsed so far, as Ansible's inventory.processed_sources lists them. */
  #processedSources: string[] = [];
  #opts: InventoryOptions;
  #implicitLocalhost?: Host;
  #varsCache = new Map<string, Record<string, unknown> | undefined>();

  private constructor(opts: InventoryOptions) {
    this.#opts = opts;
    this.#data.warn = (m) => this.#warn(m);
    this.#data.groupChars = opts.transformGroupChars ?? "never";
  }

  /**
   * Reads every source; no sources gives an empty inventory (only the implicit localhost). As in
   * ansible-playbook, a source no format can parse is skipped with warnings naming each format's
   * failure (file and line), unless the inventory_*unparsed* settings make that an error; unlike it, a
   * source that fails halfway adds none of its hosts (Ansible keeps those read before the bad line).
   */
  static load(sources: string[], opts: InventoryOptions = {}): Inventory {
    const inv = new Inventory(opts);
    const cwd = opts.cwd ?? process.cwd();
    for (const src of sources) {
      const isList = src.includes(",") && !fs.existsSync(path.resolve(cwd, src));
      const abs = isList ? src : path.resolve(cwd, src);
      inv.#sources.push(abs);
      if (inv.#parseSource(abs, isList)) inv.#parsed = true;
    }
    if (!inv.#parsed) {
      if (opts.unparsedIsFailed) {
        throw new InventoryError("No inventory was parsed, please check your configuration and options.");
      }
      inv.#warn("No inventory was parsed, only implicit localhost is available");
    }
    inv.#data.reconcile();
    return inv;
  }

  /** Whether some source was parsed (else only the implicit localhost exists). */
  get parsed(): boolean {
    return this.#parsed;
  }

  /** The sources as given (absolute paths, or the `a,b,` text). */
  get sources(): readonly string[] {
    return this.#sources;
  }

  #warn(m: string) {
    this.#opts.onWarning?.(m);
  }

  /** The enabled plugins mito has, in the configured order (warned about once, as Ansible's display does). */
  #plugins?: EnabledPlugin[];
  #enabledPlugins(): EnabledPlugin[] {
    if (!this.#plugins) {
      const names = this.#opts.enabledPlugins ?? DEFAULT_ENABLED_PLUGINS;
      const { plugins, unknown } = enabledPlugins(names);
      // the names mito has no plugin for may be ansible-core's (a collection's, a plugin folder's)
      const theirs = new Set(unknown.length ? ansibleInventoryPlugins(unknown, this.#bridge()) ?? [] : []);
      for (const name of unknown) {
        if (!theirs.has(name)) this.#warn(`Failed to load inventory plugin, skipping ${name}`);
      }
      this.#plugins = names.flatMap((n) =>
        theirs.has(n)
          ? [{ kind: "ansible" as const, name: n, label: n }]
          : plugins.filter((p) => p.name === n)
      );
    }
    if (!this.#plugins.length) {
      throw new InventoryError(
        "No inventory plugins available to generate inventory, make sure you have at least one enabled.",
      );
    }
    return this.#plugins;
  }

  /** Whether the source was parsed; one that was not has been warned about (or thrown for). */
  #parseSource(src: string, isList: boolean): boolean {
    let st: fs.Stats | undefined;
    if (!isList) {
      try {
        st = fs.statSync(src);
      } catch {
        // no plugin wants a path that is not there: Ansible says only that it could not parse it
      }
    }
    if (st?.isDirectory()) {
      let parsed = false;
      for (const name of fs.readdirSync(src).sort()) {
        const ignored = this.#opts.ignoreExts ?? IGNORED_EXTS;
        if (IGNORED_NAMES.test(name) || ignored.some((e) => name.endsWith(e))) continue;
        if (this.#parseSource(path.join(src, name), false)) parsed = true;
      }
      // a directory none of whose entries parsed (an empty one too) is itself an unparsed source
      return parsed || this.#unparsed(src, []);
    }
    this.#data.currentSource = st ? src : undefined;
    const failures = this.#parseWithPlugins(src, st);
    this.#data.currentSource = undefined;
    if (failures) return this.#unparsed(src, failures);
    if (st) this.#processed.push(path.dirname(src));
    this.#processedSources.push(src);
    return true;
  }

  /** Ansible's report of a source no format could parse: each format's failure, then the verdict. */
  #unparsed(src: string, failures: Attempt[]): false {
    for (const f of failures) this.#warn(`\n* Failed to parse ${src} with ${f.plugin} plugin: ${f.message}`);
    if (this.#opts.anyUnparsedIsFailed) {
      throw new InventoryError(`Completely failed to parse inventory source ${src}`);
    }
    this.#warn(`Unable to parse ${src} as an inventory source`);
    return false;
  }

  /**
   * Offers the source to each enabled plugin in order, as Ansible does: a plugin that wants it (its
   * verify_file) parses it, the first that succeeds ends the search; returns the failures when none did
   * (no plugin wanting the source is a failure with none). Each parse goes into a copy of the inventory so
   * that only a plugin that parses the whole source changes it: a text format is tried on the groups alone
   * and, having parsed, read again into the inventory itself; a script (which must run once) and the
   * constructed plugin (which reads the hosts and their variables) into a full copy that replaces it.
   */
  #parseWithPlugins(src: string, st: fs.Stats | undefined): Attempt[] | undefined {
    const failures: Attempt[] = [];
    const attempt = (
      plugin: string,
      parse: (data: InventoryData, warn: (m: string) => void) => void,
      once = false,
    ): boolean => {
      const trial = this.#data.clone({ groupsOnly: !once });
      // The trial's warnings are shown once: now if it fails, else by the parse that keeps its result;
      // those of the inventory itself (group names, a second localhost) with the parse's own.
      const held: string[] = [];
      trial.warn = once ? (m) => this.#warn(m) : (m) => held.push(m);
      try {
        parse(trial, once ? (m) => this.#warn(m) : (m) => held.push(m));
      } catch (e) {
        if (!(e instanceof InventoryError || e instanceof YamlError)) throw e;
        for (const m of held) this.#warn(m);
        failures.push({ plugin, message: e.message });
        return false;
      }
      if (once) this.#data = trial;
      else parse(this.#data, (m) => this.#warn(m));
      return true;
    };
    const source = new SourceFile(src, this.#opts.vault);
    const ext = path.extname(src);
    const readable = st?.isFile() === true || st?.isFIFO() === true;
    for (const { kind, name, label } of this.#enabledPlugins()) {
      switch (kind) {
        case "host_list":
        case "advanced_host_list":
          // a list: text with a comma that names no file
          if (st || !src.includes(",")) continue;
          if (attempt(label, (data) => parseHostList(src, data, kind === "advanced_host_list", this.#log))) {
            return;
          }
          continue;
        case "script":
          if (!readable || (st!.mode & 0o111) === 0) continue;
          if (attempt(label, (data) => this.#parseScript(src, data), true)) return;
          continue;
        case "auto":
          if (!readable || ![".yml", ".yaml"].includes(ext)) continue;
          if (attempt(label, (data) => this.#auto(src, source, data), true)) return;
          continue;
        case "yaml":
          if (!readable || !["", ".yml", ".yaml", ".json"].includes(ext)) continue;
          if (attempt(label, (inv, warn) => this.#yamlInventory(src, source, inv, warn))) return;
          continue;
        case "ini":
          if (!readable) continue;
          if (attempt(label, (data) => parseIni(source.text(), src, data))) return;
          continue;
        case "toml":
          // ansible-core's TOML reader, when the controller has it; else the source goes on to the next
          if (!readable || ext !== ".toml") continue;
          if (attempt(label, (data) => this.#ansiblePlugin(name, src, data), true)) return;
          continue;
        case "ansible": {
          // ansible-core's plugin decides itself whether it wants the source (its verify_file)
          let declined = false;
          const ran = attempt(label, (data) => {
            declined = this.#ansiblePlugin(name, src, data, true) === "declined";
          }, true);
          if (ran && !declined) return;
          continue;
        }
        case "constructed":
          if (!readable || !CONSTRUCTED_EXTS.includes(ext)) continue;
          if (attempt(label, (data) => this.#constructed(src, source, data, name), true)) return;
          continue;
      }
    }
    return failures;
  }

  /**
   * The auto plugin: a YAML file whose `plugin` key names the plugin that parses it (its failure is then
   * reported as auto's). mito has the constructed plugin; the others (cloud ones) it refuses by name.
   */
  #auto(src: string, source: SourceFile, data: InventoryData) {
    const config = source.yaml();
    const name = isPlainMap(config) ? config.plugin : undefined;
    if (!name) {
      throw new InventoryError(
        `no root 'plugin' key found, '${src}' is not a valid YAML inventory plugin config file`,
      );
    }
    if (CONSTRUCTED_NAMES.includes(String(name))) return this.#constructed(src, source, data, String(name));
    this.#ansiblePlugin(String(name), src, data);
  }

  /** An inventory plugin mito lacks, run by ansible-core; without it mito says it lacks the plugin. */
  #ansiblePlugin(name: string, src: string, data: InventoryData, enabled = false): "ran" | "declined" {
    const ran = runPythonInventoryPlugin(name, src, data, {
      ...this.#bridge(),
      processed: [...this.#processedSources],
      extraVars: this.#opts.extraVars,
      flushCache: this.#opts.ansiblePlugins?.flushCache,
      enabled,
    });
    if (ran === "missing") throw new InventoryError(`inventory plugin '${name}' is not supported by mito`);
    return ran;
  }

  #bridge() {
    return {
      python: this.#opts.ansiblePlugins?.python ?? defaultPython(),
      basedirs: this.#opts.ansiblePlugins?.basedirs ?? [],
      cwd: this.#opts.cwd,
    };
  }

  /** The constructed plugin, loaded as `loadedAs` (the name its configuration must give). */
  #constructed(src: string, source: SourceFile, into: InventoryData, loadedAs: string) {
    const processed = [...new Set(this.#processed)];
    constructInventory(source.yaml(), src, into, {
      loadedAs,
      templar: this.#opts.templar,
      extraVars: this.#opts.extraVars,
      useExtraVars: this.#opts.useExtraVars,
      varsFiles: (kind, name) => {
        const out: Record<string, unknown> = {};
        for (const d of processed) Object.assign(out, this.#varsFrom(d, kind, name) ?? {});
        return out;
      },
      facts: this.#opts.factsOf,
    });
  }

  #log = (message: string, level: number) => this.#opts.onVerbose?.(message, level);

  /** The yaml plugin: groups, hosts and vars; it leaves plugin configurations (and empty files) to others. */
  #yamlInventory(src: string, source: SourceFile, into: InventoryData, warn: (m: string) => void) {
    const data = source.yaml();
    if (data === null || (isPlainMap(data) && !Object.keys(data).length)) {
      throw new InventoryError("Parsed empty YAML file");
    }
    if (isPlainMap(data) && data.plugin) {
      throw new InventoryError("Plugin configuration YAML file, not YAML inventory");
    }
    parseYamlInventory(data, src, into, warn);
  }

  #parseScript(file: string, into: InventoryData) {
    const r = childProcess.spawnSync(file, ["--list"], { encoding: "utf8", maxBuffer: 1 << 28 });
    if (r.error || r.status !== 0) {
      throw new InventoryError(
        `Inventory script (${file}) had an execution error: ${r.error?.message ?? r.stderr.trim()}`,
      );
    }
    let data: unknown;
    try {
      data = JSON.parse(r.stdout);
    } catch (e) {
      throw new InventoryError(
        `${file}: failed to parse inventory script output as JSON: ${(e as Error).message}`,
      );
    }
    if (!isPlainMap(data)) throw new InventoryError(`${file}: inventory script output is not a JSON object`);
    const meta = isPlainMap(data._meta) ? data._meta : undefined;
    const hostvars = meta && isPlainMap(meta.hostvars) ? meta.hostvars : {};
    for (const [gname, g] of Object.entries(data)) {
      if (gname === "_meta") continue;
      const group = into.addGroup(gname).name;
      const gd = Array.isArray(g) ? { hosts: g } : isPlainMap(g) ? g : {};
      if (!Array.isArray(g) && !isPlainMap(g)) continue;
      for (const h of (gd.hosts as unknown[] | undefined) ?? []) into.addHost(String(h), group);
      for (const [k, v] of Object.entries(isPlainMap(gd.vars) ? gd.vars : {})) {
        into.setGroupVar(group, k, v);
      }
    }
    for (const [gname, g] of Object.entries(data)) {
      if (gname === "_meta" || !isPlainMap(g) || !Array.isArray(g.children)) continue;
      const parent = into.addGroup(gname).name;
      for (const c of g.children) into.addChild(parent, into.addGroup(String(c)).name);
    }
    for (const [h, vars] of Object.entries(hostvars)) {
      if (!isPlainMap(vars)) continue;
      const host = into.addHost(h);
      Object.assign(host.vars, vars);
    }
    if (meta) return;
    // Without _meta the script is asked for each host's variables (the protocol's older form).
    for (const [name, host] of into.hosts) {
      if (host.source !== file) continue;
      const hr = childProcess.spawnSync(file, ["--host", name], { encoding: "utf8", maxBuffer: 1 << 26 });
      if (hr.error || hr.status !== 0) {
        throw new InventoryError(
          `Inventory script (${file}) had an execution error for --host ${name}: ${
            hr.error?.message ?? hr.stderr.trim()
          }`,
        );
      }
      let hv: unknown;
      try {
        hv = JSON.parse(hr.stdout || "{}");
      } catch (e) {
        throw new InventoryError(`${file} --host ${name}: output is not JSON: ${(e as Error).message}`);
      }
      if (isPlainMap(hv)) Object.assign(host.vars, hv);
    }
  }

  hosts(): Host[] {
    return [...this.#data.hosts.values()];
  }

  /** A host by name; the implicit localhost when asked for one of localhost's names that is not listed. */
  getHost(name: string): Host | undefined {
    const h = this.#data.hosts.get(name);
    if (h) return h;
    if (!LOCALHOST_NAMES.includes(name)) return undefined;
    // Ansible answers any of localhost's names with the first such host the inventory lists.
    for (const n of LOCALHOST_NAMES) {
      const listed = this.#data.hosts.get(n);
      if (listed) return listed;
    }
    return this.#localhost(name);
  }

  #localhost(name: string): Host {
    if (!this.#implicitLocalhost) {
      // an add_host of another localhost-like name later is then a second one, as in Ansible
      this.#data.localhost ??= name;
      this.#implicitLocalhost = {
        name,
        vars: {
          ansible_python_interpreter: this.#opts.python ?? defaultPython(),
          ansible_connection: "local",
        },
        groups: new Set(),
        implicit: true,
      };
    }
    return this.#implicitLocalhost;
  }

  groups(): Group[] {
    return [...this.#data.groups.values()];
  }

  getGroup(name: string): Group | undefined {
    return this.#data.groups.get(name);
  }

  /** Hosts a pattern selects, in inventory order; `limit` narrows them as --limit does. */
  selectHosts(pattern: string | string[], opts: { limit?: string[] } = {}): Host[] {
    let names = this.#evaluate(orderPatterns(splitHostPattern(pattern)));
    if (opts.limit && opts.limit.length) {
      const terms: string[] = [];
      for (const l of opts.limit) {
        for (const t of splitHostPattern(l)) {
          if (t.startsWith("@") || t.startsWith("!@")) {
            const neg = t.startsWith("!");
            const written = t.slice(neg ? 2 : 1);
            const file = path.resolve(this.#opts.cwd ?? process.cwd(), written);
            // Ansible names the file as written, as the bytes it is (b'…')
            const shown = `b${strRepr(written)}`;
            let stat: fs.Stats | undefined;
            try {
              stat = fs.statSync(file);
            } catch {
              throw new LimitFileError(`Unable to find limit file ${shown}`);
            }
            if (!stat.isFile()) {
              throw new LimitFileError(`Limit starting with "@" must be a file, not a directory: ${shown}`);
            }
            const text = fs.readFileSync(file, "utf8");
            for (const line of text.split(/\r?\n/)) {
              const s = line.trim();
              if (s) terms.push(neg ? `!${s}` : s);
            }
          } else terms.push(t);
        }
      }
      const allowed = new Set(this.#evaluate(orderPatterns(terms)));
      names = names.filter((n) => allowed.has(n));
    }
    return names.map((n) => this.getHost(n)!);
  }

  #evaluate(terms: string[]): string[] {
    let hosts: string[] = [];
    for (const t of terms) {
      if (t[0] === "!") {
        const that = new Set(this.#matchOne(t.slice(1)));
        hosts = hosts.filter((h) => !that.has(h));
      } else if (t[0] === "&") {
        const that = new Set(this.#matchOne(t.slice(1)));
        hosts = hosts.filter((h) => that.has(h));
      } else {
        const have = new Set(hosts);
        for (const h of this.#matchOne(t)) {
          if (!have.has(h)) {
            have.add(h);
            hosts.push(h);
          }
        }
      }
    }
    return hosts;
  }

  #matchOne(term: string): string[] {
    const { expr, sub } = splitSubscript(term);
    const hosts = this.#enumerate(expr);
    if (sub) {
      const picked = applySubscript(hosts, sub);
      if (!picked.length) throw new PatternError(`No hosts matched the subscripted pattern '${term}'`);
      return picked;
    }
    return hosts;
  }

  #enumerate(pattern: string): string[] {
    const match = matcherFor(pattern);
    const out: string[] = [];
    const seen = new Set<string>();
    const groups = [...this.#data.groups.keys()].filter(match);
    for (const g of groups) {
      for (const h of this.#data.groupHosts(g)) {
        if (!seen.has(h)) {
          seen.add(h);
          out.push(h);
        }
      }
    }
    if (!groups.length || pattern[0] === "~" || /[.?*[]/.test(pattern)) {
      for (const h of this.#data.hosts.keys()) {
        if (!seen.has(h) && match(h)) {
          seen.add(h);
          out.push(h);
        }
      }
    }
    if (!out.length && LOCALHOST_NAMES.includes(pattern)) out.push(this.getHost(pattern)!.name);
    // a group that matches, empty or not, is no mismatch
    if (!out.length && !groups.length && pattern !== "all") {
      const msg = `Could not match supplied host pattern, ignoring: ${pattern}`;
      if (this.#opts.patternMismatch === "error") throw new PatternMismatchError(msg);
      if (this.#opts.patternMismatch !== "ignore") this.#warn(msg);
    }
    return out;
  }

  /**
   * Whether addHost would change the inventory, as add_host reports `changed`: a new host, a new group,
   * the host new to one of its groups, or a variable it does not have with that value.
   */
  addHostChanges(name: string, opts: { groups?: string[]; vars?: Record<string, unknown> } = {}): boolean {
    const h = this.#data.hosts.get(splitPort(name).host);
    if (!h) return true;
    if ((opts.groups ?? []).some((g) => !h.groups.has(g))) return true;
    return Object.entries(opts.vars ?? {}).some(([k, v]) =>
      !(k in h.vars) || !isDeepStrictEqual(h.vars[k], v)
    );
  }

  /**
   * Whether group_by putting a host in a group under these parents would change the inventory (its
   * `changed`, as Ansible's inventory answers it): a parent or a parent link to make, or the host not yet
   * in the group.
   */
  groupByChanges(host: string, group: string, parents: string[]): boolean {
    const g = this.#data.groups.get(group);
    if (!g) return true;
    if (parents.some((p) => !this.#data.groups.get(p)?.children.includes(group))) return true;
    return !this.#data.hosts.get(host)?.groups.has(group);
  }

  /** Adds (or updates) a host as the add_host action does. */
  addHost(
    name: string,
    opts: { groups?: string[]; vars?: Record<string, unknown>; existing?: boolean } = {},
  ): Host {
    const { host: hname, port } = splitPort(name);
    // group_by puts a host that is there in a group: the implicit localhost joining one is no second localhost
    const implicit = opts.existing === true && this.#implicitLocalhost?.name === hname;
    const h = this.#data.addHost(hname, undefined, port, implicit);
    for (const g of opts.groups ?? []) {
      // a new group's name may be made safe: the host joins the group under the name it got
      this.#data.addHost(hname, this.#data.groups.has(g) ? g : this.addGroup(g).name);
    }
    Object.assign(h.vars, opts.vars ?? {});
    // Only this host can have changed: the work stays proportional to the task, not the inventory.
    this.#data.reconcileHost(h);
    return h;
  }

  /** Adds a group (group_by); parentless groups become children of `all`. */
  addGroup(name: string, opts: { parent?: string; vars?: Record<string, unknown> } = {}): Group {
    const g = this.#data.addGroup(name);
    const parent = opts.parent ? this.#data.addGroup(opts.parent).name : undefined;
    if (parent) this.#data.addChild(parent, g.name);
    for (const [k, v] of Object.entries(opts.vars ?? {})) this.#data.setGroupVar(g.name, k, v);
    if (parent) this.#data.reconcileGroup(parent);
    this.#data.reconcileGroup(g.name);
    return g;
  }

  /** `group_names`: the host's groups and their ancestors, sorted, without `all`. */
  groupNamesOf(host: Host | string): string[] {
    const h = typeof host === "string" ? this.getHost(host) : host;
    if (!h) return [];
    return [...this.#data.hostGroupsWithAncestors(h)].filter((g) => g !== "all").sort();
  }

  /** The `groups` magic variable. */
  groupsMap(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const g of this.#data.groups.keys()) out[g] = this.#data.groupHosts(g);
    return out;
  }

  /** The hosts of a group and its descendants, in Ansible's order. */
  groupHosts(name: string): string[] {
    return this.#data.groupHosts(name);
  }

  /** Groups of a host ordered as Ansible layers their variables: depth, priority, name. */
  sortedGroupsOf(host: Host): Group[] {
    return this.#data.sortedGroups(host).filter((g) => g.name !== "all");
  }

  /** Directories whose group_vars/ and host_vars/ belong to the inventory. */
  varsBasedirs(): string[] {
    const out: string[] = [];
    for (const s of this.#sources) {
      if (s.includes(",") && !fs.existsSync(s)) continue;
      let dir = s;
      try {
        if (!fs.statSync(s).isDirectory()) dir = path.dirname(s);
      } catch {
        continue;
      }
      out.push(dir);
    }
    return out;
  }

  #varsFrom(
    dir: string,
    kind: "group_vars" | "host_vars",
    name: string,
  ): Record<string, unknown> | undefined {
    const key = `${dir}\0${kind}\0${name}`;
    if (!this.#varsCache.has(key)) {
      this.#varsCache.set(key, loadVarsDir(path.join(dir, kind), name, { vault: this.#opts.vault }));
    }
    return this.#varsCache.get(key);
  }

  /** Variables of a group as `ansible-inventory` shows them: its own plus its group_vars files. */
  groupVars(name: string, opts: { playbookDirs?: string[] } = {}): Record<string, unknown> {
    const g = this.#data.groups.get(name);
    const out: Record<string, unknown> = { ...(g?.vars ?? {}) };
    for (const d of [...this.varsBasedirs(), ...(opts.playbookDirs ?? [])]) {
      Object.assign(out, this.#varsFrom(d, "group_vars", name) ?? {});
    }
    return out;
  }

  /** A host's own variables as `ansible-inventory --export` shows them: inline vars and host_vars files. */
  hostOwnVars(host: Host | string, opts: { playbookDirs?: string[] } = {}): Record<string, unknown> {
    const h = typeof host === "string" ? this.getHost(host) : host;
    if (!h) return {};
    const out: Record<string, unknown> = { ...h.vars };
    for (const d of [...this.varsBasedirs(), ...(opts.playbookDirs ?? [])]) {
      Object.assign(out, this.#varsFrom(d, "host_vars", h.name) ?? {});
    }
    return out;
  }

  /**
   * Inventory variables of a host in Ansible's order: `all` vars, other groups' vars (depth, priority,
   * name), group_vars/all files, group_vars/<group> files, host vars, host_vars files. `playbookDirs`
   * adds group_vars/host_vars beside playbooks at their documented places.
   */
  hostVars(
    host: Host | string,
    opts: { playbookDirs?: string[]; hashBehaviour?: "replace" | "merge" | string } = {},
  ): Record<string, unknown> {
    const h = typeof host === "string" ? this.getHost(host) : host;
    if (!h) return {};
    const groups = this.sortedGroupsOf(h);
    const inv = this.varsBasedirs();
    const play = opts.playbookDirs ?? [];
    const out: Record<string, unknown> = {};
    const merge = opts.hashBehaviour === "merge";
    const layer = (v: Record<string, unknown> | undefined) => {
      if (v) merge ? mergeInto(out, v) : Object.assign(out, v);
    };
    layer(this.#data.groups.get("all")?.vars);
    for (const g of groups) layer(g.vars);
    for (const d of inv) layer(this.#varsFrom(d, "group_vars", "all"));
    for (const d of play) layer(this.#varsFrom(d, "group_vars", "all"));
    for (const d of inv) for (const g of groups) layer(this.#varsFrom(d, "group_vars", g.name));
    for (const d of play) for (const g of groups) layer(this.#varsFrom(d, "group_vars", g.name));
    layer(h.vars);
    for (const d of inv) layer(this.#varsFrom(d, "host_vars", h.name));
    for (const d of play) layer(this.#varsFrom(d, "host_vars", h.name));
    return out;
  }
}

/** hash_behaviour=merge: mappings combine key by key at every depth; anything else is replaced. */
function mergeInto(dst: Record<string, unknown>, src: Record<string, unknown>) {
  for (const [k, v] of Object.entries(src)) {
    const cur = dst[k];
    if (isPlainMap(cur) && isPlainMap(v)) {
      const copy = { ...cur };
      mergeInto(copy, v);
      dst[k] = copy;
    } else dst[k] = v;
  }
}

/** Expands `web[01:03]`-style ranges in a host name (exported for add_host and tests). */
export { expandRanges };
