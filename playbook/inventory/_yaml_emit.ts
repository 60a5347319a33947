// PyYAML's block-style emitter as `yaml.dump(data, default_flow_style=False, allow_unicode=True)` runs it
// for ansible-inventory --yaml: sorted keys, indentless sequences under keys, plain scalars when they
// would read back as the same string, else single quotes (folded at 80 columns) or double quotes, and
// &idNNN/*idNNN for a list or mapping that appears more than once.
import { PyFloat, UnsafeString, VaultString } from "../values.ts";
import { resolvePlain } from "../yaml/_resolve.ts";
import { pySortCompare } from "./_dump.ts";
import { floatRepr } from "../py/repr.ts";

const BEST_WIDTH = 80;
const BREAKS = "\n\x85\u2028\u2029";
const WS = "\0 \t\r\n\x85\u2028\u2029";

interface Analysis {
  multiline: boolean;
  allowBlockPlain: boolean;
  allowSingleQuoted: boolean;
}

function isPrintable(ch: string): boolean {
  const c = ch.codePointAt(0)!;
  if (ch === "\n" || (c >= 0x20 && c <= 0x7e)) return true;
  return (c === 0x85 || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) ||
    (c >= 0x10000 && c < 0x10ffff)) && c !== 0xfeff;
}

function analyze(s: string): Analysis {
  if (!s) return { multiline: false, allowBlockPlain: true, allowSingleQuoted: true };
  const chars = [...s];
  let block = s.startsWith("---") || s.startsWith("...");
  let breaks = false, special = false;
  let leadingSpace = false, leadingBreak = false, trailingSpace = false, trailingBreak = false;
  let breakSpace = false, spaceBreak = false, prevSpace = false, prevBreak = false;
  let precededByWs = true;
  let followedByWs = chars.length === 1 || WS.includes(chars[1]);
  chars.forEach((ch, i) => {
    if (i === 0) {
      if ("#,[]{}&*!|>'\"%@`".includes(ch)) block = true;
      if ("?:".includes(ch) && followedByWs) block = true;
      if (ch === "-" && followedByWs) block = true;
    } else {
      if (ch === ":" && followedByWs) block = true;
      if (ch === "#" && precededByWs) block = true;
    }
    if (BREAKS.includes(ch)) breaks = true;
    if (!isPrintable(ch)) special = true;
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
    } else {
      prevSpace = prevBreak = false;
    }
    precededByWs = WS.includes(ch);
    followedByWs = i + 2 >= chars.length || WS.includes(chars[i + 2]);
  });
  let plain = true, single = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) plain = false;
  if (breakSpace) plain = single = false;
  if (spaceBreak || special) plain = single = false;
  if (breaks || block) plain = false;
  return { multiline: breaks, allowBlockPlain: plain, allowSingleQuoted: single };
}

/** Would this text, written plain, read back as the same string? (PyYAML's implicit resolvers.) */
function resolvesToStr(s: string): boolean {
  return s !== "" && s !== "=" && s !== "<<" && resolvePlain(s) === "str";
}

const ESCAPES: Record<string, string> = {
  "\0": "0",
  "\x07": "a",
  "\x08": "b",
  "\t": "t",
  "\n": "n",
  "\x0b": "v",
  "\x0c": "f",
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
  column = 0;
  #anchors = new Map<object, string | null>();
  #emitted = new Set<object>();

  write(s: string) {
    this.out += s;
    this.column += [...s].length;
  }

  lineBreak() {
    this.out += "\n";
    this.column = 0;
  }

  indentTo(n: number) {
    if (this.column > n || (this.column === n && this.column !== 0)) this.lineBreak();
    if (this.column < n) this.write(" ".repeat(n - this.column));
  }

  /** Anchors go to collections met a second time, numbered in the order of that second meeting. */
  collectAnchors(v: unknown) {
    const x = aliasable(v);
    if (!x) return;
    if (this.#anchors.has(x)) {
      if (this.#anchors.get(x) === null) {
        this.#anchors.set(
          x,
          `id${String([...this.#anchors.values()].filter((a) => a).length + 1).padStart(3, "0")}`,
        );
      }
      return;
    }
    this.#anchors.set(x, null);
    if (Array.isArray(x)) x.forEach((i) => this.collectAnchors(i));
    else if (!(x instanceof VaultString)) {
      for (const k of Object.keys(x).sort(pySortCompare)) {
        this.collectAnchors((x as Record<string, unknown>)[k]);
      }
    }
  }

  /** Writes " &idNNN" for a first meeting, or " *idNNN" (and returns true) for a later one. */
  anchorOrAlias(v: unknown): boolean {
    const x = aliasable(v);
    const id = x ? this.#anchors.get(x) : undefined;
    if (!x || !id) return false;
    if (this.#emitted.has(x)) {
      this.write(` *${id}`);
      return true;
    }
    this.#emitted.add(x);
    this.write(` &${id}`);
    return false;
  }

  scalar(text: string, indent: number, isKey: boolean) {
    const a = analyze(text);
    if (resolvesToStr(text) && a.allowBlockPlain && !(isKey && a.multiline)) {
      return this.plain(text, indent, !isKey);
    }
    if (a.allowSingleQuoted && !(isKey && a.multiline)) return this.singleQuoted(text, indent, !isKey);
    this.write(doubleQuoted(text));
  }

  plain(text: string, indent: number, split: boolean) {
    const chars = [...text];
    let start = 0;
    let spaces = false;
    for (let end = 0; end <= chars.length; end++) {
      const ch = chars[end];
      if (spaces) {
        if (ch !== " ") {
          if (start + 1 === end && this.column > BEST_WIDTH && split) this.indentTo(indent);
          else this.write(chars.slice(start, end).join(""));
          start = end;
        }
      } else if (ch === undefined || ch === " ") {
        this.write(chars.slice(start, end).join(""));
        start = end;
      }
      spaces = ch === " ";
    }
  }

  singleQuoted(text: string, indent: number, split: boolean) {
    this.write("'");
    const chars = [...text];
    let start = 0;
    let spaces = false, breaks = false;
    for (let end = 0; end <= chars.length; end++) {
      const ch = chars[end];
      if (spaces) {
        if (ch !== " ") {
          if (start + 1 === end && this.column > BEST_WIDTH && split && start !== 0 && end !== chars.length) {
            this.indentTo(indent);
          } else this.write(chars.slice(start, end).join(""));
          start = end;
        }
      } else if (breaks) {
        if (ch === undefined || !BREAKS.includes(ch)) {
          if (chars[start] === "\n") this.lineBreak();
          for (let i = start; i < end; i++) this.lineBreak();
          this.write(" ".repeat(indent));
          start = end;
        }
      } else if (ch === undefined || " \n\x85\u2028\u2029'".includes(ch)) {
        if (start < end) this.write(chars.slice(start, end).join(""));
        start = end;
      }
      if (ch === "'") {
        this.write("''");
        start = end + 1;
      }
      spaces = ch === " ";
      breaks = ch !== undefined && BREAKS.includes(ch);
    }
    this.write("'");
  }

  /** A value after `key:` or `- `: scalars on the same line, collections below. */
  value(v: unknown, indent: number, inSeq: boolean) {
    if (this.anchorOrAlias(v)) return;
    if (v instanceof VaultString) {
      this.write(" !vault |" + (v.ciphertext.endsWith("\n") ? "" : "-"));
      for (const line of v.ciphertext.replace(/\n$/, "").split("\n")) {
        this.lineBreak();
        this.write(" ".repeat(indent + 2) + line);
      }
      return;
    }
    v = unwrap(v);
    if (Array.isArray(v) && v.length) {
      // Under a key a list is not indented; inside a list it is.
      this.sequence(v, inSeq ? indent + 2 : indent, inSeq);
    } else if (isMap(v) && Object.keys(v).length) {
      this.mapping(v, indent + 2, inSeq);
    } else {
      this.write(" ");
      this.inlineScalar(v, indent + 2);
    }
  }

  inlineScalar(v: unknown, indent: number) {
    if (Array.isArray(v)) return this.write("[]");
    if (isMap(v)) return this.write("{}");
    if (v === null || v === undefined) return this.write("null");
    if (v === true || v === false) return this.write(String(v));
    if (v instanceof PyFloat) return this.write(yamlFloat(v.value));
    if (typeof v === "number") return this.write(Number.isInteger(v) ? String(v) : yamlFloat(v));
    this.scalar(String(v), indent, false);
  }

  /** Entries of a mapping at `indent`; `sameLine` continues after a `- ` already written. */
  mapping(m: Record<string, unknown>, indent: number, sameLine: boolean) {
    let first = true;
    for (const k of Object.keys(m).sort(pySortCompare)) {
      if (!(first && sameLine && this.column === indent)) this.indentTo(indent);
      first = false;
      this.scalar(k, indent, true);
      this.write(":");
      this.value(m[k], indent, false);
    }
  }

  sequence(items: unknown[], indent: number, sameLine: boolean) {
    let first = true;
    for (const item of items) {
      if (!(first && sameLine && this.column === indent)) this.indentTo(indent);
      first = false;
      this.write("-");
      const x = aliasable(item);
      if (x && !(x instanceof VaultString) && this.#anchors.get(x) && !this.#emitted.has(x)) {
        // An anchored collection in a list starts on the next line.
        this.anchorOrAlias(item);
        const u = unwrap(item);
        if (Array.isArray(u) && u.length) this.sequence(u, indent + 2, false);
        else if (isMap(u) && Object.keys(u).length) this.mapping(u, indent + 2, false);
        else {
          this.write(" ");
          this.inlineScalar(u, indent + 2);
        }
        continue;
      }
      if (this.anchorOrAlias(item)) continue;
      const u = unwrap(item);
      if (item instanceof VaultString) this.value(item, indent, true);
      else if ((Array.isArray(u) && u.length) || (isMap(u) && Object.keys(u).length)) {
        this.write(" ");
        if (Array.isArray(u)) this.sequence(u, indent + 2, true);
        else this.mapping(u as Record<string, unknown>, indent + 2, true);
      } else {
        this.write(" ");
        this.inlineScalar(u, indent + 2);
      }
    }
  }
}

function unwrap(v: unknown): unknown {
  return v instanceof UnsafeString ? v.value : v;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/** Values PyYAML may alias: lists, mappings and vaulted strings (not str, numbers, booleans, None). */
function aliasable(v: unknown): object | undefined {
  if (Array.isArray(v) || isMap(v) || v instanceof VaultString) return v as object;
  return undefined;
}

function yamlFloat(n: number): string {
  if (Number.isNaN(n)) return ".nan";
  if (!Number.isFinite(n)) return n > 0 ? ".inf" : "-.inf";
  const r = floatRepr(n);
  return !r.includes(".") && r.includes("e") ? r.replace("e", ".0e") : r;
}

function doubleQuoted(text: string): string {
  let out = '"';
  for (const ch of text) {
    if (ch in ESCAPES) out += "\\" + ESCAPES[ch];
    else if (isPrintable(ch)) out += ch;
    else {
      const c = ch.codePointAt(0)!;
      out += c <= 0xff
        ? "\\x" + c.toString(16).toUpperCase().padStart(2, "0")
        : c <= 0xffff
        ? "\\u" + c.toString(16).toUpperCase().padStart(4, "0")
        : "\\U" + c.toString(16).toUpperCase().padStart(8, "0");
    }
  }
  return out + '"';
}

/** yaml.dump(v, default_flow_style=False, allow_unicode=True) as PyYAML writes it. */
export function pyYamlDump(v: unknown): string {
  const e = new Emitter();
  e.collectAnchors(v);
  const u = unwrap(v);
  if (isMap(u) && Object.keys(u).length) e.mapping(u, 0, false);
  else if (Array.isArray(u) && u.length) e.sequence(u, 0, false);
  else {
    e.inlineScalar(u, 0);
    if (typeof u === "string" || u === null) e.write("\n...");
  }
  return e.out + "\n";
}
