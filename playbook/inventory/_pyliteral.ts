// A Python literal reader for INI inventory values, as ast.literal_eval reads them: numbers, strings,
// True/False/None, lists, tuples, dicts, sets. Anything else is not a literal (undefined), and the
// INI plugin then keeps the text as a string.
import { PyFloat, pyInt } from "../values.ts";

class NotLiteral extends Error {}

export function literalEval(src: string): { value: unknown } | undefined {
  try {
    const p = new Reader(src);
    p.ws();
    const v = p.expr();
    p.ws();
    if (p.i !== src.length) return undefined;
    return { value: v };
  } catch (e) {
    if (e instanceof NotLiteral) return undefined;
    throw e;
  }
}

class Reader {
  i = 0;
  constructor(readonly s: string) {}
  ws() {
    for (;;) {
      while (this.i < this.s.length && " \t\r\n".includes(this.s[this.i])) this.i++;
      if (this.s[this.i] !== "#") return;
      // Python's tokenizer drops comments, so `1 # note` is the literal 1.
      while (this.i < this.s.length && this.s[this.i] !== "\n") this.i++;
    }
  }
  peek() {
    return this.s[this.i];
  }
  eat(c: string) {
    this.ws();
    if (this.s.startsWith(c, this.i)) {
      this.i += c.length;
      return true;
    }
    return false;
  }
  expr(): unknown {
    this.ws();
    const c = this.peek();
    if (c === undefined) throw new NotLiteral();
    if (c === "[") return this.seq("[", "]");
    if (c === "(") {
      const start = this.i;
      this.i++;
      this.ws();
      if (this.peek() === ")") {
        this.i++;
        return [];
      }
      const first = this.expr();
      if (this.eat(")")) return first;
      this.i = start;
      return this.seq("(", ")");
    }
    if (c === "{") return this.mapping();
    if (c === "'" || c === '"') {
      let out = this.str();
      // adjacent string literals concatenate
      for (;;) {
        this.ws();
        const n = this.peek();
        if (n !== "'" && n !== '"') break;
        out += this.str();
      }
      return out;
    }
    if (c === "-" || c === "+") {
      // only one sign, directly on a number: literal_eval refuses `--5` and `-True`
      this.i++;
      this.ws();
      const v = this.number();
      if (typeof v === "number" || typeof v === "bigint") return c === "-" ? -v : v;
      if (v instanceof PyFloat) return new PyFloat(c === "-" ? -v.value : v.value);
      throw new NotLiteral();
    }
    const m = /^(?:True|False|None)\b/.exec(this.s.slice(this.i));
    if (m) {
      this.i += m[0].length;
      return m[0] === "True" ? true : m[0] === "False" ? false : null;
    }
    return this.number();
  }
  number(): unknown {
    const rest = this.s.slice(this.i);
    let m = /^0[xX](?:_?[0-9a-fA-F])+|^0[oO](?:_?[0-7])+|^0[bB](?:_?[01])+/.exec(rest);
    if (m) {
      this.i += m[0].length;
      return pyInt(m[0].replaceAll("_", ""));
    }
    m =
      /^(?:[0-9](?:_?[0-9])*(?:\.(?:[0-9](?:_?[0-9])*)?)?|\.[0-9](?:_?[0-9])*)(?:[eE][-+]?[0-9](?:_?[0-9])*)?[jJ]?/
        .exec(rest);
    if (!m) throw new NotLiteral();
    const t = m[0].replaceAll("_", "");
    if (/[jJ]$/.test(t)) throw new NotLiteral(); // complex numbers have no JSON form
    this.i += m[0].length;
    if (/[.eE]/.test(t)) {
      const n = Number(t);
      return Number.isInteger(n) ? new PyFloat(n) : n;
    }
    if (/^0[0-9]/.test(t) && /[1-9]/.test(t)) throw new NotLiteral(); // 0644 is a syntax error in Python 3
    return pyInt(t.replace(/^0+(?=\d)/, ""));
  }
  str(): string {
    const q = this.s[this.i];
    const triple = this.s.startsWith(q.repeat(3), this.i);
    const close = triple ? q.repeat(3) : q;
    this.i += close.length;
    let out = "";
    for (;;) {
      if (this.i >= this.s.length) throw new NotLiteral();
      if (this.s.startsWith(close, this.i)) {
        this.i += close.length;
        return out;
      }
      const c = this.s[this.i++];
      if (c === "\n" && !triple) throw new NotLiteral();
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = this.s[this.i++];
      const simple: Record<string, string> = {
        n: "\n",
        t: "\t",
        r: "\r",
        "\\": "\\",
        "'": "'",
        '"': '"',
        a: "\x07",
        b: "\b",
        f: "\f",
        v: "\v",
        "0": "\0",
        "\n": "",
      };
      if (e === "x" || e === "u" || e === "U") {
        const len = e === "x" ? 2 : e === "u" ? 4 : 8;
        const hex = this.s.slice(this.i, this.i + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) throw new NotLiteral();
        this.i += len;
        out += String.fromCodePoint(parseInt(hex, 16));
      } else if (e !== undefined && /[0-7]/.test(e)) {
        let oct = e;
        while (oct.length < 3 && /[0-7]/.test(this.s[this.i] ?? "")) oct += this.s[this.i++];
        out += String.fromCharCode(parseInt(oct, 8));
      } else if (e !== undefined && e in simple) {
        out += simple[e];
      } else {
        out += "\\" + (e ?? "");
      }
    }
  }
  seq(open: string, close: string): unknown[] {
    this.i += open.length;
    const out: unknown[] = [];
    for (;;) {
      if (this.eat(close)) return out;
      out.push(this.expr());
      if (this.eat(close)) return out;
      if (!this.eat(",")) throw new NotLiteral();
    }
  }
  mapping(): unknown {
    this.i++;
    if (this.eat("}")) return {};
    const first = this.expr();
    if (this.eat(":")) {
      const out: Record<string, unknown> = {};
      let k: unknown = first;
      for (;;) {
        out[keyText(k)] = this.expr();
        if (this.eat("}")) return out;
        if (!this.eat(",")) throw new NotLiteral();
        if (this.eat("}")) return out;
        k = this.expr();
        if (!this.eat(":")) throw new NotLiteral();
      }
    }
    // a set literal: kept as a list of its distinct items
    const out: unknown[] = [first];
    for (;;) {
      if (this.eat("}")) return out;
      if (!this.eat(",")) throw new NotLiteral();
      if (this.eat("}")) return out;
      const v = this.expr();
      if (!out.some((x) => x === v)) out.push(v);
    }
  }
}

function keyText(k: unknown): string {
  if (typeof k === "string") return k;
  if (k === true) return "True";
  if (k === false) return "False";
  if (k === null) return "None";
  if (typeof k === "number") return String(k);
  if (k instanceof PyFloat) return `${k.value}.0`;
  throw new NotLiteral(); // unhashable key
}
