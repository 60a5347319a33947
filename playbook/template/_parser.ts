// Jinja2 grammar: expressions with Python precedence, filters, tests, and the statement tags.
import { PyFloat } from "../values.ts";
import { lineNote, TemplateError } from "./_errors.ts";
import { type Part, type Tok } from "./_lexer.ts";

export type Expr =
  | { k: "const"; v: unknown }
  | { k: "name"; n: string }
  | { k: "list"; items: Expr[] }
  | { k: "tuple"; items: Expr[] }
  | { k: "dict"; pairs: [Expr, Expr][] }
  | { k: "getattr"; obj: Expr; attr: string }
  | { k: "getitem"; obj: Expr; key: Expr }
  | { k: "slice"; obj: Expr; start: Expr | null; stop: Expr | null; step: Expr | null }
  | { k: "call"; fn: Expr; args: Expr[]; kwargs: [string, Expr][]; star: Expr | null; dstar: Expr | null }
  | { k: "filter"; name: string; node: Expr | null; args: Expr[]; kwargs: [string, Expr][] }
  | { k: "test"; name: string; node: Expr; args: Expr[]; kwargs: [string, Expr][] }
  | { k: "bin"; op: string; l: Expr; r: Expr }
  | { k: "unary"; op: string; e: Expr }
  | { k: "and" | "or"; l: Expr; r: Expr }
  | { k: "cmp"; first: Expr; ops: [string, Expr][] }
  | { k: "cond"; test: Expr; then: Expr; else: Expr | null }
  | { k: "concat"; items: Expr[] };

export type Target = { k: "name"; n: string } | { k: "tuple"; items: Target[] } | {
  k: "attr";
  obj: string;
  attr: string;
};

export type Stmt =
  | { k: "data"; text: string }
  | { k: "emit"; e: Expr }
  | { k: "if"; branches: [Expr, Stmt[]][]; else: Stmt[] | null }
  | {
    k: "for";
    target: Target;
    iter: Expr;
    filter: Expr | null;
    body: Stmt[];
    else: Stmt[] | null;
    recursive: boolean;
  }
  | { k: "set"; target: Target; e: Expr }
  | { k: "setblock"; target: Target; filter: Expr | null; body: Stmt[] }
  | { k: "macro"; name: string; params: [string, Expr | null][]; body: Stmt[] }
  | { k: "callblock"; call: Expr; params: [string, Expr | null][]; body: Stmt[] }
  | { k: "filterblock"; filter: Expr; body: Stmt[] }
  | { k: "with"; assigns: [Target, Expr][]; body: Stmt[] }
  | { k: "do"; e: Expr }
  | { k: "include"; e: Expr; ignoreMissing: boolean; withContext: boolean }
  | { k: "import"; e: Expr; target: string | null; names: [string, string][]; withContext: boolean }
  | { k: "block"; name: string; body: Stmt[] }
  | { k: "extends"; e: Expr };

class TokStream {
  i = 0;
  constructor(readonly toks: Tok[], readonly src: string) {}
  get cur(): Tok {
    return this.toks[this.i];
  }
  peek(n = 1): Tok {
    return this.toks[Math.min(this.i + n, this.toks.length - 1)];
  }
  next(): Tok {
    const t = this.toks[this.i];
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }
  isOp(v: string): boolean {
    return this.cur.t === "op" && this.cur.v === v;
  }
  isName(v: string): boolean {
    return this.cur.t === "name" && this.cur.v === v;
  }
  skipOp(v: string): boolean {
    if (this.isOp(v)) {
      this.next();
      return true;
    }
    return false;
  }
  skipName(v: string): boolean {
    if (this.isName(v)) {
      this.next();
      return true;
    }
    return false;
  }
  fail(msg: string): never {
    throw new TemplateError(msg + lineNote(this.src, this.cur.pos));
  }
  expectOp(v: string): void {
    if (!this.skipOp(v)) this.fail(`expected token '${v}', got ${describe(this.cur)}`);
  }
  expectName(v?: string): string {
    const t = this.cur;
    if (t.t !== "name" || (v !== undefined && t.v !== v)) {
      this.fail(`expected ${v ? `'${v}'` : "name"}, got ${describe(t)}`);
    }
    this.next();
    return t.v as string;
  }
  expectEnd(): void {
    if (this.cur.t !== "eof") this.fail(`expected end of statement block, got ${describe(this.cur)}`);
  }
}

function describe(t: Tok): string {
  if (t.t === "eof") return "end of statement block";
  if (t.t === "str") return `'${t.v}'`;
  return `'${String(t.v)}'`;
}

const CMP_OPS = new Set(["==", "!=", "<", ">", "<=", ">="]);
const PRIMARY_START = new Set(["name", "str", "int", "float"]);

export class ExprParser {
  constructor(readonly s: TokStream) {}

  parseTuple(
    opts: { simplified?: boolean; withCond?: boolean; explicit?: boolean; endNames?: string[] } = {},
  ): Expr {
    const s = this.s;
    const items: Expr[] = [];
    let isTuple = false;
    const parseOne = () =>
      opts.simplified
        ? this.parsePrimary()
        : opts.withCond === false
        ? this.parseOr()
        : this.parseExpression();
    for (;;) {
      if (items.length) s.expectOp(",");
      if (this.isTupleEnd(opts.endNames)) break;
      items.push(parseOne());
      if (s.isOp(",")) isTuple = true;
      else break;
    }
    if (!isTuple) {
      if (items.length) return items[0];
      if (!opts.explicit) s.fail(`expected an expression, got ${describe(s.cur)}`);
    }
    return { k: "tuple", items };
  }

  isTupleEnd(endNames?: string[]): boolean {
    const c = this.s.cur;
    if (c.t === "eof") return true;
    if (c.t === "op" && (c.v === ")" || c.v === "]" || c.v === "}")) return true;
    if (c.t === "name" && endNames?.includes(c.v)) return true;
    return false;
  }

  parseExpression(withCond = true): Expr {
    return withCond ? this.parseCondexpr() : this.parseOr();
  }

  parseCondexpr(): Expr {
    let e = this.parseOr();
    while (this.s.skipName("if")) {
      const test = this.parseOr();
      const els = this.s.skipName("else") ? this.parseCondexpr() : null;
      e = { k: "cond", test, then: e, else: els };
    }
    return e;
  }

  parseOr(): Expr {
    let l = this.parseAnd();
    while (this.s.skipName("or")) l = { k: "or", l, r: this.parseAnd() };
    return l;
  }

  parseAnd(): Expr {
    let l = this.parseNot();
    while (this.s.skipName("and")) l = { k: "and", l, r: this.parseNot() };
    return l;
  }

  parseNot(): Expr {
    if (this.s.skipName("not")) return { k: "unary", op: "not", e: this.parseNot() };
    return this.parseCompare();
  }

  parseCompare(): Expr {
    const s = this.s;
    const first = this.parseMath1();
    const ops: [string, Expr][] = [];
    for (;;) {
      const c = s.cur;
      if (c.t === "op" && CMP_OPS.has(c.v)) {
        s.next();
        ops.push([c.v, this.parseMath1()]);
      } else if (s.skipName("in")) ops.push(["in", this.parseMath1()]);
      else if (s.isName("not") && s.peek().t === "name" && s.peek().v === "in") {
        s.next();
        s.next();
        ops.push(["notin", this.parseMath1()]);
      } else break;
    }
    return ops.length ? { k: "cmp", first, ops } : first;
  }

  parseMath1(): Expr {
    let l = this.parseConcat();
    while (this.s.isOp("+") || this.s.isOp("-")) {
      const op = this.s.next().v as string;
      l = { k: "bin", op, l, r: this.parseConcat() };
    }
    return l;
  }

  parseConcat(): Expr {
    const items = [this.parseMath2()];
    while (this.s.skipOp("~")) items.push(this.parseMath2());
    return items.length === 1 ? items[0] : { k: "concat", items };
  }

  parseMath2(): Expr {
    let l = this.parsePow();
    while (this.s.isOp("*") || this.s.isOp("/") || this.s.isOp("//") || this.s.isOp("%")) {
      const op = this.s.next().v as string;
      l = { k: "bin", op, l, r: this.parsePow() };
    }
    return l;
  }

  parsePow(): Expr {
    let l = this.parseUnary();
    while (this.s.skipOp("**")) l = { k: "bin", op: "**", l, r: this.parseUnary() };
    return l;
  }

  parseUnary(withFilter = true): Expr {
    const s = this.s;
    let e: Expr;
    if (s.skipOp("-")) e = { k: "unary", op: "-", e: this.parseUnary(false) };
    else if (s.skipOp("+")) e = { k: "unary", op: "+", e: this.parseUnary(false) };
    else e = this.parsePrimary();
    e = this.parsePostfix(e);
    if (withFilter) e = this.parseFilterExpr(e);
    return e;
  }

  parsePrimary(): Expr {
    const s = this.s;
    const t = s.cur;
    if (t.t === "name") {
      s.next();
      if (t.v === "true" || t.v === "True") return { k: "const", v: true };
      if (t.v === "false" || t.v === "False") return { k: "const", v: false };
      if (t.v === "none" || t.v === "None") return { k: "const", v: null };
      return { k: "name", n: t.v };
    }
    if (t.t === "str") {
      let v = "";
      while (s.cur.t === "str") v += s.next().v;
      return { k: "const", v };
    }
    if (t.t === "int" || t.t === "float") {
      s.next();
      return { k: "const", v: t.t === "float" && Number.isInteger(t.v) ? new PyFloat(t.v) : t.v };
    }
    if (s.skipOp("(")) {
      const e = this.parseTuple({ explicit: true });
      s.expectOp(")");
      return e;
    }
    if (s.skipOp("[")) {
      const items: Expr[] = [];
      while (!s.isOp("]")) {
        if (items.length) s.expectOp(",");
        if (s.isOp("]")) break;
        items.push(this.parseExpression());
      }
      s.expectOp("]");
      return { k: "list", items };
    }
    if (s.skipOp("{")) {
      const pairs: [Expr, Expr][] = [];
      while (!s.isOp("}")) {
        if (pairs.length) s.expectOp(",");
        if (s.isOp("}")) break;
        const key = this.parseExpression();
        s.expectOp(":");
        pairs.push([key, this.parseExpression()]);
      }
      s.expectOp("}");
      return { k: "dict", pairs };
    }
    return s.fail(`unexpected ${describe(t)}`);
  }

  parsePostfix(e: Expr): Expr {
    const s = this.s;
    for (;;) {
      if (s.isOp(".")) {
        s.next();
        const t = s.next();
        if (t.t === "name") e = { k: "getattr", obj: e, attr: t.v };
        else if (t.t === "int") e = { k: "getitem", obj: e, key: { k: "const", v: t.v } };
        else s.fail(`expected name or number after '.', got ${describe(t)}`);
      } else if (s.isOp("[")) {
        s.next();
        e = this.parseSubscript(e);
      } else if (s.isOp("(")) {
        e = this.parseCall(e);
      } else break;
    }
    return e;
  }

  parseSubscript(obj: Expr): Expr {
    const s = this.s;
    const parts: (Expr | null)[] = [];
    let isSlice = false;
    let cur: Expr | null = null;
    for (;;) {
      if (s.isOp(":")) {
        s.next();
        parts.push(cur);
        cur = null;
        isSlice = true;
        continue;
      }
      if (s.isOp("]")) {
        s.next();
        parts.push(cur);
        break;
      }
      if (s.isOp(",") && !isSlice) {
        // a[1, 2] → tuple key
        const items = [cur!];
        while (s.skipOp(",")) if (!s.isOp("]")) items.push(this.parseExpression());
        s.expectOp("]");
        return { k: "getitem", obj, key: { k: "tuple", items } };
      }
      cur = this.parseExpression();
    }
    if (!isSlice) return { k: "getitem", obj, key: parts[0]! };
    return { k: "slice", obj, start: parts[0] ?? null, stop: parts[1] ?? null, step: parts[2] ?? null };
  }

  parseCallArgs(): { args: Expr[]; kwargs: [string, Expr][]; star: Expr | null; dstar: Expr | null } {
    const s = this.s;
    s.expectOp("(");
    const args: Expr[] = [];
    const kwargs: [string, Expr][] = [];
    let star: Expr | null = null, dstar: Expr | null = null;
    let first = true;
    while (!s.isOp(")")) {
      if (!first) s.expectOp(",");
      first = false;
      if (s.isOp(")")) break;
      if (s.skipOp("**")) dstar = this.parseExpression();
      else if (s.skipOp("*")) star = this.parseExpression();
      else if (s.cur.t === "name" && s.peek().t === "op" && s.peek().v === "=") {
        const key = s.next().v as string;
        s.next();
        kwargs.push([key, this.parseExpression()]);
      } else args.push(this.parseExpression());
    }
    s.expectOp(")");
    return { args, kwargs, star, dstar };
  }

  parseCall(fn: Expr): Expr {
    return { k: "call", fn, ...this.parseCallArgs() };
  }

  parseFilterExpr(e: Expr): Expr {
    const s = this.s;
    for (;;) {
      if (s.isOp("|")) {
        s.next();
        e = this.parseFilter(e);
      } else if (s.isName("is")) {
        s.next();
        e = this.parseTest(e);
      } else if (s.isOp("(")) e = this.parseCall(e);
      else break;
    }
    return e;
  }

  parseDottedName(): string {
    let name = this.s.expectName();
    while (this.s.isOp(".")) {
      this.s.next();
      name += "." + this.s.expectName();
    }
    return name;
  }

  parseFilter(node: Expr | null): Expr {
    const name = this.parseDottedName();
    let args: Expr[] = [], kwargs: [string, Expr][] = [];
    if (this.s.isOp("(")) ({ args, kwargs } = this.parseCallArgs());
    return { k: "filter", name, node, args, kwargs };
  }

  parseTest(node: Expr): Expr {
    const s = this.s;
    const negated = s.skipName("not");
    const name = this.parseDottedName();
    let args: Expr[] = [], kwargs: [string, Expr][] = [];
    if (s.isOp("(")) ({ args, kwargs } = this.parseCallArgs());
    else if (
      (PRIMARY_START.has(s.cur.t) || s.isOp("[") || s.isOp("{") || s.isOp("(")) &&
      !(s.cur.t === "name" && ["else", "or", "and", "if", "is"].includes(s.cur.v as string))
    ) {
      args = [this.parsePostfix(this.parsePrimary())];
    }
    const test: Expr = { k: "test", name, node, args, kwargs };
    return negated ? { k: "unary", op: "not", e: test } : test;
  }
}

function parseTarget(s: TokStream, ep: ExprParser, extraEnd: string[] = []): Target {
  const one = (): Target => {
    if (s.skipOp("(")) {
      const t = parseTarget(s, ep);
      s.expectOp(")");
      return t;
    }
    const n = s.expectName();
    if (s.isOp(".")) {
      s.next();
      return { k: "attr", obj: n, attr: s.expectName() };
    }
    return { k: "name", n };
  };
  const items = [one()];
  let tup = false;
  while (s.isOp(",")) {
    s.next();
    tup = true;
    if (s.cur.t !== "name" || extraEnd.includes(s.cur.v as string)) break;
    items.push(one());
  }
  return tup ? { k: "tuple", items } : items[0];
}

/** An import's `with context` / `without context`: whether it sees the importing template's names. */
function importContext(s: TokStream): boolean {
  if ((s.isName("with") || s.isName("without")) && s.peek().t === "name" && s.peek().v === "context") {
    const withContext = s.isName("with");
    s.next();
    s.next();
    return withContext;
  }
  return false;
}

/** Parses lexed parts into statements. */
export function parse(parts: Part[], src: string): Stmt[] {
  let i = 0;
  const subparse = (ends: string[]): { body: Stmt[]; end: string | null; s: TokStream | null } => {
    const body: Stmt[] = [];
    while (i < parts.length) {
      const p = parts[i++];
      if (p.kind === "data") {
        body.push({ k: "data", text: p.text });
        continue;
      }
      const s = new TokStream(p.toks, src);
      const ep = new ExprParser(s);
      if (p.kind === "var") {
        const e = ep.parseTuple();
        s.expectEnd();
        body.push({ k: "emit", e });
        continue;
      }
      const kw = s.cur.t === "name" ? s.cur.v as string : "";
      if (ends.includes(kw)) {
        s.next();
        return { body, end: kw, s };
      }
      s.next();
      body.push(parseStatement(kw, s, ep));
    }
    if (ends.length) {
      throw new TemplateError(
        `unexpected end of template, expected ${ends.map((e) => `'${e}'`).join(" or ")}`,
      );
    }
    return { body, end: null, s: null };
  };

  const parseParams = (s: TokStream, ep: ExprParser): [string, Expr | null][] => {
    const params: [string, Expr | null][] = [];
    s.expectOp("(");
    while (!s.isOp(")")) {
      if (params.length) s.expectOp(",");
      if (s.isOp(")")) break;
      const n = s.expectName();
      params.push([n, s.skipOp("=") ? ep.parseExpression() : null]);
    }
    s.expectOp(")");
    return params;
  };

  const parseStatement = (kw: string, s: TokStream, ep: ExprParser): Stmt => {
    switch (kw) {
      case "if": {
        const branches: [Expr, Stmt[]][] = [];
        let cond = ep.parseTuple({ withCond: false });
        s.expectEnd();
        for (;;) {
          const r = subparse(["elif", "else", "endif"]);
          branches.push([cond, r.body]);
          if (r.end === "elif") {
            cond = new ExprParser(r.s!).parseTuple({ withCond: false });
            r.s!.expectEnd();
            continue;
          }
          if (r.end === "else") {
            r.s!.expectEnd();
            const e = subparse(["endif"]);
            e.s!.expectEnd();
            return { k: "if", branches, else: e.body };
          }
          r.s!.expectEnd();
          return { k: "if", branches, else: null };
        }
      }
      case "for": {
        const target = parseTarget(s, ep, ["in"]);
        s.expectName("in");
        const iter = ep.parseTuple({ withCond: false, endNames: ["recursive"] });
        const filter = s.skipName("if") ? ep.parseExpression() : null;
        const recursive = s.skipName("recursive");
        s.expectEnd();
        const r = subparse(["endfor", "else"]);
        let els: Stmt[] | null = null;
        if (r.end === "else") {
          r.s!.expectEnd();
          const e = subparse(["endfor"]);
          e.s!.expectEnd();
          els = e.body;
        } else r.s!.expectEnd();
        return { k: "for", target, iter, filter, body: r.body, else: els, recursive };
      }
      case "set": {
        const target = parseTarget(s, ep);
        if (s.skipOp("=")) {
          const e = ep.parseTuple();
          s.expectEnd();
          return { k: "set", target, e };
        }
        const filter = s.isOp("|") ? (s.next(), parseFilterChain(ep)) : null;
        s.expectEnd();
        const r = subparse(["endset"]);
        r.s!.expectEnd();
        return { k: "setblock", target, filter, body: r.body };
      }
      case "macro": {
        const name = s.expectName();
        const params = parseParams(s, ep);
        s.expectEnd();
        const r = subparse(["endmacro"]);
        return { k: "macro", name, params, body: r.body };
      }
      case "call": {
        const params = s.isOp("(") ? parseParams(s, ep) : [];
        const call = ep.parseExpression();
        if (call.k !== "call") s.fail("expected call");
        s.expectEnd();
        const r = subparse(["endcall"]);
        return { k: "callblock", call, params, body: r.body };
      }
      case "filter": {
        const filter = parseFilterChain(ep);
        s.expectEnd();
        const r = subparse(["endfilter"]);
        return { k: "filterblock", filter, body: r.body };
      }
      case "with": {
        const assigns: [Target, Expr][] = [];
        while (s.cur.t !== "eof") {
          if (assigns.length) s.expectOp(",");
          const t = parseTarget(s, ep);
          s.expectOp("=");
          assigns.push([t, ep.parseExpression()]);
        }
        const r = subparse(["endwith"]);
        return { k: "with", assigns, body: r.body };
      }
      case "do": {
        const e = ep.parseTuple();
        s.expectEnd();
        return { k: "do", e };
      }
      case "include": {
        const e = ep.parseExpression();
        let ignoreMissing = false, withContext = true;
        if (s.isName("ignore") && s.peek().v === "missing") {
          s.next();
          s.next();
          ignoreMissing = true;
        }
        if (s.skipName("with")) s.expectName("context");
        else if (s.skipName("without")) {
          s.expectName("context");
          withContext = false;
        }
        s.expectEnd();
        return { k: "include", e, ignoreMissing, withContext };
      }
      case "import": {
        const e = ep.parseExpression();
        s.expectName("as");
        const target = s.expectName();
        const withContext = importContext(s);
        s.expectEnd();
        return { k: "import", e, target, names: [], withContext };
      }
      case "from": {
        const e = ep.parseExpression();
        s.expectName("import");
        const names: [string, string][] = [];
        while (s.cur.t === "name") {
          const n = s.expectName();
          names.push([n, s.skipName("as") ? s.expectName() : n]);
          if (!s.skipOp(",")) break;
        }
        const withContext = importContext(s);
        s.expectEnd();
        return { k: "import", e, target: null, names, withContext };
      }
      case "block": {
        const name = s.expectName();
        while (s.skipName("scoped") || s.skipName("required"));
        s.expectEnd();
        const r = subparse(["endblock"]);
        if (r.s!.cur.t === "name") r.s!.next();
        r.s!.expectEnd();
        return { k: "block", name, body: r.body };
      }
      case "extends": {
        const e = ep.parseExpression();
        s.expectEnd();
        return { k: "extends", e };
      }
      default:
        s.fail(kw ? `Encountered unknown tag '${kw}'` : "tag name expected");
    }
  };

  const parseFilterChain = (ep: ExprParser): Expr => {
    let f = ep.parseFilter(null);
    while (ep.s.skipOp("|")) f = ep.parseFilter(f);
    return f;
  };

  return subparse([]).body;
}

/** Parses a bare expression (a `when:` condition). */
export function parseExpressionTokens(toks: Tok[], src: string): Expr {
  const s = new TokStream(toks, src);
  const e = new ExprParser(s).parseTuple();
  s.expectEnd();
  return e;
}
