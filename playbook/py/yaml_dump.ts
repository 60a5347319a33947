// yaml.dump as Ansible runs it (AnsibleDumper, on libyaml's emitter where python3-yaml has it, as Debian's
// does): the layout, scalar styles, anchors and `!vault` tags of `mito inventory --yaml` (ansible-inventory)
// and of the to_yaml/to_nice_yaml filters. libyaml differs from pure PyYAML in three places these follow:
// characters outside the BMP and U+0085 are not printable (double-quoted, escaped), and a plain scalar at
// the root is not ended by "...".
import { PyFloat, UnsafeString, VaultString } from "../values.ts";
import { resolvePlain } from "../yaml/_resolve.ts";
import { floatRepr, intRepr } from "./repr.ts";
import { pyStrCompare } from "./str_order.ts";

export interface YamlDumpOptions {
  /** Spaces a level (yaml.dump's indent); 2. */
  indent?: number;
  /**
   * default_flow_style: false (the default) block style everywhere, true flow style everywhere, null flow
   * style for collections that hold only plain scalars.
   */
  flow?: boolean | null;
  /** sort_keys (true): keys in code point order, as Python sorts str. */
  sortKeys?: boolean;
  /** width (80): where plain and quoted scalars fold. */
  width?: number;
  /** explicit_start: "---" first. */
  explicitStart?: boolean;
  /**
   * Anchors (&id001) and aliases (*id001) for a list, dict or vaulted value met more than once, as Python's
   * representer gives them to one object. Off for values that do not keep Python's object identity.
   */
  anchors?: boolean;
  /**
   * Turns a value outside the value model into one inside it (or throws), for every value before it is
   * written: the template engine's own values.
   */
  represent?: (v: unknown) => unknown;
  /**
   * A Dumper's represent_scalar override (community.general.yaml's): for a string, the text to write in
   * literal block style (`|`) instead, or undefined to write it as usual. Where a block cannot go (flow
   * context, a key, trailing or pre-break spaces, special characters) the text is double-quoted instead.
   */
  literal?: (s: string) => string | undefined;
  /** allow_unicode (true, as Ansible's callbacks and filters dump): false escapes all but ASCII. */
  allowUnicode?: boolean;
}

/** A value yaml.dump has no representer for. */
export class YamlDumpError extends Error {
  override name = "YamlDumpError";
  constructor(readonly value: unknown) {
    super(`cannot represent an object: ${String(value)}`);
  }
}

function isDict(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Would a plain scalar with this text read back as something other than the same string? */
function resolvesNonString(s: string): boolean {
  return resolvePlain(s) !== "str" || s === "<<" || s === "=";
}

const BREAKS = "\n\x85\u2028\u2029";
// What makes the emitter refuse a block scalar: a space before a break or at the end, a special character.
const BLOCK_REFUSED =
  / [\n\x85\u2028\u2029]| $|[^\n\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]|\ufeff/u;
const WS_SET = "\0 \t\r\n\x85\u2028\u2029";

interface Analysis {
  empty: boolean;
  multiline: boolean;
  flowPlain: boolean;
  blockPlain: boolean;
  singleQuoted: boolean;
}

function analyze(s: string, allowUnicode = true): Analysis {
  if (!s) return { empty: true, multiline: false, flowPlain: false, blockPlain: true, singleQuoted: true };
  let blockInd = false, flowInd = false, lineBreaks = false, special = false;
  let leadingSpace = false, leadingBreak = false, trailingSpace = false, trailingBreak = false;
  let breakSpace = false, spaceBreak = false, prevSpace = false, prevBreak = false;
  if (s.startsWith("---") || s.startsWith("...")) blockInd = flowInd = true;
  let precededByWs = true;
  let followedByWs = s.length === 1 || WS_SET.includes(s[1]);
  const chars = [...s];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (i === 0) {
      if ("#,[]{}&*!|>'\"%@`".includes(ch)) flowInd = blockInd = true;
      if (ch === "?" || ch === ":") {
        flowInd = true;
        if (followedByWs) blockInd = true;
      }
      if (ch === "-" && followedByWs) flowInd = blockInd = true;
    } else {
      if (",?[]{}".includes(ch)) flowInd = true;
      if (ch === ":") {
        flowInd = true;
        if (followedByWs) blockInd = true;
      }
      if (ch === "#" && precededByWs) flowInd = blockInd = true;
    }
    if (BREAKS.includes(ch)) lineBreaks = true;
    const c = ch.codePointAt(0)!;
    if (!(ch === "\n" || (c >= 0x20 && c <= 0x7e))) {
      // libyaml's printable set: no U+0085 and nothing outside the BMP (pure PyYAML allows both)
      const uni = ((c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd)) && c !== 0xfeff;
      if (!uni || !allowUnicode) special = true;
    }
    if (ch === " ") {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
      if (prevBreak) breakSpace = true;
      prevSpace = true;
      prevBreak = false;
    } else if (BREAKS.includes(ch)) {
      if (i === 0) leadingBreak = true;
      if (i === chars.length - 1) trailingBreak = true;
      if (prevSpace) spaceBreak = true;
      prevSpace = false;
      prevBreak = true;
    } else prevSpace = prevBreak = false;
    precededByWs = WS_SET.includes(ch);
    followedByWs = i + 1 >= chars.length - 1 || WS_SET.includes(chars[i + 2]);
  }
  let flowPlain = true, blockPlain = true, singleQuoted = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) flowPlain = blockPlain = false;
  if (breakSpace) flowPlain = blockPlain = singleQuoted = false;
  if (spaceBreak || special) flowPlain = blockPlain = singleQuoted = false;
  if (lineBreaks) flowPlain = blockPlain = false;
  if (flowInd) flowPlain = false;
  if (blockInd) blockPlain = false;
  return { empty: false, multiline: lineBreaks, flowPlain, blockPlain, singleQuoted };
}

const DQ_ESC: Record<string, string> = {
  "\0": "0",
  "\x07": "a",
  "\b": "b",
  "\t": "t",
  "\n": "n",
  "\v": "v",
  "\f": "f",
  "\r": "r",
  "\x1b": "e",
  '"': '"',
  "\\": "\\",
  "\x85": "N",
  "\xa0": "_",
  "\u2028": "L",
  "\u2029": "P",
};

class Emitter {
  out = "";
  col = 0;
  whitespace = true;
  indention = true;
  indent: number | null = null;
  indents: (number | null)[] = [];
  flowLevel = 0;
  simpleKey = false;
  mappingContext = false;
  /** Anchor names of the objects met more than once (null until the second meeting), and those written. */
  #anchors = new Map<object, string | null>();
  #written = new Set<object>();
  constructor(
    readonly o: Required<Omit<YamlDumpOptions, "represent" | "literal">>,
    readonly represent: (v: unknown) => unknown,
    readonly literalOf?: (s: string) => string | undefined,
  ) {}

  write(s: string): void {
    this.out += s;
    this.col += codePoints(s);
  }
  /** A line break: "\n", or a break character of the text itself (U+0085, U+2028, U+2029). */
  lineBreak(br = "\n"): void {
    this.out += br;
    this.col = 0;
    this.whitespace = true;
    this.indention = true;
  }
  writeIndent(): void {
    const ind = this.indent ?? 0;
    if (!this.indention || this.col > ind || (this.col === ind && !this.whitespace)) this.lineBreak();
    if (this.col < ind) {
      this.whitespace = true;
      this.write(" ".repeat(ind - this.col));
    }
  }
  indicator(ind: string, needWs: boolean, ws = false, indention = false): void {
    this.write(this.whitespace || !needWs ? ind : " " + ind);
    this.whitespace = ws;
    this.indention = this.indention && indention;
  }
  increase(flow: boolean, indentless = false): void {
    this.indents.push(this.indent);
    if (this.indent === null) this.indent = flow ? this.o.indent : 0;
    else if (!indentless) this.indent += this.o.indent;
  }
  pop(): void {
    this.indent = this.indents.pop()!;
  }

  /**
   * The representer's pass: which lists, dicts and vaulted values are met twice, named in the order of
   * their second meeting (as the serializer numbers them), walking dicts in the order they are written.
   */
  collectAnchors(value: unknown): void {
    const v = this.represent(value);
    if (!aliasable(v)) return;
    if (this.#anchors.has(v)) {
      if (this.#anchors.get(v) === null) {
        const n = [...this.#anchors.values()].filter((a) => a !== null).length + 1;
        this.#anchors.set(v, `id${String(n).padStart(3, "0")}`);
      }
      return;
    }
    this.#anchors.set(v, null);
    if (Array.isArray(v)) v.forEach((x) => this.collectAnchors(x));
    else if (isDict(v)) { for (const k of this.keys(v)) this.collectAnchors(v[k]); }
  }

  node(value: unknown, ctx: { seq?: boolean; map?: boolean; key?: boolean }): void {
    this.mappingContext = !!ctx.map;
    this.simpleKey = !!ctx.key;
    const v = this.represent(value);
    const anchor = aliasable(v) ? this.#anchors.get(v) : undefined;
    if (anchor) {
      if (this.#written.has(v as object)) return this.indicator(`*${anchor}`, true);
      this.#written.add(v as object);
      this.indicator(`&${anchor}`, true);
    }
    if (Array.isArray(v)) {
      if (this.flowLevel || this.isFlow(v) || v.length === 0) this.flowSeq(v);
      else this.blockSeq(v);
    } else if (isDict(v)) {
      if (this.flowLevel || this.isFlow(v) || Object.keys(v).length === 0) this.flowMap(v);
      else this.blockMap(v);
    } else {
      this.increase(true);
      this.scalar(v);
      this.pop();
    }
  }

  /** default_flow_style=None: flow style when every item is a scalar without a style of its own. */
  isFlow(v: unknown[] | Record<string, unknown>): boolean {
    if (this.o.flow !== null) return this.o.flow;
    const items = Array.isArray(v) ? v : Object.keys(v).flatMap((k) => [k, v[k]]);
    return items.every((x) => {
      const u = this.represent(x);
      return !Array.isArray(u) && !isDict(u) && !(u instanceof VaultString);
    });
  }

  keys(v: Record<string, unknown>): string[] {
    const ks = Object.keys(v);
    return this.o.sortKeys ? ks.sort(pyStrCompare) : ks;
  }

  flowSeq(v: unknown[]): void {
    this.indicator("[", true, true);
    this.flowLevel++;
    this.increase(true);
    v.forEach((x, i) => {
      if (i) this.indicator(",", false);
      if (this.col > this.o.width) this.writeIndent();
      this.node(x, { seq: true });
    });
    this.flowLevel--;
    this.pop();
    this.indicator("]", false);
  }

  flowMap(v: Record<string, unknown>): void {
    this.indicator("{", true, true);
    this.flowLevel++;
    this.increase(true);
    this.keys(v).forEach((k, i) => {
      if (i) this.indicator(",", false);
      if (this.col > this.o.width) this.writeIndent();
      this.node(k, { map: true, key: true });
      this.indicator(":", false);
      this.node(v[k], { map: true });
    });
    this.flowLevel--;
    this.pop();
    this.indicator("}", false);
  }

  blockSeq(v: unknown[]): void {
    const indentless = this.mappingContext && !this.indention;
    this.increase(false, indentless);
    for (const x of v) {
      this.writeIndent();
      this.indicator("-", true, false, true);
      this.node(x, { seq: true });
    }
    this.pop();
  }

  blockMap(v: Record<string, unknown>): void {
    this.increase(false);
    for (const k of this.keys(v)) {
      this.writeIndent();
      this.node(k, { map: true, key: true });
      this.indicator(":", false);
      this.node(v[k], { map: true });
    }
    this.pop();
  }

  scalar(v: unknown): void {
    if (v === null || v === undefined) return this.plain("null");
    if (v === true) return this.plain("true");
    if (v === false) return this.plain("false");
    if (v instanceof PyFloat || (typeof v === "number" && !Number.isInteger(v))) {
      const x = typeof v === "number" ? v : v.value;
      if (Number.isNaN(x)) return this.plain(".nan");
      if (x === Infinity) return this.plain(".inf");
      if (x === -Infinity) return this.plain("-.inf");
      let s = floatRepr(x).toLowerCase();
      if (!s.includes(".") && s.includes("e")) s = s.replace("e", ".0e");
      return this.plain(s);
    }
    if (typeof v === "number" || typeof v === "bigint") return this.plain(intRepr(v));
    if (v instanceof VaultString) return this.vault(v);
    if (typeof v !== "string") throw new YamlDumpError(v);
    const literal = this.literalOf?.(v);
    if (literal !== undefined) {
      if (literal && !this.flowLevel && !this.simpleKey && !BLOCK_REFUSED.test(literal)) {
        return this.literal(literal);
      }
      return this.doubleQuoted(literal);
    }
    const a = analyze(v, this.o.allowUnicode);
    const implicit = !resolvesNonString(v);
    if (
      implicit && !(this.simpleKey && (a.empty || a.multiline)) &&
      (this.flowLevel ? a.flowPlain : a.blockPlain)
    ) {
      return this.plain(v);
    }
    if (a.singleQuoted && !(this.simpleKey && a.multiline)) return this.singleQuoted(v);
    this.doubleQuoted(v);
  }

  /** A vaulted value as AnsibleDumper writes it: its ciphertext under a `!vault` tag, as a literal block. */
  vault(v: VaultString): void {
    this.indicator("!vault", true);
    // a literal block cannot stand in flow context or as a key: libyaml falls back to double quotes
    if (this.flowLevel || this.simpleKey) return this.doubleQuoted(v.ciphertext);
    this.literal(v.ciphertext);
  }

  /** `|` with its chomping hint, then the text's lines at the scalar's indent (libyaml's literal writer). */
  literal(text: string): void {
    let hints = "";
    if (text) {
      if (" \n\x85\u2028\u2029".includes(text[0])) hints += String(this.o.indent);
      if (!BREAKS.includes(text.at(-1)!)) hints += "-";
      else if (text.length === 1 || BREAKS.includes(text.at(-2)!)) hints += "+";
    }
    this.indicator("|" + hints, true);
    this.lineBreak();
    let start = 0;
    let breaks = true;
    for (let end = 0; end <= text.length; end++) {
      const ch = end < text.length ? text[end] : null;
      if (ch !== null && BREAKS.includes(ch)) {
        if (start < end) this.write(text.slice(start, end));
        this.lineBreak(ch);
        start = end + 1;
        breaks = true;
      } else if (ch !== null && breaks) {
        this.writeIndent();
        this.indention = false;
        breaks = false;
      } else if (ch === null && start < end) this.write(text.slice(start, end));
    }
  }

  plain(text: string): void {
    if (!text) return;
    if (!this.whitespace) this.write(" ");
    this.whitespace = false;
    this.indention = false;
    let spaces = false, start = 0;
    const split = !this.simpleKey;
    for (let end = 0; end <= text.length; end++) {
      const ch = end < text.length ? text[end] : null;
      if (spaces) {
        if (ch !== " ") {
          if (start + 1 === end && this.col > this.o.width && split) {
            this.writeIndent();
            this.whitespace = false;
            this.indention = false;
          } else this.write(text.slice(start, end));
          start = end;
        }
      } else if (ch === null || ch === " ") {
        this.write(text.slice(start, end));
        start = end;
      }
      if (ch !== null) spaces = ch === " ";
    }
  }

  singleQuoted(text: string): void {
    this.indicator("'", true);
    const split = !this.simpleKey;
    let spaces = false, breaks = false, start = 0;
    for (let end = 0; end <= text.length; end++) {
      const ch = end < text.length ? text[end] : null;
      if (spaces) {
        if (ch === null || ch !== " ") {
          if (start + 1 === end && this.col > this.o.width && split && start !== 0 && end !== text.length) {
            this.writeIndent();
          } else this.write(text.slice(start, end));
          start = end;
        }
      } else if (breaks) {
        if (ch === null || !BREAKS.includes(ch)) {
          if (text[start] === "\n") this.lineBreak();
          for (const br of text.slice(start, end)) this.lineBreak(br);
          this.writeIndent();
          start = end;
        }
      } else if (ch === null || ch === " " || BREAKS.includes(ch) || ch === "'") {
        if (start < end) {
          this.write(text.slice(start, end));
          start = end;
        }
      }
      if (ch === "'") {
        this.write("''");
        start = end + 1;
      }
      if (ch !== null) {
        spaces = ch === " ";
        breaks = BREAKS.includes(ch);
      }
    }
    this.indicator("'", false);
  }

  doubleQuoted(text: string): void {
    this.indicator('"', true);
    // libyaml folds a long double-quoted scalar only at a space (the first of a run), never after an escape
    const allowBreaks = !this.simpleKey;
    const chars = [...text];
    let spaces = false;
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i];
      const c = ch.codePointAt(0)!;
      // libyaml escapes characters outside the BMP
      const needsEsc = '"\\\x85\u2028\u2029\ufeff'.includes(ch) ||
        !((c >= 0x20 && c <= 0x7e) ||
          (this.o.allowUnicode && ((c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd))));
      if (needsEsc) {
        let data: string;
        if (ch in DQ_ESC) data = "\\" + DQ_ESC[ch];
        else if (c <= 0xff) data = "\\x" + c.toString(16).toUpperCase().padStart(2, "0");
        else if (c <= 0xffff) data = "\\u" + c.toString(16).toUpperCase().padStart(4, "0");
        else data = "\\U" + c.toString(16).toUpperCase().padStart(8, "0");
        this.write(data);
        spaces = false;
      } else if (ch === " ") {
        if (allowBreaks && !spaces && this.col > this.o.width && i !== 0 && i !== chars.length - 1) {
          this.writeIndent();
          if (chars[i + 1] === " ") this.write("\\");
        } else this.write(" ");
        spaces = true;
      } else {
        this.write(ch);
        spaces = false;
      }
    }
    this.indicator('"', false);
  }
}

/** Values Python's representer may alias: lists, dicts and vaulted values (not str, numbers, None). */
function aliasable(v: unknown): v is object {
  return Array.isArray(v) || isDict(v) || v instanceof VaultString;
}

const SURROGATE = /[\ud800-\udfff]/;

/** libyaml counts columns in characters, not UTF-16 units. */
function codePoints(s: string): number {
  if (!SURROGATE.test(s)) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** The value model as the dumper sees it: an unsafe string is its text; a vaulted one keeps its tag. */
function modelValue(v: unknown): unknown {
  return v instanceof UnsafeString ? v.value : v;
}

/** yaml.dump(v, Dumper=AnsibleDumper, allow_unicode=True, …) as Ansible writes it. */
export function yamlDump(v: unknown, opts: YamlDumpOptions = {}): string {
  const e = new Emitter(
    {
      indent: opts.indent ?? 2,
      flow: opts.flow === undefined ? false : opts.flow,
      sortKeys: opts.sortKeys ?? true,
      width: opts.width ?? 80,
      explicitStart: opts.explicitStart ?? false,
      anchors: opts.anchors ?? false,
      allowUnicode: opts.allowUnicode ?? true,
    },
    opts.represent ?? modelValue,
    opts.literal,
  );
  if (opts.anchors) e.collectAnchors(v);
  if (opts.explicitStart) {
    e.write("---");
    e.whitespace = false;
  }
  e.node(v, {});
  // libyaml does not end a plain root scalar with "..." (pure PyYAML does)
  e.writeIndent();
  return e.out;
}
