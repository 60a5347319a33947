// A host's variables as Ansible layers them: inventory, facts, play and role variables, set_fact and
// include_vars results, extra vars and the magic variables (hostvars, groups, play_hosts, role_path …).
// It also holds what the run learns about each host (facts, registered values) and where it lands.
import * as fs from "node:fs";
import * as path from "node:path";
import { ExecutionError, positionDetails } from "../errors.ts";
import type { Play, RoleInstance, Scope, Task } from "../model.ts";
import { roleFullName } from "../model.ts";
import {
  HostVarsState,
  type Layer,
  LayeredVars,
  type LazyLayer,
  mergeDeep,
  roleChain,
  scopeChain,
} from "../vars.ts";
import type { Result } from "../actions.ts";
import type { ExecutorOptions } from "./types.ts";
import { isMap } from "./_util.ts";
import { keyword } from "./_keywords.ts";

/** What a play run contributes to its hosts' variables. */
export interface PlayVars {
  play: Play;
  /** All hosts the play's pattern matched. */
  all: string[];
  batch: string[];
  /**
   * The hosts meta clear_host_errors brought back: Ansible's play keeps them on its list of removed
   * hosts, so ansible_play_hosts and ansible_play_batch leave them out until the play ends.
   */
  cleared?: Set<string>;
  promptVars: Record<string, unknown>;
  /** Each host's vars_files, read when its batch starts. */
  varsFiles: Map<string, Record<string, unknown>>;
  /** Roles whose defaults and vars every task sees. */
  publicRoles: RoleInstance[];
}

export type HostVarsOptions =
  & Pick<
    ExecutorOptions,
    | "inventory"
    | "templar"
    | "lazyMapping"
    | "omitToken"
    | "extraVars"
    | "check"
    | "diff"
    | "verbosity"
    | "ansibleVersion"
    | "playbookPython"
    | "configFile"
    | "tags"
    | "skipTags"
    | "forks"
    | "hashMerge"
    | "injectFactsAsVars"
    | "readYaml"
    | "factCache"
  >
  & {
    /** Whether a host is still in the run (it has not failed or been unreachable). */
    live(host: string): boolean;
  };

/**
 * The roles a task runs under, outermost first, as Ansible's dep chain: each role is preceded by the
 * roles it is a meta dependency of.
 */
function dependencyChain(scope: Scope): RoleInstance[] {
  const out: RoleInstance[] = [];
  for (const role of roleChain(scope)) {
    const parents: RoleInstance[] = [];
    for (let r = role.dependencyOf; r; r = r.dependencyOf) parents.unshift(r);
    for (const r of [...parents, role]) if (!out.includes(r)) out.push(r);
  }
  return out;
}

/**
 * The play's own roles (not dependencies), once each: its `roles:` first, then those import_role and
 * include_role added, as Ansible appends those to the play's list after its roles: are loaded.
 */
function playRoleNames(roles: RoleInstance[]): string[] {
  const own = roles.filter((r) => !r.dependencyOf);
  const listed = own.filter((r) => r.dedup);
  return [...new Set([...listed, ...own.filter((r) => !r.dedup)].map(roleFullName))];
}

export class HostVars {
  #o: HostVarsOptions;
  #hostState = new Map<string, HostVarsState>();
  #invCache = new Map<string, Record<string, unknown>>();
  /** The `groups` variable, built once and rebuilt only after add_host/group_by change the inventory. */
  #groupsCache: Record<string, string[]> | undefined;

  constructor(opts: HostVarsOptions) {
    this.#o = opts;
  }

  /** What the run learnt about the host so far (facts, set_fact, include_vars). */
  state(host: string): HostVarsState {
    let s = this.#hostState.get(host);
    if (!s) {
      this.#hostState.set(host, s = new HostVarsState());
      const cached = this.#o.factCache?.load?.(host);
      if (cached) {
        s.factsGathered = cached._ansible_facts_gathered === true;
        s.facts.merge(cached);
      }
    }
    return s;
  }

  /** The host's `ansible_facts`, undefined for a host the run has not learnt anything about. */
  factsOf(host: string): Record<string, unknown> | undefined {
    return this.#hostState.get(host)?.facts.namespaced;
  }

  /** The inventory changed (add_host, group_by): the host's variables and `groups` are read again. */
  inventoryChanged(host: string): void {
    this.#invCache.delete(host);
    this.#groupsCache = undefined;
  }

  /** meta: refresh_inventory read the sources again: every host's inventory variables are stale. */
  inventoryRefreshed(): void {
    this.#invCache.clear();
    this.#groupsCache = undefined;
  }

  #groups(): Record<string, string[]> {
    return this.#groupsCache ??= this.#o.inventory.groups();
  }

  #inventoryVars(host: string): Record<string, unknown> {
    let v = this.#invCache.get(host);
    if (!v) this.#invCache.set(host, v = this.#o.inventory.hostVars(host));
    return v;
  }

  /**
   * The host's facts: `ansible_facts`, and those inject_facts_as_vars makes top-level variables (without
   * it only ansible_local, always there, as Ansible promotes it).
   */
  #factsLayer(host: string): Layer {
    const facts = this.state(host).facts;
    const top = this.#o.injectFactsAsVars === false
      ? (): Record<string, unknown> => ({ ansible_local: facts.raw.ansible_local ?? {} })
      : (): Record<string, unknown> => facts.topLevel;
    return {
      lazy: true,
      get: (n) => (n === "ansible_facts" ? facts.namespaced : top()[n]),
      has: (n) => n === "ansible_facts" || Object.hasOwn(top(), n),
      keys: () => ["ansible_facts", ...Object.keys(top())],
    } satisfies LazyLayer;
  }

  /**
   * `visible`: the variables a task or play sees, for the `vars` magic variable (none outside a task or
   * play, as hostvars).
   */
  #magic(
    pr: PlayVars | undefined,
    host: string,
    task: Scope | undefined,
    asHostvars = false,
    visible?: () => LayeredVars,
  ): LazyLayer {
    const roles = task ? roleChain(task) : [];
    const role = roles[roles.length - 1];
    const inv = this.#o.inventory;
    const inPlay = (h: string) => this.#o.live(h) && !pr?.cleared?.has(h);
    const active = () => (pr ? pr.all.filter(inPlay) : []);
    const values: Record<string, () => unknown> = {
      inventory_hostname: () => host,
      inventory_hostname_short: () => host.split(".")[0],
      group_names: () => inv.groupNames(host),
      groups: () => this.#groups(),
      hostvars: () => this.#hostvars(pr),
      omit: () => this.#o.omitToken,
      ansible_check_mode: () => this.#o.check,
      ansible_diff_mode: () => this.#o.diff,
      ansible_verbosity: () => this.#o.verbosity,
      ansible_version: () => this.#o.ansibleVersion,
      ansible_playbook_python: () => this.#o.playbookPython ?? null,
      ansible_config_file: () => this.#o.configFile ?? null,
      ansible_run_tags: () => (this.#o.tags.length ? this.#o.tags : ["all"]),
      ansible_skip_tags: () => this.#o.skipTags,
      ansible_forks: () => this.#o.forks,
      inventory_dir: () => {
        const s = inv.sourceOf(host);
        return s ? path.dirname(s) : null;
      },
      inventory_file: () => inv.sourceOf(host) ?? null,
    };
    if (asHostvars) {
      delete values.hostvars;
      if (pr) values.playbook_dir = () => pr.play.baseDir;
    } else if (pr) {
      Object.assign(values, {
        ansible_play_hosts_all: () => [...pr.all],
        ansible_play_hosts: active,
        play_hosts: active,
        ansible_play_batch: () => pr.batch.filter(inPlay),
        ansible_play_name: () => pr.play.name,
        playbook_dir: () => pr.play.baseDir,
        ansible_play_role_names: () => playRoleNames(pr.play.roles),
        role_names: () => playRoleNames(pr.play.roles),
        ansible_role_names: () => [...new Set(pr.play.roles.map(roleFullName))],
        ansible_dependent_role_names: () => [
          ...new Set(pr.play.roles.filter((r) => r.dependencyOf).map(roleFullName)),
        ],
      });
    }
    if (pr && task) values.ansible_search_path = () => this.searchPath(pr, task);
    if (visible) values.vars = () => this.#varsDict(visible());
    const delegate = task ? keyword(task, "delegate_to") : undefined;
    if (pr && task && delegate !== undefined && delegate !== null && delegate !== "") {
      values.ansible_delegated_vars = () => this.#delegatedVarsOf(pr, host, task, delegate);
    }
    if (role) {
      Object.assign(values, {
        role_name: () => role.name,
        role_path: () => role.path,
        ansible_role_name: () => roleFullName(role),
      });
    }
    // Ansible's include_role/import_role pass these to the role they load from inside another role:
    // a role of the play's roles: (or loaded from the play's tasks, or a dependency) has neither
    if (roles.length > 1) {
      Object.assign(values, {
        ansible_parent_role_names: () => roles.slice(0, -1).reverse().map(roleFullName),
        ansible_parent_role_paths: () => roles.slice(0, -1).reverse().map((r) => r.path),
      });
    }
    return {
      lazy: true,
      get: (n) => values[n]?.(),
      has: (n) => Object.hasOwn(values, n),
      keys: () => Object.keys(values),
    };
  }

  /**
   * Ansible's `vars`: a copy of the task's variables as get_vars made them (raw: never templated, as
   * AnsibleJ2Vars hands it over), so neither loop variables nor `vars` itself are in it.
   */
  #varsDict(visible: LayeredVars): unknown {
    return this.#o.lazyMapping(
      (k) => (k === "vars" ? undefined : visible.raw(k)),
      () => visible.keys().filter((k) => k !== "vars"),
    );
  }

  #hostvars(pr: PlayVars | undefined): unknown {
    const inv = this.#o.inventory;
    return this.#o.lazyMapping(
      (h) => (inv.hasHost(h) ? this.#hostVarsOf(pr, h) : undefined),
      () => this.#groups().all ?? [],
      { pyClass: "ansible.vars.hostvars.HostVars", missingName: (h) => `hostvars['${h}']` },
    );
  }

  /** One inventory host's `hostvars` entry. */
  #hostVarsOf(pr: PlayVars | undefined, h: string): unknown {
    const view = this.hostLevel(pr, h, { asHostvars: true });
    return this.#o.lazyMapping(
      (k) => {
        const raw = view.raw(k);
        // as Ansible's HostVarsVars: a value that cannot be templated reads as its raw text
        return raw === undefined
          ? undefined
          : this.#o.templar.template(raw, view, { failOnUndefined: false });
      },
      () => view.keys(),
      { pyClass: "ansible.vars.hostvars.HostVarsVars" },
    );
  }

  /**
   * A delegated task's ansible_delegated_vars: the delegate's variables under its name (an inventory
   * host's as hostvars has them, another's connection address). Undefined when delegate_to cannot be
   * templated without a loop item.
   */
  #delegatedVarsOf(pr: PlayVars, host: string, task: Scope, delegate: unknown): unknown {
    let name: string;
    try {
      name = String(this.#o.templar.template(delegate, this.forTask(pr, host, task)));
    } catch {
      return undefined;
    }
    return this.delegatesVars(pr, [name]);
  }

  /**
   * ansible_delegated_vars for these delegates (a loop's items may each name their own): each one's
   * variables under its name, an inventory host's as hostvars has them, another's connection address.
   */
  delegatesVars(pr: PlayVars, names: readonly string[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const name of names) {
      out[name] = this.#o.inventory.hasHost(name) ? this.#hostVarsOf(pr, name) : this.delegatedVars(pr, name);
    }
    return out;
  }

  /**
   * A host's variables outside any task. `asHostvars`: what hostvars shows, as Ansible's host variables
   * without a play: no `hostvars` in them (else a value holding hostvars['h'] nests itself without end)
   * and none of the play's own (ansible_play_hosts, role names …) but playbook_dir.
   */
  hostLevel(pr: PlayVars | undefined, host: string, opts: { asHostvars?: boolean } = {}): LayeredVars {
    const st = this.state(host);
    const layers: Layer[] = [this.#inventoryVars(host)];
    layers.push(
      this.#factsLayer(host),
      st.includeVars,
      st.setFacts,
      this.#o.extraVars,
      this.#magic(pr, host, undefined, opts.asHostvars),
    );
    return new LayeredVars(layers);
  }

  /** The variables a task sees on a host, lowest precedence first (Ansible's documented order). */
  forTask(pr: PlayVars, host: string, scope: Scope): LayeredVars {
    const st = this.state(host);
    const chain = scopeChain(scope);
    const taskRoles = roleChain(scope);
    const layers: Layer[] = [];
    for (const r of pr.publicRoles) layers.push(r.defaults);
    for (const r of taskRoles) layers.push(r.defaults);
    layers.push(this.#inventoryVars(host));
    layers.push(this.#factsLayer(host));
    layers.push(pr.play.vars, pr.promptVars);
    const vf = pr.varsFiles.get(host);
    if (vf) layers.push(vf);
    for (const r of pr.publicRoles) layers.push(r.vars);
    for (const r of taskRoles) layers.push(r.vars);
    for (const s of chain) if (isMap(s.kw.vars)) layers.push(s.kw.vars);
    layers.push(st.includeVars, st.setFacts);
    // a dependency sees the params of the roles it is a dependency of, below its own (Ansible's dep chain)
    for (const r of dependencyChain(scope)) layers.push(r.params);
    for (const s of chain) if (s.includeParams) layers.push(s.includeParams);
    layers.push(this.#o.extraVars);
    const visible = new LayeredVars(layers);
    layers.push(this.#magic(pr, host, scope, false, () => visible));
    return new LayeredVars([this.#connectionDefaults(host, new LayeredVars([...layers])), ...layers]);
  }

  /**
   * What Ansible's play context adds to a task's variables when they do not set it: the address it
   * connects to as `ansible_host`/`ansible_ssh_host` (the inventory name unless one of them is set),
   * below every other layer, so a task sees it while hostvars does not.
   */
  #connectionDefaults(host: string, set: LayeredVars): LazyLayer {
    const values: Record<string, () => unknown> = {
      ansible_host: () => set.raw("ansible_ssh_host") ?? host,
      ansible_ssh_host: () => set.raw("ansible_host") ?? host,
    };
    return {
      lazy: true,
      get: (n) => values[n]?.(),
      has: (n) => Object.hasOwn(values, n),
      keys: () => Object.keys(values),
    };
  }

  /**
   * Ansible's ansible_search_path: the roles of the task's dependency chain, innermost first (a
   * dependency's tasks look in their own role, then in the roles depending on it), the directory of the
   * task's file, then the play's directory.
   */
  searchPath(pr: PlayVars, scope: Scope): string[] {
    const out = dependencyChain(scope).reverse().map((r) => r.path);
    const file = (scope as Task).pos?.file;
    if (file && !out.includes(path.dirname(file))) out.push(path.dirname(file));
    if (!out.includes(pr.play.baseDir)) out.push(pr.play.baseDir);
    return out;
  }

  /** Reads the play's vars_files for a host (their names may use its variables). */
  loadVarsFiles(pr: PlayVars, host: string): void {
    const files = pr.play.varsFiles;
    if (files.length === 0) return;
    let acc: Record<string, unknown> = {};
    pr.varsFiles.set(host, acc);
    const vars = this.forTask(pr, host, pr.play);
    for (const entry of files) {
      const candidates = Array.isArray(entry) ? entry : [entry];
      let loaded = false;
      for (const c of candidates) {
        const name = String(this.#o.templar.template(c, vars));
        const file = path.resolve(pr.play.baseDir, name);
        if (!fs.existsSync(file)) continue;
        const data = this.#o.readYaml(file);
        // a list of dicts is merged in order (Ansible's preprocess_vars)
        const dicts = data === null || data === undefined ? [] : Array.isArray(data) ? data : [data];
        if (!dicts.every(isMap)) {
          throw new ExecutionError(
            `vars_files must contain a dictionary of variables or a list of dictionaries, ${file} holds ` +
              `a ${Array.isArray(data) ? "list holding something else" : typeof data}`,
          );
        }
        for (const d of dicts) acc = this.combine(acc, d);
        pr.varsFiles.set(host, acc);
        loaded = true;
        break;
      }
      if (!loaded) {
        const shown = candidates.map((c) => String(c)).join(", ");
        throw new ExecutionError(
          `vars file ${shown} was not found` + (pr.play.pos ? `\n\n${positionDetails(pr.play.pos)}` : ""),
        );
      }
    }
  }

  /** Two dicts of variables merged as hash_behaviour says. */
  combine(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
    return this.#o.hashMerge ? mergeDeep(a, b) : { ...a, ...b };
  }

  /** The delegated host's address and login, for the "[host -> delegate(address)]" label. */
  delegatedVars(pr: PlayVars, target: string): Record<string, unknown> {
    const out: Record<string, unknown> = { ansible_host: target };
    if (!this.#o.inventory.hasHost(target)) return out;
    const view = this.hostLevel(pr, target);
    for (const k of ["ansible_host", "ansible_port", "ansible_user", "ansible_connection"]) {
      const raw = view.raw(k);
      if (raw === undefined) continue;
      try {
        out[k] = this.#o.templar.template(raw, view);
      } catch {
        out[k] = raw;
      }
    }
    return out;
  }

  /** The facts kept out of the host's top-level variables (none when facts are not injected there). */
  #leftOut(st: HostVarsState): readonly string[] {
    return this.#o.injectFactsAsVars === false ? [] : st.facts.removed;
  }

  /**
   * set_fact/include_vars/module facts land in the host's variables (the delegate's with delegate_facts).
   * Answers the facts the host's top-level variables leave out, as Ansible warns of them when it reads
   * the host's variables next.
   */
  applyFacts(target: string, action: string, result: Result): readonly string[] {
    const facts = result.ansible_facts;
    if (!isMap(facts)) return [];
    const st = this.state(target);
    if (action === "set_fact") {
      // In place: views built earlier in this task (the next loop item) hold these objects.
      Object.assign(st.setFacts, facts);
      if (result._ansible_facts_cacheable) {
        st.facts.merge(facts);
        this.#o.factCache?.update(target, facts);
        return this.#leftOut(st);
      }
    } else if (action === "include_vars") {
      const merged = this.combine(st.includeVars, facts);
      for (const k of Object.keys(st.includeVars)) delete st.includeVars[k];
      Object.assign(st.includeVars, merged);
    } else {
      // The gather_facts action marks the host's facts as gathered (gathering = smart reads it); the
      // mark is one of them, seen in ansible_facts, as Ansible's gather_facts action adds it.
      const kept = action === "gather_facts" ? { ...facts, _ansible_facts_gathered: true } : facts;
      st.facts.merge(kept);
      if (action === "gather_facts") st.factsGathered = true;
      this.#o.factCache?.update(target, kept);
      return this.#leftOut(st);
    }
    return [];
  }
}
