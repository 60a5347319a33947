// Ansible's YAML reading: YAML 1.1 scalars as PyYAML resolves them, merge keys, `!unsafe`, `!vault`,
// duplicate keys (last wins), and positions for every mapping and sequence so later errors can name
// file and line. Timestamps (`2024-01-02`) are kept as their source text: Python would build a
// date/datetime whose str() is that same text for the usual forms, and JSON has no date type.
// Mappings are plain objects (the shared value model), so non-string keys become Python's str() of
// the key, and JavaScript lists integer-like keys ("123") before the others whatever their order in
// the file; `!!set` becomes a mapping to null and `!!omap`/`!!pairs` lists of [key, value] pairs.
import * as fs from "node:fs";
// deno.json maps "yaml" to the package's ES module build: Deno loads it in ~9 ms of CPU where the CommonJS
// build its "node" condition picks costs ~24 ms, on every run. The builds differ only in Buffer for !!binary
// and in how the package prints its own warnings, neither of which mito's reading uses; the types are the
// package's own. The Node bundle (scripts/build.ts, esbuild) still takes the CommonJS build.
// @ts-types="../../node_modules/yaml/dist/index.d.ts"
import {
  Alias,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
  type Scalar,
  type YAMLMap,
  type YAMLSeq,
} from "yaml";
import { UnsafeString, VaultString } from "../values.ts";
import { decryptVault, isVaultText, VaultError, type VaultSecrets } from "../vault/mod.ts";
import { constructBool, constructFloat, constructInt, resolvePlain } from "./_resolve.ts";
import { pyStr } from "../py/repr.ts";

export interface Position {
  file: string;
  line: number;
  column: number;
}

export interface YamlOptions {
  file: string;
  vault?: VaultSecrets;
  /** Called for what Ansible only warns about (duplicate keys). */
  onWarning?: (message: string) => void;
  /** The duplicate_dict_key setting: warn (default, through onWarning), error, or ignore. */
  duplicateKeys?: "warn" | "error" | "ignore";
}

/** A YAML syntax or construction error: message "file:line:col: what was expected". */
export class YamlError extends Error {
  override name = "YamlError";
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly problem: string,
  ) {
    super(`${file}:${line}:${column}: ${problem}`);
  }
}

const positions = new WeakMap<object, Position>();
/** Where each scalar item of a sequence started (a string has no identity to key a position by). */
const itemPositions = new WeakMap<unknown[], (Position | undefined)[]>();

/** Where each scalar value of a mapping started, by key (a string has no identity of its own). */
const valuePositions = new WeakMap<object, Map<string, Position>>();

/** The keys of a mapping that were not strings in the YAML (`1234:`, `true:`), by their text. */
const typedKeys = new WeakMap<object, Map<string, unknown>>();

/** The Python class of a value as Ansible's YAML loader builds it, as `type()` prints it. */
export function yamlClass(v: unknown): string {
  if (typeof v === "string") return "<class 'ansible.parsing.yaml.objects.AnsibleUnicode'>";
  if (Array.isArray(v)) return "<class 'ansible.parsing.yaml.objects.AnsibleSequence'>";
  if (typeof v === "boolean") return "<class 'bool'>";
  if (typeof v === "number") return Number.isInteger(v) ? "<class 'int'>" : "<class 'float'>";
  if (v === null || v === undefined) return "<class 'NoneType'>";
  if (typeof v === "object") return "<class 'ansible.parsing.yaml.objects.AnsibleMapping'>";
  return `<class '${typeof v}'>`;
}

/** Where a mapping or sequence produced by this loader started (1-based line and column). */
export function positionOf(node: object): Position | undefined {
  return positions.get(node);
}

/**
 * A mapping built from parsed ones (`{ ...a, ...b }`) keeps knowing which of its values a file wrote:
 * positionOfValue answers for them as for the originals. Returns the copy.
 */
export function keepPositions<T extends object>(copy: T, ...sources: unknown[]): T {
  let at = valuePositions.get(copy);
  for (const src of sources) {
    const from = src !== null && typeof src === "object" ? valuePositions.get(src) : undefined;
    if (!from) continue;
    for (const [k, pos] of from) {
      if ((copy as Record<string, unknown>)[k] !== (src as Record<string, unknown>)[k]) continue;
      if (!at) valuePositions.set(copy, at = new Map());
      at.set(k, pos);
    }
  }
  return copy;
}

/** Where the value of `key` in a mapping produced by this loader started, whatever the value is. */
export function positionOfValue(map: object, key: string): Position | undefined {
  const value = (map as Record<string, unknown>)[key];
  if (typeof value === "object" && value !== null) return positions.get(value);
  return valuePositions.get(map)?.get(key);
}

/**
 * The key of a mapping produced by this loader as the YAML gave it: the mapping holds every key as text
 * (`1234:` is "1234"), and a reader that must refuse a key of another type, as Ansible's inventory refuses a
 * number for a host, asks here for the number.
 */
export function keyAsWritten(map: object, key: string): unknown {
  const typed = typedKeys.get(map);
  return typed?.has(key) ? typed.get(key) : key;
}

/** Where item `index` of a sequence produced by this loader started, whatever the item is. */
export function positionOfItem(list: unknown[], index: number): Position | undefined {
  const item = list[index];
  if (typeof item === "object" && item !== null) return positions.get(item);
  return itemPositions.get(list)?.[index];
}

const STR = "tag:yaml.org,2002:";

class Composer {
  #built = new Map<Node, unknown>();
  constructor(
    readonly doc: Document.Parsed,
    readonly lc: LineCounter,
    readonly opts: YamlOptions,
    /** The text's length when it ends without a line break (a block scalar there has none to keep). */
    readonly openEnd?: number,
  ) {}

  pos(offset: number): Position {
    const { line, col } = this.lc.linePos(offset);
    return { file: this.opts.file, line, column: col };
  }

  fail(offset: number, problem: string): never {
    const p = this.pos(offset);
    throw new YamlError(p.file, p.line, p.column, problem);
  }

  build(node: Node | null | undefined, unsafe = false): unknown {
    if (node == null) return null;
    if (isAlias(node)) {
      const target = (node as Alias).resolve(this.doc);
      if (!target || !this.#built.has(target as Node)) {
        this.fail(node.range?.[0] ?? 0, `found undefined alias '${(node as Alias).source}'`);
      }
      return this.#built.get(target as Node);
    }
    const tag = node.tag;
    if (tag === "!unsafe") unsafe = true;
    let value: unknown;
    if (isMap(node)) value = this.buildMap(node as YAMLMap, unsafe);
    else if (isSeq(node)) value = this.buildSeq(node as YAMLSeq, unsafe);
    else value = this.buildScalar(node as Scalar, unsafe);
    this.#built.set(node, value);
    return value;
  }

  buildSeq(node: YAMLSeq, unsafe: boolean): unknown {
    const tag = node.tag;
    const out: unknown[] = [];
    this.#built.set(node, out);
    positions.set(out, this.pos(node.range?.[0] ?? 0));
    const at: (Position | undefined)[] = [];
    for (const item of node.items) {
      out.push(this.build(item as Node, unsafe));
      at.push(isScalar(item) ? this.pos((item as Scalar).range?.[0] ?? 0) : undefined);
    }
    itemPositions.set(out, at);
    if (tag === `${STR}omap` || tag === `${STR}pairs`) {
      // PyYAML builds a list of (key, value) pairs from a sequence of one-key mappings.
      for (let i = 0; i < out.length; i++) {
        const m = out[i];
        if (typeof m !== "object" || m === null || Array.isArray(m) || Object.keys(m).length !== 1) {
          this.fail(node.range?.[0] ?? 0, `expected a single mapping item in ${tag.slice(STR.length)}`);
        }
        out[i] = Object.entries(m as Record<string, unknown>)[0];
      }
    }
    if (tag && ![`${STR}seq`, "!unsafe", `${STR}omap`, `${STR}pairs`].includes(tag)) {
      this.fail(node.range?.[0] ?? 0, `could not determine a constructor for the tag '${tag}'`);
    }
    return out;
  }

  buildMap(node: YAMLMap, unsafe: boolean): unknown {
    const tag = node.tag;
    if (tag && ![`${STR}map`, "!unsafe", `${STR}set`].includes(tag)) {
      this.fail(node.range?.[0] ?? 0, `could not determine a constructor for the tag '${tag}'`);
    }
    const out: Record<string, unknown> = {};
    this.#built.set(node, out);
    positions.set(out, this.pos(node.range?.[0] ?? 0));
    // Merge keys contribute first; the mapping's own keys then override them (PyYAML's flatten).
    const merged: [string, unknown][] = [];
    const own: [string, unknown, number][] = [];
    const at = new Map<string, Position>();
    valuePositions.set(out, at);
    for (const pair of node.items) {
      const k = pair.key as Node | null;
      if (k && isScalar(k) && k.type === "PLAIN" && !k.tag && k.source === "<<") {
        merged.push(...this.mergeSources(pair.value as Node | null, k.range?.[0] ?? 0));
        continue;
      }
      const [key, written] = this.key(k);
      if (typeof written !== "string" && !(written instanceof UnsafeString)) {
        if (!typedKeys.has(out)) typedKeys.set(out, new Map());
        typedKeys.get(out)!.set(key, written);
      } else typedKeys.get(out)?.delete(key); // a later duplicate key wins with its type
      own.push([key, this.build(pair.value as Node | null, unsafe), k?.range?.[0] ?? 0]);
      if (isScalar(pair.value)) at.set(key, this.pos((pair.value as Scalar).range?.[0] ?? 0));
    }
    for (const [k, v] of merged) out[k] = v;
    const seen = new Set<string>();
    for (const [k, v, offset] of own) {
      if (seen.has(k) && this.opts.duplicateKeys !== "ignore") {
        if (this.opts.duplicateKeys === "error") this.fail(offset, `found a duplicate dict key (${k})`);
        const p = this.pos(offset);
        this.opts.onWarning?.(
          `While constructing a mapping from ${p.file}, line ${p.line}, column ${p.column}, found a duplicate dict key (${k}). Using last defined value only.`,
        );
      }
      seen.add(k);
      out[k] = v;
    }
    return out;
  }

  mergeSources(value: Node | null, offset: number): [string, unknown][] {
    // An alias may name a mapping or a list of mappings; either way the built values are reused.
    const v = this.build(value);
    const where = value?.range?.[0] ?? offset;
    const entries = (m: unknown): [string, unknown][] => {
      if (
        typeof m !== "object" || m === null || Array.isArray(m) ||
        Object.getPrototypeOf(m) !== Object.prototype
      ) {
        this.fail(where, "expected a mapping or list of mappings for merging");
      }
      return Object.entries(m as Record<string, unknown>);
    };
    if (!Array.isArray(v)) return entries(v);
    // Earlier mappings in the list win over later ones.
    return [...v].reverse().flatMap(entries);
  }

  /** A key's text (what the mapping is keyed by) and the value it was built as. */
  key(k: Node | null): [string, unknown] {
    if (k && (isMap(k) || isSeq(k))) {
      const src = isMap(k) && (k as YAMLMap).flow
        ? " (template expressions that start a value must be quoted)"
        : "";
      this.fail(
        k.range?.[0] ?? 0,
        `found unhashable key: a ${isMap(k) ? "mapping" : "list"} cannot be a key${src}`,
      );
    }
    const v = this.build(k);
    // non-string keys become the text Python's str() gives them (True, None, 420, 1.5, 1e+16)
    return [typeof v === "string" ? v : pyStr(v), v];
  }

  buildScalar(node: Scalar, unsafe: boolean): unknown {
    const raw = String(node.value ?? "");
    const text = this.#blockAtOpenEnd(node) ? raw.replace(/\n$/, "") : raw;
    const tag = node.tag;
    const offset = node.range?.[0] ?? 0;
    if (tag === "!unsafe") return new UnsafeString(text);
    if (tag === "!vault" || tag === "!vault-encrypted") return this.vaultValue(text, offset);
    let value: unknown;
    if (tag) value = this.explicit(tag, text, offset);
    else if (node.type !== "PLAIN") value = text;
    else if (text === "=" || text === "<<") {
      const t = text === "=" ? "value" : "merge";
      this.fail(
        offset,
        `could not determine a constructor for the tag 'tag:yaml.org,2002:${t}' (quote a lone '${text}')`,
      );
    } else value = implicitScalar(text);
    if (unsafe && typeof value === "string") return new UnsafeString(value);
    return value;
  }

  /**
   * A `|` or `>` scalar that ends the text without a final line break: its clipped or kept line break
   * is not there to keep (PyYAML's reading; the yaml package adds one).
   */
  #blockAtOpenEnd(node: Scalar): boolean {
    return this.openEnd !== undefined && (node.type === "BLOCK_LITERAL" || node.type === "BLOCK_FOLDED") &&
      node.range?.[1] === this.openEnd;
  }

  explicit(tag: string, text: string, offset: number): unknown {
    const bad = (what: string): never => this.fail(offset, `expected ${what}, but found '${text}'`);
    switch (tag) {
      case `${STR}str`:
      case "!":
        return text;
      case `${STR}int`:
        return constructInt(text) ?? bad("an integer");
      case `${STR}float`:
        return constructFloat(text) ?? bad("a float");
      case `${STR}bool`:
        return constructBool(text) ?? bad("a boolean");
      case `${STR}null`:
        return null;
      case `${STR}timestamp`:
        return text;
      case `${STR}binary`:
        try {
          return atob(text.replace(/\s+/g, ""));
        } catch {
          return bad("base64 data");
        }
      default:
        return this.fail(offset, `could not determine a constructor for the tag '${tag}'`);
    }
  }

  vaultValue(text: string, offset: number): VaultString {
    const p = this.pos(offset);
    const source = `${p.file}:${p.line}:${p.column}`;
    const secrets = this.opts.vault;
    return new VaultString(text, source, (ct) => {
      if (!secrets) {
        throw new VaultError(`Attempting to decrypt but no vault secrets found on ${source}`);
      }
      return decryptVault(ct, secrets, source);
    });
  }
}

/** A plain scalar's value under Ansible's YAML 1.1 reading. */
export function implicitScalar(text: string): unknown {
  switch (resolvePlain(text)) {
    case "null":
      return null;
    case "bool":
      return constructBool(text);
    case "int":
      return constructInt(text) ?? text;
    case "float":
      return constructFloat(text) ?? text;
    default:
      return text;
  }
}

function composeAll(text: string, opts: YamlOptions): unknown[] {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, {
    version: "1.1",
    schema: "failsafe",
    uniqueKeys: false,
    lineCounter: lc,
    prettyErrors: false,
    strict: false,
  });
  const list = Array.isArray(docs) ? docs : [docs];
  if (!Array.isArray(docs) && (docs as { errors?: unknown[] }).errors?.length) {
    throwParseError((docs as unknown as Document.Parsed).errors[0], lc, opts.file, text);
  }
  const out: unknown[] = [];
  for (const [i, doc] of (list as Document.Parsed[]).entries()) {
    if (doc.errors.length) throwParseError(doc.errors[0], lc, opts.file, text);
    const version = doc.warnings.find((w) => w.message.startsWith("Unsupported YAML version"));
    if (version) throwParseError({ ...version, code: "BAD_DIRECTIVE" }, lc, opts.file, text);
    if (i > 0 && !doc.directives?.docStart && doc.contents) {
      // After `...` a new document must open with `---` (PyYAML's rule).
      const { line, col } = lc.linePos(doc.contents.range?.[0] ?? 0);
      throw new YamlError(opts.file, line, col, "expected '<document start>' (---), but found content");
    }
    const openEnd = /[\n\r]$/.test(text) ? undefined : text.length;
    out.push(new Composer(doc, lc, opts, openEnd).build(doc.contents as Node | null));
  }
  return out;
}

// The YAML library's wording, turned into what the user should look at and what was expected there.
function explain(code: string, problem: string): string {
  if (code === "BLOCK_AS_IMPLICIT_KEY" && problem.startsWith("Nested mappings")) {
    return "mapping values are not allowed here: expected a plain value; quote a value that contains ': ', or fix the indentation";
  }
  if (code === "BLOCK_AS_IMPLICIT_KEY") {
    return `${problem}: expected a mapping key here (check the indentation)`;
  }
  if (code === "UNEXPECTED_TOKEN" && problem.startsWith("Unexpected scalar at node end")) {
    return "expected the end of the list or mapping above, but found more content (check the indentation)";
  }
  if (code === "BAD_SCALAR_START") return `${problem}: quote the value`;
  if (code === "MISSING_CHAR" && problem.startsWith("Missing closing")) {
    return `found unexpected end of input: ${problem.toLowerCase()} (a string was opened but never closed)`;
  }
  return problem;
}

function throwParseError(
  err: { message: string; pos: [number, number]; code: string },
  lc: LineCounter,
  file: string,
  text: string,
): never {
  let at = err.pos[0];
  if (err.code === "BLOCK_AS_IMPLICIT_KEY" && err.message.startsWith("Nested mappings")) {
    // Point at the ': ' that cannot start a mapping there, as PyYAML does.
    const m = /:(?:[ \t]|$)/m.exec(text.slice(at));
    if (m) at += m.index;
  }
  const { line, col } = lc.linePos(at);
  const problem = err.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "").replace(/:$/, "");
  throw new YamlError(file, line, col, explain(err.code, problem));
}

export function parseYaml(text: string, opts: YamlOptions): unknown {
  const docs = composeAll(text, opts);
  return docs.length ? docs[0] : null;
}

export function parseYamlAll(text: string, opts: YamlOptions): unknown[] {
  return composeAll(text, opts);
}

/** Reads and parses a file; a whole-file vault is decrypted first (needs `vault`). */
export function loadYamlFile(
  path: string,
  opts: { vault?: VaultSecrets; onWarning?: (m: string) => void } = {},
): unknown {
  let text = fs.readFileSync(path, "utf8");
  if (isVaultText(text)) {
    if (!opts.vault || opts.vault.size === 0) {
      throw new VaultError(`Attempting to decrypt but no vault secrets found on ${path}`);
    }
    text = decryptVault(text, opts.vault, path);
  }
  return parseYaml(text, { file: path, vault: opts.vault, onWarning: opts.onWarning });
}
