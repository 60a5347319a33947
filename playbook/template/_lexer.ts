// Splits Jinja2 template source into data, variable, block and comment parts and tokenizes expressions,
// applying whitespace control (`-`, `+`) and the trim_blocks / lstrip_blocks settings.
import { lineNote, TemplateError } from "./_errors.ts";

export type Tok =
  | { t: "name"; v: string; pos: number }
  | { t: "str"; v: string; pos: number }
  | { t: "int"; v: number | bigint; pos: number }
  | { t: "float"; v: number; pos: number }
  | { t: "op"; v: string; pos: number }
  | { t: "eof"; v: ""; pos: number };

export type Part =
  | { kind: "data"; text: string }
  | { kind: "var"; toks: Tok[]; pos: number }
  | { kind: "block"; toks: Tok[]; pos: number };

export interface LexOptions {
  trimBlocks: boolean;
  lstripBlocks: boolean;
  /** Playbook strings: backslashes inside `{{ }}` string literals are literal (Ansible's _escape_backslashes). */
  escapeBackslashes: boolean;
}

const OPS = [
  "**",
  "//",
  "==",
  "!=",
  ">=",
  "<=",
  "+",
  "-",
  "*",
  "/",
  "%",
  "~",
  "<",
  ">",
  "=",
  ".",
  ",",
  ":",
  "|",
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
];

/**
 * Whitespace between tokens, as Jinja2's lexer (Python's unicode `\s`) skips it: a non-breaking space
 * inside an expression separates tokens too.
 */
// deno-lint-ignore no-control-regex -- Python counts the separators \x1c-\x1f as whitespace
const PY_SPACE = /^[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/;

/** Python's one-character string escapes (`\n`, `\t`, `\\`…), by the character after the backslash. */
export const ESCAPES: Record<string, string> = {
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
};

function unescape(body: string): string {
  // Python's unicode-escape on the literal body, which is what Jinja2 applies to string tokens.
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== "\\" || i + 1 >= body.length) {
      out += c;
      continue;
    }
    const n = body[++i];
    if (n in ESCAPES) out += ESCAPES[n];
    else if (n === "\n") continue;
    else if (n === "x" || n === "u" || n === "U") {
      const len = n === "x" ? 2 : n === "u" ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + len);
      if (/^[0-9a-fA-F]+$/.test(hex) && hex.length === len) {
        out += String.fromCodePoint(parseInt(hex, 16));
        i += len;
      } else out += "\\" + n;
    } else out += "\\" + n;
  }
  return out;
}

/** Tokenizes expression text from `pos` until the closing delimiter `end` ("}}" or "%}"). */
export function lexExpr(
  src: string,
  pos: number,
  end: string,
  escape: boolean,
): { toks: Tok[]; after: number; stripAfter: boolean; keepAfter: boolean } {
  const toks: Tok[] = [];
  const depth: string[] = [];
  let i = pos;
  while (i < src.length) {
    const c = src[i];
    if (PY_SPACE.test(c)) {
      i++;
      continue;
    }
    if (depth.length === 0) {
      if ((c === "-" || c === "+") && src.startsWith(end, i + 1)) {
        toks.push({ t: "eof", v: "", pos: i });
        return { toks, after: i + 1 + end.length, stripAfter: c === "-", keepAfter: c === "+" };
      }
      if (src.startsWith(end, i)) {
        toks.push({ t: "eof", v: "", pos: i });
        return { toks, after: i + end.length, stripAfter: false, keepAfter: false };
      }
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < src.length && /[A-Za-z0-9_]/.test(src[j])) j++;
      toks.push({ t: "name", v: src.slice(i, j), pos: i });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c)) {
      const prevDot = toks.length > 0 && toks[toks.length - 1].t === "op" && toks[toks.length - 1].v === ".";
      const m = prevDot
        ? /^[0-9]+/.exec(src.slice(i))
        : /^(?:[0-9](?:_?[0-9])*)(?:\.[0-9](?:_?[0-9])*)?(?:[eE][+-]?[0-9](?:_?[0-9])*)?/.exec(src.slice(i));
      const text = m![0].replace(/_/g, "");
      if (/[.eE]/.test(text)) toks.push({ t: "float", v: parseFloat(text), pos: i });
      else {
        const n = parseInt(text, 10);
        toks.push({ t: "int", v: Number.isSafeInteger(n) ? n : BigInt(text), pos: i });
      }
      i += m![0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === "\\" ? 2 : 1;
      if (j >= src.length) throw new TemplateError(`unexpected end of string literal${lineNote(src, i)}`);
      const body = src.slice(i + 1, j);
      // With escapeBackslashes Ansible doubles every backslash first, so only `\\` → `\` survives unescaping.
      let value: string;
      if (escape && end === "}}" && body.includes("\\")) {
        // Ansible doubles backslashes in the source text; a quote escaped by one becomes the literal's end.
        const doubled = body.replace(/\\/g, "\\\\");
        for (let k = 0; k < doubled.length; k++) {
          if (doubled[k] === "\\") k++;
          else if (doubled[k] === c) {
            throw new TemplateError(`expected token ',', got '${doubled.slice(k + 1, k + 2)}'`);
          }
        }
        value = unescape(doubled);
      } else value = unescape(body);
      toks.push({ t: "str", v: value, pos: i });
      i = j + 1;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new TemplateError(`unexpected char ${JSON.stringify(c)}${lineNote(src, i)}`);
    if (op === "(" || op === "[" || op === "{") depth.push(op);
    else if (op === ")" || op === "]" || op === "}") depth.pop();
    toks.push({ t: "op", v: op, pos: i });
    i += op.length;
  }
  throw new TemplateError(`unexpected end of template, expected '${end}'${lineNote(src, pos)}`);
}

const RAW_END = /\{%([-+]?)\s*endraw\s*([-+]?)%\}/g;

/** Splits a whole template into parts. */
export function lex(src: string, opts: LexOptions): Part[] {
  const parts: Part[] = [];
  let pos = 0;
  let stripNext = false; // previous tag ended with `-`
  let trimNext = false; // previous tag was a block/comment (trim_blocks)
  const pushData = (text: string) => {
    if (stripNext) text = text.replace(/^\s+/, "");
    else if (trimNext) text = text.replace(/^\r?\n/, "");
    stripNext = trimNext = false;
    if (text) parts.push({ kind: "data", text });
  };
  while (pos < src.length) {
    const open = findNextTag(src, pos);
    if (open >= src.length) break;
    const kind = src[open + 1];
    let data = src.slice(pos, open);
    const mod = src[open + 2];
    const keepBefore = mod === "+";
    if (mod === "-") data = data.replace(/\s+$/, "");
    else if (opts.lstripBlocks && !keepBefore && (kind === "%" || kind === "#")) {
      const nl = data.lastIndexOf("\n");
      if ((nl >= 0 || pos === 0) && /^[ \t]*$/.test(data.slice(nl + 1))) data = data.slice(0, nl + 1);
    }
    pushData(data);
    const bodyStart = open + 2 + (mod === "-" || mod === "+" ? 1 : 0);
    if (kind === "#") {
      const close = src.indexOf("#}", bodyStart);
      if (close < 0) throw new TemplateError("missing end of comment tag");
      const m = src[close - 1];
      stripNext = m === "-";
      trimNext = opts.trimBlocks && m !== "+";
      pos = close + 2;
      continue;
    }
    const end = kind === "{" ? "}}" : "%}";
    const r = lexExpr(src, bodyStart, end, opts.escapeBackslashes);
    if (kind === "%" && r.toks.length === 2 && r.toks[0].t === "name" && r.toks[0].v === "raw") {
      RAW_END.lastIndex = r.after;
      const m = RAW_END.exec(src);
      if (!m) throw new TemplateError("missing endraw");
      let raw = src.slice(r.after, m.index);
      // trim_blocks does not apply to the raw tag itself, only `-%}` does
      if (r.stripAfter) raw = raw.replace(/^\s+/, "");
      if (m[1] === "-") raw = raw.replace(/\s+$/, "");
      if (raw) parts.push({ kind: "data", text: raw });
      stripNext = m[2] === "-";
      trimNext = opts.trimBlocks && m[2] !== "+";
      pos = m.index + m[0].length;
      continue;
    }
    parts.push({ kind: kind === "{" ? "var" : "block", toks: r.toks, pos: open });
    stripNext = r.stripAfter;
    trimNext = kind === "%" && opts.trimBlocks && !r.keepAfter;
    pos = r.after;
  }
  pushData(src.slice(pos));
  return mergeData(parts);
}

function findNextTag(src: string, from: number): number {
  let i = from;
  for (;;) {
    const open = src.indexOf("{", i);
    if (open < 0) return src.length;
    const k = src[open + 1];
    if (k === "{" || k === "%" || k === "#") return open;
    i = open + 1;
  }
}

function mergeData(parts: Part[]): Part[] {
  const out: Part[] = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if (p.kind === "data" && last && last.kind === "data") last.text += p.text;
    else out.push(p);
  }
  return out;
}
