// What the executor is given: its options, and the views of the templating engine and the inventory it
// works through (playbook/template's Templar and cli's inventory adapter fit them).
import type { ActionPlugins } from "../plugins/mod.ts";
import type { VarLookup } from "../vars.ts";
import type { Callback } from "../callbacks/types.ts";
import type { HostRunner } from "../runner.ts";
import type { Loader } from "../loader.ts";
import type { ActionNames } from "../action_names.ts";
import type { Delimiters } from "../template/mod.ts";

/** The templating engine as the executor uses it (playbook/template's Templar fits). */
export interface TemplateEngine {
  template(
    value: unknown,
    vars: VarLookup,
    opts?: { native?: boolean; failOnUndefined?: boolean; keepNativeText?: boolean },
  ): unknown;
  condition(cond: unknown, vars: VarLookup): boolean;
  /** The configuration's ansible_managed (a rendered template file's `ansible_managed` is made from it). */
  readonly ansibleManaged?: string;
  /** The engine's settings: `native` is jinja2_native (true when absent). */
  readonly options?: { readonly native?: boolean };
  /** Runs a lookup plugin for `with_<name>` (the terms as they are; always a list). */
  loopLookup?(name: string, terms: unknown[], vars: VarLookup): unknown[];
  /** Renders a template file's text (the template action). */
  renderFile?(
    source: string,
    vars: VarLookup,
    opts: {
      trimBlocks?: boolean;
      lstripBlocks?: boolean;
      newlineSequence?: string;
      delimiters?: Partial<Delimiters>;
      extraVars?: Record<string, unknown>;
      searchPaths?: string[];
    },
  ): string;
}

/** The inventory as the executor uses it; cli/cmd_run.ts adapts playbook/inventory to it. */
export interface InventoryView {
  /** Host names matching a pattern (the --limit applied), in inventory order. */
  select(pattern: string): string[];
  /** The host's inventory variables: group vars (all first, by depth) then host vars. */
  hostVars(host: string): Record<string, unknown>;
  /** Groups the host is in, sorted, without all/ungrouped. */
  groupNames(host: string): string[];
  /** Every group with its hosts, `all` and `ungrouped` included. */
  groups(): Record<string, string[]>;
  hasHost(host: string): boolean;
  /** Whether `host` is the implicit localhost (in no inventory source). */
  isImplicit?(host: string): boolean;
  /** Adds or updates a host; true when that changed the inventory (add_host's `changed`). */
  addHost(host: string, groups: string[], vars: Record<string, unknown>): boolean;
  /** group_by: the host joins a group under these parents; true when that changed the inventory. */
  addToGroup(host: string, group: string, parents: string[]): boolean;
  /** Where the host was defined, for inventory_dir / inventory_file. */
  sourceOf(host: string): string | undefined;
  /** meta: refresh_inventory — read the sources again (hosts added by add_host are dropped). */
  refresh?(): void;
}

export interface ExecutorOptions {
  inventory: InventoryView;
  templar: TemplateEngine;
  /** Names an UndefinedError from the templar. */
  isUndefinedError(err: unknown): boolean;
  omitToken: string;
  pyStr(v: unknown): string;
  /** Shows a deprecation warning (once per message), as Ansible's display.deprecated. */
  deprecated?(msg: string, version: string): void;
  /** Shows an error met during the run, "ERROR! …" on stderr once per message (Ansible's display.error). */
  displayError?(msg: string): void;
  /** Lazy mapping constructor for hostvars, so templates read it without copying. */
  lazyMapping(get: (k: string) => unknown, keys: () => string[], like?: LazyMappingLike): unknown;
  callback: Callback;
  /** fact_caching = jsonfile: where each host's gathered and cacheable facts are also written. */
  factCache?: {
    update(host: string, facts: Record<string, unknown>): void;
    /** Facts kept from earlier runs: a host starts with them, as with Ansible's persistent caches. */
    load?(host: string): Record<string, unknown> | undefined;
  };
  runner: HostRunner;
  /** Python action plugins (folders, configured paths, collections), run in the plugin host. */
  actionPlugins?: ActionPlugins;
  loader: Loader;
  /** How plugin names resolve (module_defaults entries are matched through it). */
  actionNames?: ActionNames;
  readYaml(file: string): unknown;
  extraVars: Record<string, unknown>;
  check: boolean;
  diff: boolean;
  verbosity: number;
  tags: string[];
  skipTags: string[];
  forks: number;
  startAtTask?: string;
  forceHandlers: boolean;
  /** error_on_missing_handler (default true): false makes a notify naming no handler a warning. */
  errorOnMissingHandler?: boolean;
  defaultStrategy: string;
  /** gathering = implicit|explicit|smart from the configuration. */
  gathering: string;
  isTTY: boolean;
  prompt?(text: string, isPrivate: boolean): Promise<string>;
  /** --step: asks `ask` before each task ("y" runs it, "c" runs it and stops asking, else it is skipped),
   * then shows the question as a banner, as ansible-playbook does. */
  step?: { ask(text: string): Promise<string>; banner(text: string): void };
  /** Settings passed to the runner as defaults of connection variables (remote_user, become...). */
  connectionDefaults: Record<string, unknown>;
  ansibleVersion: { full: string; major: number; minor: number; revision: number; string: string };
  /** ansible_playbook_python: the controller's Python (the one mito's Python plugins run in). */
  playbookPython?: string;
  /** ansible_config_file: the configuration file read, if any. */
  configFile?: string;
  hashMerge?: boolean;
  /** inject_facts_as_vars (default true): facts are top-level variables as well as ansible_facts. */
  injectFactsAsVars?: boolean;
  /** no_log = True in the configuration (ANSIBLE_NO_LOG): every task's no_log when it sets none. */
  noLog?: boolean;
  /** any_errors_fatal from the configuration: the default for plays that do not set it. */
  anyErrorsFatal?: boolean;
  sleep?(ms: number): Promise<void>;
}

/** What a lazy mapping stands for in templates' error messages (Ansible's HostVars classes). */
export interface LazyMappingLike {
  /** The Python class named in "'<class> object' has no attribute 'x'"; "dict" when absent. */
  pyClass?: string;
  /** The name a missing key is undefined as ("'<name>' is undefined"); absent: no attribute. */
  missingName?: (key: string) => string;
}
