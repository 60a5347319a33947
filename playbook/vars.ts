// Variables as Ansible layers them, without copying: a task's view is a stack of references to the
// layers (role defaults … extra vars) searched from the top, so building it costs O(layers), not
// O(variables). Raw values are templated when read, against the same view.
import type { RoleInstance, Scope, Task } from "./model.ts";
import { HostFacts } from "./executor/facts.ts";
import { positionOfValue } from "./yaml/mod.ts";

/** What the templating engine reads variables through: undefined means "not defined". */
export interface VarLookup {
  get(name: string): unknown;
}

/** A source of variables: a plain record, or something lazy with has/get/keys. */
export type Layer = Record<string, unknown> | LazyLayer;

export interface LazyLayer {
  readonly lazy: true;
  get(name: string): unknown;
  has(name: string): boolean;
  keys(): string[];
}

function layerHas(l: Layer, name: string): boolean {
  return (l as LazyLayer).lazy === true ? (l as LazyLayer).has(name) : Object.hasOwn(l, name);
}
function layerGet(l: Layer, name: string): unknown {
  return (l as LazyLayer).lazy === true ? (l as LazyLayer).get(name) : (l as Record<string, unknown>)[name];
}
function layerKeys(l: Layer): string[] {
  return (l as LazyLayer).lazy === true ? (l as LazyLayer).keys() : Object.keys(l);
}

/** Renders a raw variable value (which may hold `{{ }}`) against a lookup; supplied by the executor. */
export type Resolver = (raw: unknown, vars: VarLookup, name: string) => unknown;

/**
 * A stack of layers, lowest precedence first. `get` returns the templated value of the topmost layer
 * that has the name; each resolved value is cached for the life of this view (one task on one host).
 */
export class LayeredVars implements VarLookup {
  #layers: Layer[];
  #resolve?: Resolver;
  #cache = new Map<string, unknown>();
  #resolving = new Set<string>();
  #reads?: Set<string>;
  #refused?: ReadonlySet<string>;
  constructor(
    layers: Layer[],
    resolve?: Resolver,
    record?: { reads: Set<string>; refused?: ReadonlySet<string> },
  ) {
    this.#layers = layers;
    this.#resolve = resolve;
    this.#reads = record?.reads;
    this.#refused = record?.refused;
  }

  /** A view with more layers on top (loop vars): shares the lower layers, not their contents. */
  with(top: Layer): LayeredVars {
    return new LayeredVars([...this.#layers, top], this.#resolve, this.#record());
  }

  #record(): { reads: Set<string>; refused?: ReadonlySet<string> } | undefined {
    return this.#reads ? { reads: this.#reads, refused: this.#refused } : undefined;
  }

  #note(name: string): void {
    if (!this.#reads) return;
    this.#reads.add(name);
    if (this.#refused?.has(name)) throw new RefusedRead(name);
  }

  /**
   * A fresh view of the same layers that adds every name read through it (directly or while templating
   * another variable's value) to `reads`; listing the names adds `*`, listing the plain layers' names
   * PLAIN_KEYS (task pipelining, which must know what a task's templating depends on). Reading a name
   * of `refused` (`*` for the listing) throws RefusedRead before anything is done with it: a lookup
   * refused so never runs.
   */
  recording(reads: Set<string>, refused?: ReadonlySet<string>): LayeredVars {
    return new LayeredVars(this.#layers, this.#resolve, { reads, refused });
  }

  raw(name: string): unknown {
    this.#note(name);
    for (let i = this.#layers.length - 1; i >= 0; i--) {
      const l = this.#layers[i];
      if (layerHas(l, name)) return layerGet(l, name);
    }
    return undefined;
  }

  has(name: string): boolean {
    this.#note(name);
    return this.#layers.some((l) => layerHas(l, name));
  }

  /** Whether the value of `name` is the one a YAML file wrote (its layer is that file's mapping). */
  written(name: string): boolean {
    for (let i = this.#layers.length - 1; i >= 0; i--) {
      const l = this.#layers[i];
      if (layerHas(l, name)) return (l as LazyLayer).lazy !== true && positionOfValue(l, name) !== undefined;
    }
    return false;
  }

  get(name: string): unknown {
    this.#note(name);
    if (this.#cache.has(name)) return this.#cache.get(name);
    const raw = this.raw(name);
    if (raw === undefined || !this.#resolve) return raw;
    if (this.#resolving.has(name)) {
      throw new RecursionError(
        `recursive loop detected in template string: variable '${name}' refers to itself`,
      );
    }
    this.#resolving.add(name);
    try {
      const value = this.#resolve(raw, this, name);
      this.#cache.set(name, value);
      return value;
    } finally {
      this.#resolving.delete(name);
    }
  }

  keys(): string[] {
    this.#note("*");
    const seen = new Set<string>();
    for (const l of this.#layers) for (const k of layerKeys(l)) seen.add(k);
    return [...seen];
  }

  /** Names defined by the plain layers only: the lazy ones (gathered facts, magic variables) are skipped. */
  plainKeys(): string[] {
    this.#note(PLAIN_KEYS);
    const seen = new Set<string>();
    for (const l of this.#layers) {
      if ((l as LazyLayer).lazy !== true) { for (const k of Object.keys(l)) seen.add(k); }
    }
    return [...seen];
  }
}

/** What a recording view notes when the names of its plain layers are listed. */
export const PLAIN_KEYS = "*plain";

/** A recording view was asked for a name it refuses (LayeredVars.recording). */
export class RefusedRead extends Error {
  override name = "RefusedRead";
  constructor(readonly variable: string) {
    super(`reading '${variable}' is refused here`);
  }
}

export class RecursionError extends Error {
  override name = "RecursionError";
}

/** Per-host state the run accumulates: facts, set_fact/register results, include_vars. */
export class HostVarsState {
  /** Gathered, module and cacheable facts (Ansible's fact cache), read as `ansible_facts` and top-level. */
  readonly facts: HostFacts = new HostFacts();
  /** include_vars results (Ansible's vars cache). */
  includeVars: Record<string, unknown> = {};
  /** set_fact and register results (non-persistent facts). */
  setFacts: Record<string, unknown> = {};
  /** The gather_facts action ran for the host, in this run or one the fact cache kept (Ansible's
   *  _ansible_facts_gathered): `gathering = smart` does not gather its facts again. */
  factsGathered = false;
}

/** The keyword chain of a task from the outermost scope (play) to the task itself. */
export function scopeChain(s: Scope): Scope[] {
  const out: Scope[] = [];
  for (let cur: Scope | undefined = s; cur; cur = cur.parent) out.push(cur);
  return out.reverse();
}

/** The roles a task belongs to, outermost first: a dependency's vars sit below its parent's. */
export function roleChain(task: Task | Scope): RoleInstance[] {
  const roles: RoleInstance[] = [];
  for (const s of scopeChain(task)) if (s.role && !roles.includes(s.role)) roles.push(s.role);
  return roles;
}

/** Ansible's combine for `hash_behaviour = merge`: dicts merge recursively, everything else replaces. */
export function mergeDeep(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    if (isPlain(prev) && isPlain(v)) out[k] = mergeDeep(prev, v);
    else out[k] = v;
  }
  return out;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) &&
    Object.getPrototypeOf(v) === Object.prototype;
}
