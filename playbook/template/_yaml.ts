// to_yaml/to_nice_yaml: a YAML emitter that follows PyYAML's (yaml.dump) layout and scalar styles;
// from_yaml: the yaml npm package in YAML 1.1 mode, keeping floats like 1.0 as floats.
import { isMap, isScalar, isSeq, type Node as YNode, parseAllDocuments } from "yaml";
import { PyFloat } from "../values.ts";
import { constructInt } from "../yaml/_resolve.ts";
import { floatRepr, isMapping, mapGet, mapKeys, strLen, Undefined, unwrap } from "./_py.ts";
import { TemplateError } from "./_errors.ts";

export interface YamlDumpOptions {
  indent: number;
  /** null: flow style for collections of scalars only (PyYAML default_flow_style=None). */
  flow: boolean | null;
  sortKeys: boolean;
  width: number;
  explicitStart: boolean;
  /**
   * A Dumper's represent_scalar override (community.general.yaml's): for a string, the text to write in
   * literal block style (`|`) instead, or undefined to write it as usual. Where a block cannot go (flow
   * context, a key, trailing or pre-break spaces) the returned text is double-quoted, as PyYAML does.
   */
  literal?: (s: string) => string | undefined;
}

const BOOL_RE = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const FLOAT_RE =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const INT_RE =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const NULL_RE = /^(?:~|null|Null|NULL|)$/;
const TS_RE =
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/;

/** Would a plain scalar with this text resolve to something other than a string? */
function resolvesNonString(s: string): boolean {
  return BOOL_RE.test(s) || FLOAT_RE.test(s) || INT_RE.test(s) || NULL_RE.test(s) || TS_RE.test(s) ||
    s === "<<" ||
    s === "=";
}

const BREAKS = "\n\x85\u2028\u2029";
// What makes PyYAML refuse a block scalar: a space before a break or at the end, a special character.
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

function analyze(s: string): Analysis {
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
      // libyaml (which Ansible's dumper uses) treats characters outside the BMP as unprintable
      const uni = (c === 0x85 || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd)) && c !== 0xfeff;
      if (!uni) special = true;
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
  openEnded = false;
  rootContext = false;
  simpleKey = false;
  mappingContext = false;
  constructor(readonly o: YamlDumpOptions) {}

  write(s: string): void {
    this.out += s;
    this.col += strLen(s);
  }
  lineBreak(): void {
    this.out += "\n";
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

  node(v: unknown, ctx: { root?: boolean; seq?: boolean; map?: boolean; key?: boolean }): void {
    this.rootContext = !!ctx.root;
    this.mappingContext = !!ctx.map;
    this.simpleKey = !!ctx.key;
    v = unwrap(v);
    if (v instanceof Undefined) v.fail();
    if (Array.isArray(v)) {
      if (this.flowLevel || this.isFlow(v) || v.length === 0) this.flowSeq(v);
      else this.blockSeq(v);
    } else if (isMapping(v)) {
      const m = v as Record<string, unknown>;
      if (this.flowLevel || this.isFlow(m) || mapKeys(m).length === 0) this.flowMap(m);
      else this.blockMap(m);
    } else {
      this.increase(true);
      this.scalar(v);
      this.pop();
    }
  }

  isFlow(v: unknown[] | object): boolean {
    if (this.o.flow !== null) return this.o.flow;
    const items = Array.isArray(v)
      ? v
      : mapKeys(v as Record<string, unknown>).flatMap((k) => [k, mapGet(v as Record<string, unknown>, k)]);
    return items.every((x) => {
      const u = unwrap(x);
      return !Array.isArray(u) && !isMapping(u);
    });
  }

  keys(v: Record<string, unknown>): string[] {
    const ks = mapKeys(v);
    return this.o.sortKeys ? [...ks].sort() : ks;
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
      this.node(mapGet(v, k), { map: true });
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
      this.node(mapGet(v, k), { map: true });
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
    if (typeof v === "number") return this.plain(v.toFixed(0));
    if (typeof v === "bigint") return this.plain(v.toString());
    if (typeof v !== "string") throw new TemplateError(`cannot represent an object: ${String(v)}`);
    const literal = this.o.literal?.(v);
    if (literal !== undefined) {
      if (literal && !this.flowLevel && !this.simpleKey && !BLOCK_REFUSED.test(literal)) {
        return this.writeLiteral(literal);
      }
      return this.doubleQuoted(literal);
    }
    const a = analyze(v);
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

  /** PyYAML's write_literal: `|` with its hints (indentation, chomping), then the lines at the indent. */
  writeLiteral(text: string): void {
    let hints = "";
    if (text) {
      if (" \n\x85\u2028\u2029".includes(text[0])) hints += String(this.o.indent);
      if (!BREAKS.includes(text[text.length - 1])) hints += "-";
      else if (text.length === 1 || BREAKS.includes(text[text.length - 2])) hints += "+";
    }
    this.indicator("|" + hints, true);
    if (hints.endsWith("+")) this.openEnded = true;
    this.lineBreak();
    let breaks = true, start = 0;
    for (let end = 0; end <= text.length; end++) {
      const ch = end < text.length ? text[end] : null;
      if (breaks) {
        if (ch === null || !BREAKS.includes(ch)) {
          for (const br of text.slice(start, end)) {
            if (br === "\n") this.lineBreak();
            else {
              this.out += br;
              this.col = 0;
              this.whitespace = this.indention = true;
            }
          }
          if (ch !== null) this.writeIndent();
          start = end;
        }
      } else if (ch === null || BREAKS.includes(ch)) {
        this.write(text.slice(start, end));
        if (ch === null) this.lineBreak();
        start = end;
      }
      if (ch !== null) breaks = BREAKS.includes(ch);
    }
  }

  plain(text: string): void {
    if (this.rootContext) this.openEnded = true;
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
          for (const br of text.slice(start, end)) {
            if (br === "\n") this.lineBreak();
            else {
              this.out += br;
              this.col = 0;
            }
          }
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
    const split = !this.simpleKey;
    let start = 0;
    const chars = [...text];
    for (let end = 0; end <= chars.length; end++) {
      const ch = end < chars.length ? chars[end] : null;
      const c = ch === null ? 0 : ch.codePointAt(0)!;
      // libyaml escapes characters outside the BMP
      const needsEsc = ch === null || '"\\\x85\u2028\u2029\ufeff'.includes(ch) ||
        !((c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd));
      if (needsEsc) {
        if (start < end) {
          this.write(chars.slice(start, end).join(""));
          start = end;
        }
        if (ch !== null) {
          let data: string;
          if (ch in DQ_ESC) data = "\\" + DQ_ESC[ch];
          else if (c <= 0xff) data = "\\x" + c.toString(16).toUpperCase().padStart(2, "0");
          else if (c <= 0xffff) data = "\\u" + c.toString(16).toUpperCase().padStart(4, "0");
          else data = "\\U" + c.toString(16).toUpperCase().padStart(8, "0");
          this.write(data);
          start = end + 1;
        }
      }
      if (
        0 < end && end < chars.length - 1 && (ch === " " || start >= end) &&
        this.col + (end - start) > this.o.width && split
      ) {
        let data = chars.slice(start, end).join("") + "\\";
        if (start < end) start = end;
        this.write(data);
        this.writeIndent();
        this.whitespace = false;
        this.indention = false;
        if (chars[start] === " ") {
          data = "\\";
          this.write(data);
        }
      }
    }
    this.indicator('"', false);
  }
}

/** yaml.dump with Ansible's settings (allow_unicode, sorted keys). */
export function toYaml(v: unknown, o: YamlDumpOptions): string {
  const e = new Emitter(o);
  if (o.explicitStart) {
    e.write("---");
    e.whitespace = false;
  }
  e.node(v, { root: true });
  // Ansible dumps with libyaml, which does not end a plain root scalar with "...".
  e.writeIndent();
  return e.out;
}

function convert(n: YNode | null | undefined): unknown {
  if (n === null || n === undefined) return null;
  if (isScalar(n)) {
    const v = n.value;
    if (typeof v === "number" && Number.isInteger(v)) {
      const src = (n as { source?: string }).source ??
        (n.srcToken as { source?: string } | undefined)?.source;
      if (src && /^[-+]?(\d[\d_]*)?\.\d*([eE][-+]?\d+)?$|^[-+]?\d[\d_]*[eE][-+]?\d+$/.test(src)) {
        return new PyFloat(v);
      }
      if (src && !Number.isSafeInteger(v)) return constructInt(src) ?? v; // exact beyond ±2^53
    }
    if (v instanceof Date) return v.toISOString();
    // PyYAML reads y/n as strings although YAML 1.1 lists them as booleans
    if (
      typeof v === "boolean" &&
      /^[yYnN]$/.test(String((n.srcToken as { source?: string } | undefined)?.source))
    ) {
      return (n.srcToken as { source: string }).source;
    }
    return v;
  }
  if (isSeq(n)) return n.items.map((i) => convert(i as YNode));
  if (isMap(n)) {
    const out: Record<string, unknown> = {};
    for (const p of n.items) {
      const k = isScalar(p.key) ? p.key.value : convert(p.key as YNode);
      out[k === null ? "None" : typeof k === "boolean" ? (k ? "True" : "False") : String(k)] = convert(
        p.value as YNode,
      );
    }
    return out;
  }
  return (n as { toJSON(): unknown }).toJSON();
}

function parseDocs(text: string) {
  const docs = parseAllDocuments(text, {
    version: "1.1",
    keepSourceTokens: true,
    merge: true,
    uniqueKeys: false,
  });
  if (!Array.isArray(docs)) return [];
  for (const d of docs) if (d.errors.length) throw new TemplateError(`YAML error: ${d.errors[0].message}`);
  return docs;
}

export function fromYaml(text: string): unknown {
  const docs = parseDocs(text);
  return docs.length ? convert(docs[0].contents as YNode) : null;
}

export function fromYamlAll(text: string): unknown[] {
  return parseDocs(text).map((d) => convert(d.contents as YNode));
}
