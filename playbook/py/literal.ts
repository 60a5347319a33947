// Python's ast.literal_eval: numbers, strings, True/False/None, lists, tuples, dicts (and sets where a
// caller can keep them), for INI inventory values and for Ansible's reading of rendered template text.
import { PyFloat, pyInt } from "../values.ts";
import { pyStr } from "./repr.ts";

// A thrown plain object: capturing stack traces for every non-literal string would cost more than parsing.
const FAIL = { literal: false };

export type LiteralResult = { ok: true; value: unknown } | { ok: false };

export interface LiteralOptions {
  /** Also read true/false/null as True/False/None (Ansible's Json2Python transform of template text). */
  json?: boolean;
  /**
   * Strip leading spaces and tabs first, as literal_eval does with a str. Without it leading white space
   * fails, as it does when Ansible parses the text itself (ast.parse raises IndentationError).
   */
  lstrip?: boolean;
  /** Read `{a, b}` as a list of its distinct items; without it a set is not a literal. */
  sets?: boolean;
  /** What a tuple becomes: by default a plain list. */
  tuple?: (items: unknown[]) => unknown;
}

/** `text` as a Python literal, or `{ ok: false }` when literal_eval would raise. */
export function literalEval(text: string, opts: LiteralOptions = {}): LiteralResult {
  if (opts.lstrip) text = text.replace(/^[ \t]+/, "");
  if (text.length === 0) return { ok: false };
  if (text[0] === " " || text[0] === "\t") return { ok: false };
  // only these can start a literal (digits, quotes, brackets, signs, True/False/None, string prefixes)
  if (!/^[0-9'"[({+\-.TFNrRuUbBfFtn]/.test(text)) return { ok: false };
  const p = new LitParser(text, opts);
  try {
    const v = p.value();
    p.ws(true);
    if (p.i < text.length) return { ok: false };
    return { ok: true, value: v };
  } catch (e) {
    if (e === FAIL) return { ok: false };
    throw e;
  }
}

class LitParser {
  i = 0;
  depth = 0;
  constructor(readonly s: string, readonly o: LiteralOptions) {}

  ws(allowNewline: boolean): void {
    const s = this.s;
    for (;;) {
      const c = s[this.i];
      if (c === " " || c === "\t" || c === "\f") this.i++;
      else if ((c === "\n" || c === "\r") && (allowNewline || this.depth > 0)) this.i++;
      else if (c === "\\" && (s[this.i + 1] === "\n")) this.i += 2;
      else if (c === "#") {
        while (this.i < s.length && s[this.i] !== "\n") this.i++;
      } else return;
    }
  }

  value(): unknown {
    this.ws(false);
    let v = this.unary();
    this.ws(false);
    // a bare top-level tuple: "1, 2"
    if (this.depth === 0 && this.s[this.i] === ",") {
      const items = [v];
      while (this.s[this.i] === ",") {
        this.i++;
        this.ws(false);
        if (this.i >= this.s.length) break;
        items.push(this.unary());
        this.ws(false);
      }
      v = this.tuple(items);
    }
    return v;
  }

  unary(): unknown {
    const c = this.s[this.i];
    if (c === "-" || c === "+") {
      this.i++;
      this.ws(false);
      // one sign on a number: literal_eval refuses `--5` and `-True`
      if (this.s[this.i] === "-" || this.s[this.i] === "+") throw FAIL;
      const v = this.atom();
      if (typeof v === "number" || typeof v === "bigint") return c === "-" ? -v : v;
      if (v instanceof PyFloat) return c === "-" ? new PyFloat(-v.value) : v;
      throw FAIL;
    }
    return this.atom();
  }

  atom(): unknown {
    const s = this.s;
    const c = s[this.i];
    if (c === undefined) throw FAIL;
    if (c === "[" || c === "(") {
      const close = c === "[" ? "]" : ")";
      this.i++;
      this.depth++;
      const items: unknown[] = [];
      let sawComma = false;
      for (;;) {
        this.ws(true);
        if (s[this.i] === close) break;
        items.push(this.unary());
        this.ws(true);
        if (s[this.i] === ",") {
          sawComma = true;
          this.i++;
          continue;
        }
        if (s[this.i] !== close) throw FAIL;
      }
      this.i++;
      this.depth--;
      if (c === "(") return items.length === 1 && !sawComma ? items[0] : this.tuple(items);
      return items;
    }
    if (c === "{") {
      this.i++;
      this.depth++;
      this.ws(true);
      if (s[this.i] === "}") {
        this.i++;
        this.depth--;
        return {};
      }
      const first = this.unary();
      this.ws(true);
      const value = s[this.i] === ":" ? this.dict(first) : this.set(first);
      this.depth--;
      return value;
    }
    if (c === "'" || c === '"' || /[rRuUbBfF]/.test(c) && /['"]/.test(s[this.i + 1] ?? "")) {
      let v = this.string();
      for (;;) {
        const save = this.i;
        this.ws(false);
        const d = s[this.i];
        if (d === "'" || d === '"' || (d && /[rRuU]/.test(d) && /['"]/.test(s[this.i + 1] ?? ""))) {
          v += this.string();
        } else {
          this.i = save;
          break;
        }
      }
      return v;
    }
    if (/[0-9.]/.test(c)) return this.number();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(this.i, this.i + 64));
    if (m) {
      this.i += m[0].length;
      switch (m[0]) {
        case "True":
          return true;
        case "False":
          return false;
        case "None":
          return null;
      }
      if (this.o.json) {
        if (m[0] === "true") return true;
        if (m[0] === "false") return false;
        if (m[0] === "null") return null;
      }
    }
    throw FAIL;
  }

  tuple(items: unknown[]): unknown {
    return this.o.tuple ? this.o.tuple(items) : items;
  }

  /** The rest of `{k: v, …}` after its first key. */
  dict(first: unknown): Record<string, unknown> {
    const s = this.s;
    const out: Record<string, unknown> = {};
    let k = first;
    for (;;) {
      this.i++; // the ":"
      this.ws(true);
      out[keyText(k)] = this.unary();
      this.ws(true);
      if (s[this.i] === ",") {
        this.i++;
        this.ws(true);
      } else if (s[this.i] !== "}") throw FAIL;
      if (s[this.i] === "}") {
        this.i++;
        return out;
      }
      k = this.unary();
      this.ws(true);
      if (s[this.i] !== ":") throw FAIL;
    }
  }

  /** The rest of `{a, b, …}` after its first item: a list of the distinct items, where sets are allowed. */
  set(first: unknown): unknown[] {
    if (!this.o.sets) throw FAIL;
    if (first !== null && typeof first === "object" && !(first instanceof PyFloat)) throw FAIL; // unhashable
    const s = this.s;
    const out: unknown[] = [first];
    for (;;) {
      if (s[this.i] === "}") {
        this.i++;
        return out;
      }
      if (s[this.i] !== ",") throw FAIL;
      this.i++;
      this.ws(true);
      if (s[this.i] === "}") continue;
      const v = this.unary();
      if (v !== null && typeof v === "object" && !(v instanceof PyFloat)) throw FAIL; // unhashable
      if (!out.some((x) => sameKey(x, v))) out.push(v);
      this.ws(true);
    }
  }

  string(): string {
    const s = this.s;
    let raw = false;
    while (/[rRuU]/.test(s[this.i])) {
      if (s[this.i] === "r" || s[this.i] === "R") raw = true;
      this.i++;
    }
    if (/[bBfF]/.test(s[this.i])) throw FAIL;
    const q = s[this.i];
    const triple = s.startsWith(q.repeat(3), this.i);
    const delim = triple ? q.repeat(3) : q;
    this.i += delim.length;
    let out = "";
    for (;;) {
      if (this.i >= s.length) throw FAIL;
      if (s.startsWith(delim, this.i)) {
        this.i += delim.length;
        return out;
      }
      const ch = s[this.i];
      if (!triple && ch === "\n") throw FAIL;
      if (ch === "\\") {
        const n = s[this.i + 1];
        if (n === undefined) throw FAIL;
        if (raw) {
          out += ch + n;
          this.i += 2;
          continue;
        }
        this.i += 2;
        switch (n) {
          case "n":
            out += "\n";
            break;
          case "t":
            out += "\t";
            break;
          case "r":
            out += "\r";
            break;
          case "\\":
            out += "\\";
            break;
          case "'":
            out += "'";
            break;
          case '"':
            out += '"';
            break;
          case "\n":
            break;
          case "a":
            out += "\x07";
            break;
          case "b":
            out += "\b";
            break;
          case "f":
            out += "\f";
            break;
          case "v":
            out += "\v";
            break;
          case "x":
          case "u":
          case "U": {
            const len = n === "x" ? 2 : n === "u" ? 4 : 8;
            const hex = s.slice(this.i, this.i + len);
            if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) throw FAIL;
            out += String.fromCodePoint(parseInt(hex, 16));
            this.i += len;
            break;
          }
          default:
            if (/[0-7]/.test(n)) {
              let oct = n;
              while (oct.length < 3 && /[0-7]/.test(s[this.i])) oct += s[this.i++];
              out += String.fromCharCode(parseInt(oct, 8));
            } else out += "\\" + n;
        }
        continue;
      }
      out += ch;
      this.i++;
    }
  }

  number(): unknown {
    const rest = this.s.slice(this.i, this.i + 400);
    let m = /^0[xX](?:_?[0-9a-fA-F])+|^0[oO](?:_?[0-7])+|^0[bB](?:_?[01])+/.exec(rest);
    if (m) {
      this.i += m[0].length;
      this.noTrailingName();
      return pyInt(m[0].replace(/_/g, ""));
    }
    m = /^(?:[0-9](?:_?[0-9])*)?(?:\.(?:[0-9](?:_?[0-9])*)?)?(?:[eE][+-]?[0-9](?:_?[0-9])*)?/.exec(rest);
    const t = m![0];
    if (!t || t === "." || !/[0-9]/.test(t)) throw FAIL;
    this.i += t.length;
    if (/^[jJ]/.test(this.s[this.i] ?? "")) throw FAIL;
    this.noTrailingName();
    const clean = t.replace(/_/g, "");
    if (/[.eE]/.test(clean)) {
      const f = parseFloat(clean);
      return Number.isInteger(f) ? new PyFloat(f) : f;
    }
    if (/^0+[0-9]/.test(clean) && /[1-9]/.test(clean)) throw FAIL; // 0644 is a SyntaxError
    return pyInt(clean.replace(/^0+(?=\d)/, ""));
  }

  noTrailingName(): void {
    if (/[A-Za-z0-9_]/.test(this.s[this.i] ?? "")) throw FAIL;
  }
}

/** A dict key as the value model keeps it (a str): other hashable literals as Python's str() prints them. */
function keyText(k: unknown): string {
  if (Array.isArray(k)) throw FAIL; // a tuple key has no str form in the value model
  return pyStr(k);
}

/** Python's set equality of hashable literals: 1, 1.0 and True are one item. */
function sameKey(a: unknown, b: unknown): boolean {
  const n = (x: unknown) => typeof x === "boolean" ? Number(x) : x instanceof PyFloat ? x.value : x;
  const x = n(a), y = n(b);
  return typeof x === "bigint" || typeof y === "bigint" ? String(x) === String(y) : x === y;
}
