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

/** The strings that open and close a template's tags: Jinja2's environment options of those names. */
export interface Delimiters {
  variableStart: string;
  variableEnd: string;
  blockStart: string;
  blockEnd: string;
  commentStart: string;
  commentEnd: string;
}

export const JINJA_DELIMITERS: Readonly<Delimiters> = Object.freeze({
  variableStart: "{{",
  variableEnd: "}}",
  blockStart: "{%",
  blockEnd: "%}",
  commentStart: "{#",
  commentEnd: "#}",
});

export interface LexOptions {
  trimBlocks: boolean;
  lstripBlocks: boolean;
  /** Playbook strings: backslashes inside `{{ }}` string literals are literal (Ansible's _escape_backslashes). */
  escapeBackslashes: boolean;
  /** Jinja2's by default. */
  delimiters?: Delimiters;
  /** What a newline of the template's text and string literals becomes (Jinja2's newline_sequence). */
  newline?: string;
  /** Jinja2's line_statement_prefix: a line starting with it (after blanks) is one block tag. */
  lineStatementPrefix?: string;
  /** Jinja2's line_comment_prefix: from it (and the blanks before it) to the line's end is a comment. */
  lineCommentPrefix?: string;
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

/**
 * Tokenizes expression text from `pos` until the closing delimiter `end` ("}}" or "%}"); `escape` is for
 * a playbook string's variable tags (see LexOptions).
 */
export function lexExpr(
  src: string,
  pos: number,
  end: string,
  escape: boolean,
  newline = "\n",
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
      // Jinja2 gives a literal's own line breaks the newline sequence before reading its escapes
      const body = newline === "\n" ? src.slice(i + 1, j) : src.slice(i + 1, j).replaceAll("\n", newline);
      // With escapeBackslashes Ansible doubles every backslash first, so only `\\` → `\` survives unescaping.
      let value: string;
      if (escape && body.includes("\\")) {
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

type TagKind = "var" | "block" | "comment" | "linestatement" | "linecomment";

/** How one kind of tag opens: where its next opening at or after `from` is, and how long it is. */
interface Opener {
  kind: TagKind;
  /** Its written prefix: the longer one wins where two open at one place, as in Jinja2. */
  prefix: string;
  search(src: string, from: number): [at: number, length: number] | undefined;
}

function plain(prefix: string, kind: TagKind): Opener {
  return {
    kind,
    prefix,
    search(src, from) {
      const at = src.indexOf(prefix, from);
      return at < 0 ? undefined : [at, prefix.length];
    },
  };
}

/** The tag openers by length, longest first. */
function openers(d: Delimiters, opts: LexOptions): Opener[] {
  const all = [plain(d.variableStart, "var"), plain(d.blockStart, "block"), plain(d.commentStart, "comment")];
  const statement = opts.lineStatementPrefix;
  if (statement) {
    const re = new RegExp(`^[ \\t\\v]*${escapeRe(statement)}`, "gm");
    all.push({
      kind: "linestatement",
      prefix: statement,
      search(src, from) {
        re.lastIndex = from;
        const m = re.exec(src);
        return m ? [m.index, m[0].length] : undefined;
      },
    });
  }
  const comment = opts.lineCommentPrefix;
  if (comment) {
    all.push({
      kind: "linecomment",
      prefix: comment,
      search(src, from) {
        const at = src.indexOf(comment, from);
        if (at < 0) return undefined;
        // the blanks before it on its line go with it
        let start = at;
        while (start > from && /[^\S\r\n]/.test(src[start - 1])) start--;
        return [start, at - start + comment.length];
      },
    });
  }
  return all.sort((a, b) => b.prefix.length - a.prefix.length);
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Splits a whole template into parts. */
export function lex(src: string, opts: LexOptions): Part[] {
  const d = opts.delimiters ?? JINJA_DELIMITERS;
  const tags = new TagFinder(src, openers(d, opts));
  const newline = opts.newline ?? "\n";
  const nl = (text: string) => (newline === "\n" ? text : text.replaceAll("\n", newline));
  const parts: Part[] = [];
  let pos = 0;
  let stripNext = false; // previous tag ended with `-`
  let trimNext = false; // previous tag was a block/comment (trim_blocks)
  const pushData = (text: string) => {
    if (stripNext) text = text.replace(/^\s+/, "");
    else if (trimNext) text = text.replace(/^\r?\n/, "");
    stripNext = trimNext = false;
    if (text) parts.push({ kind: "data", text: nl(text) });
  };
  for (;;) {
    const tag = tags.find(pos);
    if (!tag) break;
    const { open, kind, length } = tag;
    if (kind === "linestatement" || kind === "linecomment") {
      pushData(src.slice(pos, open));
      const eol = src.indexOf("\n", open + length);
      const lineEnd = eol < 0 ? src.length : eol;
      if (kind === "linecomment") {
        pos = lineEnd; // the line's newline stays
        continue;
      }
      // a line statement is a block tag to the line's end, its newline included
      const bodyAt = open + length;
      const { toks } = lexExpr(`${src.slice(bodyAt, lineEnd)}\n%}`, 0, "%}", false, newline);
      parts.push({ kind: "block", toks: toks.map((t) => ({ ...t, pos: t.pos + bodyAt })), pos: open });
      pos = eol < 0 ? src.length : eol + 1;
      continue;
    }
    let data = src.slice(pos, open);
    const mod = src[open + length];
    const keepBefore = mod === "+";
    if (mod === "-") data = data.replace(/\s+$/, "");
    else if (opts.lstripBlocks && !keepBefore && kind !== "var") {
      const nl = data.lastIndexOf("\n");
      if ((nl >= 0 || pos === 0) && /^[ \t]*$/.test(data.slice(nl + 1))) data = data.slice(0, nl + 1);
    }
    pushData(data);
    const bodyStart = open + length + (mod === "-" || mod === "+" ? 1 : 0);
    if (kind === "comment") {
      const close = src.indexOf(d.commentEnd, bodyStart);
      if (close < 0) throw new TemplateError("missing end of comment tag");
      const m = src[close - 1];
      stripNext = m === "-";
      trimNext = opts.trimBlocks && m !== "+";
      pos = close + d.commentEnd.length;
      continue;
    }
    const end = kind === "var" ? d.variableEnd : d.blockEnd;
    const r = lexExpr(src, bodyStart, end, opts.escapeBackslashes && kind === "var", newline);
    if (kind === "block" && r.toks.length === 2 && r.toks[0].t === "name" && r.toks[0].v === "raw") {
      const rawEnd = new RegExp(
        `${escapeRe(d.blockStart)}([-+]?)\\s*endraw\\s*([-+]?)${escapeRe(d.blockEnd)}`,
        "g",
      );
      rawEnd.lastIndex = r.after;
      const m = rawEnd.exec(src);
      if (!m) throw new TemplateError("missing endraw");
      let raw = src.slice(r.after, m.index);
      // trim_blocks does not apply to the raw tag itself, only `-%}` does
      if (r.stripAfter) raw = raw.replace(/^\s+/, "");
      if (m[1] === "-") raw = raw.replace(/\s+$/, "");
      if (raw) parts.push({ kind: "data", text: nl(raw) });
      stripNext = m[2] === "-";
      trimNext = opts.trimBlocks && m[2] !== "+";
      pos = m.index + m[0].length;
      continue;
    }
    parts.push({ kind, toks: r.toks, pos: open });
    stripNext = r.stripAfter;
    trimNext = kind === "block" && opts.trimBlocks && !r.keepAfter;
    pos = r.after;
  }
  pushData(src.slice(pos));
  return mergeData(parts);
}

/**
 * Finds tag openings in order. Each opener's next position is remembered until passed, so a template
 * without comments is not searched to its end for one at every tag.
 */
class TagFinder {
  readonly #next: ([number, number] | undefined)[];
  constructor(readonly src: string, readonly starts: Opener[]) {
    this.#next = starts.map(() => [-1, 0]);
  }

  /** The first tag opening at or after `from`, if any. */
  find(from: number): { open: number; kind: TagKind; length: number } | undefined {
    let best = -1;
    for (let i = 0; i < this.starts.length; i++) {
      let at = this.#next[i];
      if (at && at[0] < from) this.#next[i] = at = this.starts[i].search(this.src, from);
      if (at && (best < 0 || at[0] < this.#next[best]![0])) best = i;
    }
    if (best < 0) return undefined;
    const [open, length] = this.#next[best]!;
    return { open, kind: this.starts[best].kind, length };
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
