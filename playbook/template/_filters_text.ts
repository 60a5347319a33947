// String filters: case, padding, escaping, replacing and splitting text, regular expressions.
import { TemplateError } from "./_errors.ts";
import {
  defined,
  isMapping,
  mapGet,
  mapKeys,
  NativeText,
  num,
  pyStr,
  strLen,
  truthy,
  tuple,
  Undefined,
  unwrap,
} from "./_py.ts";
import { splitKwargs } from "./_runtime.ts";
import { expandReplacement, pyRegex, reEscape } from "./_regex.ts";
import { percentFormat } from "./_format.ts";
import { bind, type FilterContext, shellQuote, str } from "./_filter_util.ts";
import type { FilterFn } from "./templar.ts";

/** Jinja2's do_title: words start after whitespace, dashes and opening brackets. */
function jinjaTitle(s: string): string {
  return s.split(/([-\s({[<]+)/).filter((x) => x).map((w) => w[0].toUpperCase() + w.slice(1).toLowerCase())
    .join("");
}

function htmlEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&#34;").replace(
    /'/g,
    "&#39;",
  );
}

function regexSub(re: RegExp, s: string, repl: string, count: number): string {
  let out = "", last = 0, n = 0;
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (n < count && (m = re.exec(s)) !== null) {
    out += s.slice(last, m.index) + expandReplacement(repl, m);
    last = m.index + m[0].length;
    n++;
    if (m[0].length === 0) {
      if (m.index < s.length) out += s[m.index];
      last = m.index + 1;
      re.lastIndex = m.index + 1;
      if (m.index >= s.length) break;
    }
  }
  return out + s.slice(last);
}

/** The text family of the built-in filter table. */
export function textFilters(_ctx: FilterContext): Record<string, FilterFn> {
  return {
    capitalize: (v) => {
      const s = str(v);
      return s ? s[0].toUpperCase() + s.slice(1).toLowerCase() : s;
    },
    center: (v, ...args) => {
      const o = bind(args, ["width"], "center");
      const s = str(v), width = num(o.width ?? 80);
      const n = width - strLen(s);
      if (n <= 0) return s;
      const left = Math.floor(n / 2) + (n & width & 1);
      return " ".repeat(left) + s + " ".repeat(n - left);
    },
    escape: (v) => (v instanceof NativeText ? v : htmlEscape(str(v))),
    e: (v) => htmlEscape(str(v)),
    forceescape: (v) => htmlEscape(str(v)),
    format: (v, ...args) => {
      const [pos, kw] = splitKwargs(args);
      if (pos.length && Object.keys(kw).length) {
        throw new TemplateError("can't handle positional and keyword arguments at the same time");
      }
      return percentFormat(str(v), Object.keys(kw).length ? kw : tuple(pos));
    },
    indent: (v, ...args) => {
      const o = bind(args, ["width", "first", "blank"], "indent");
      const w = unwrap(o.width ?? 4);
      const ind = typeof w === "string" ? w : " ".repeat(num(w));
      let s = str(v);
      const nl = "\n";
      if (s.endsWith(nl)) s += "";
      let rv: string;
      const lines = s.split(nl);
      if (truthy(o.blank ?? false)) rv = lines.map((l, i) => (i === 0 ? l : ind + l)).join(nl);
      else rv = lines.map((l, i) => (i === 0 || !l ? l : ind + l)).join(nl);
      if (truthy(o.first ?? false)) rv = ind + rv;
      return rv;
    },
    lower: (v) => str(v).toLowerCase(),
    upper: (v) => str(v).toUpperCase(),
    replace: (v, ...args) => {
      const o = bind(args, ["old", "new", "count"], "replace");
      const s = str(v), a = str(o.old), b = str(o.new);
      if (o.count === undefined || o.count === null) return s.split(a).join(b);
      let n = num(o.count), out = "", rest = s;
      while (n-- > 0) {
        const i = rest.indexOf(a);
        if (i < 0) break;
        out += rest.slice(0, i) + b;
        rest = rest.slice(i + a.length);
      }
      return out + rest;
    },
    safe: (v) => str(v),
    string: (v) => new NativeText(pyStr(defined(v))),
    striptags: (v) => str(v).replace(/<!--[\s\S]*?-->|<[^>]*>/g, "").replace(/\s+/g, " ").trim(),
    title: (v) => jinjaTitle(str(v)),
    trim: (v, ...args) => {
      const o = bind(args, ["chars"], "trim");
      const s = str(v);
      if (o.chars === undefined || o.chars === null) return s.replace(/^\s+|\s+$/g, "");
      const set = str(o.chars);
      let a = 0, b = s.length;
      while (a < b && set.includes(s[a])) a++;
      while (b > a && set.includes(s[b - 1])) b--;
      return s.slice(a, b);
    },
    truncate: (v, ...args) => {
      const o = bind(args, ["length", "killwords", "end", "leeway"], "truncate");
      const s = str(v),
        length = num(o.length ?? 255),
        end = pyStr(o.end ?? "..."),
        leeway = num(o.leeway ?? 5);
      if (s.length <= length + leeway) return s;
      if (truthy(o.killwords ?? false)) return s.slice(0, length - end.length) + end;
      const cut = s.slice(0, length - end.length);
      const i = cut.lastIndexOf(" ");
      return (i >= 0 ? cut.slice(0, i) : cut) + end;
    },
    wordcount: (v) => (str(v).match(/[\p{L}\p{N}_]+/gu) ?? []).length,
    wordwrap: (v, ...args) => {
      const o = bind(args, ["width", "break_long_words", "wrapstring", "break_on_hyphens"], "wordwrap");
      const width = num(o.width ?? 79), wrap = pyStr(o.wrapstring ?? "\n");
      return str(v).split(/\r?\n/).map((para) => {
        const words = para.split(/\s+/).filter((w) => w);
        const lines: string[] = [];
        let cur = "";
        for (const w of words) {
          if (!cur) cur = w;
          else if (cur.length + 1 + w.length <= width) cur += " " + w;
          else {
            lines.push(cur);
            cur = w;
          }
        }
        if (cur) lines.push(cur);
        return lines.join(wrap);
      }).join(wrap);
    },
    xmlattr: (v, ...args) => {
      const o = bind(args, ["autospace"], "xmlattr");
      const d = unwrap(defined(v));
      if (!isMapping(d)) throw new TemplateError("xmlattr requires a dict");
      const parts = mapKeys(d).filter((k) => {
        const x = mapGet(d, k);
        return x !== null && !(x instanceof Undefined);
      }).map((k) => `${k}="${htmlEscape(pyStr(mapGet(d, k)))}"`);
      const s = parts.join(" ");
      return s && truthy(o.autospace ?? true) ? " " + s : s;
    },
    quote: (v) => shellQuote(pyStr(unwrap(v) === null ? "" : defined(v))),
    regex_replace: (v, ...args) => {
      const o = bind(
        args,
        ["pattern", "replacement", "ignorecase", "multiline", "count", "mandatory_count"],
        "regex_replace",
      );
      const s = str(v);
      const re = pyRegex(pyStr(o.pattern ?? ""), {
        ignorecase: truthy(o.ignorecase ?? false),
        multiline: truthy(o.multiline ?? false),
      }, true);
      const repl = pyStr(o.replacement ?? "");
      const count = num(o.count ?? 0);
      return regexSub(re, s, repl, count === 0 ? Infinity : count);
    },
    regex_search: (v, ...args) => {
      const [pos, kw] = splitKwargs(args);
      const s = str(v);
      const groups: (string | number)[] = pos.slice(1).map((a) => {
        const x = pyStr(a);
        const gm = /^\\g<(\S+)>/.exec(x);
        if (gm) return /^\d+$/.test(gm[1]) ? parseInt(gm[1], 10) : gm[1];
        const nm = /^\\(\d+)/.exec(x);
        if (nm) return parseInt(nm[1], 10);
        throw new TemplateError("Unknown argument");
      });
      const re = pyRegex(pyStr(pos[0]), {
        ignorecase: truthy(kw.ignorecase ?? false),
        multiline: truthy(kw.multiline ?? false),
      }, true);
      re.lastIndex = 0;
      const m = re.exec(s);
      if (!m) return null;
      if (!groups.length) return m[0];
      return groups.map((g) => (typeof g === "number" ? m[g] ?? null : m.groups?.[g] ?? null));
    },
    regex_findall: (v, ...args) => {
      const o = bind(args, ["regex", "multiline", "ignorecase"], "regex_findall");
      const s = str(v);
      const re = pyRegex(pyStr(o.regex), {
        ignorecase: truthy(o.ignorecase ?? false),
        multiline: truthy(o.multiline ?? false),
      }, true);
      const out: unknown[] = [];
      for (const m of s.matchAll(re)) {
        if (m.length === 1) out.push(m[0]);
        else if (m.length === 2) out.push(m[1] ?? "");
        else out.push(tuple(m.slice(1).map((g) => g ?? "")));
      }
      return out;
    },
    regex_escape: (v, ...args) => {
      const o = bind(args, ["re_type"], "regex_escape");
      const t = pyStr(o.re_type ?? "python");
      const s = str(v);
      if (t === "posix_basic") return s.replace(/[.*[\]^$\\]/g, (c) => "\\" + c);
      if (t === "posix_extended") throw new TemplateError(`Regex type (${t}) not yet implemented`);
      if (t !== "python") throw new TemplateError("Invalid regex type (" + t + ")");
      return reEscape(s);
    },
    split: (v, ...args) => {
      const o = bind(args, ["sep", "maxsplit"], "split");
      const s = str(v);
      const sep = o.sep === undefined || o.sep === null ? null : pyStr(o.sep);
      const max = o.maxsplit === undefined ? -1 : num(o.maxsplit);
      if (sep === null) {
        const words = s.split(/\s+/).filter((x) => x);
        if (max < 0 || words.length <= max + 1) return words;
        const out: string[] = [];
        let rest = s.replace(/^\s+/, "");
        for (let i = 0; i < max; i++) {
          const m = /\s+/.exec(rest)!;
          out.push(rest.slice(0, m.index));
          rest = rest.slice(m.index + m[0].length);
        }
        out.push(rest);
        return out;
      }
      if (sep === "") throw new TemplateError("empty separator");
      const parts = s.split(sep);
      return max < 0 || parts.length <= max + 1
        ? parts
        : [...parts.slice(0, max), parts.slice(max).join(sep)];
    },
  };
}
