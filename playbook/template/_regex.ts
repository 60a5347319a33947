// Python `re` patterns and replacement strings translated to JavaScript RegExp.
import { TemplateError } from "./_errors.ts";

export interface ReFlags {
  ignorecase?: boolean;
  multiline?: boolean;
  dotall?: boolean;
}

const CACHE = new Map<string, RegExp>();

/** Compiles a Python regular expression; `g` adds the global flag (findall/sub). */
export function pyRegex(pattern: string, flags: ReFlags = {}, g = false): RegExp {
  const key = `${flags.ignorecase ? "i" : ""}${flags.multiline ? "m" : ""}${flags.dotall ? "s" : ""}${
    g ? "g" : ""
  }\0${pattern}`;
  const hit = CACHE.get(key);
  if (hit) {
    hit.lastIndex = 0;
    return hit;
  }
  let p = pattern;
  let f = "";
  let ic = !!flags.ignorecase, ml = !!flags.multiline, da = !!flags.dotall, verbose = false;
  // leading global inline flags: (?i), (?ms)…
  for (;;) {
    const m = /^\(\?([aiLmsux]+)\)/.exec(p);
    if (!m) break;
    if (m[1].includes("i")) ic = true;
    if (m[1].includes("m")) ml = true;
    if (m[1].includes("s")) da = true;
    if (m[1].includes("x")) verbose = true;
    p = p.slice(m[0].length);
  }
  let out = "";
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === "\\") {
      const n = p[i + 1];
      i++;
      if (inClass) {
        out += "\\" + n;
        continue;
      }
      if (n === "A") out += "(?<![\\s\\S])";
      else if (n === "Z") out += "(?![\\s\\S])";
      else out += "\\" + (n ?? "\\");
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      if (c === "[") out += "\\[";
      else out += c;
      continue;
    }
    if (c === "[") {
      inClass = true;
      out += c;
      if (p[i + 1] === "^") out += p[++i];
      if (p[i + 1] === "]") {
        out += "\\]";
        i++;
      }
      continue;
    }
    if (verbose && /\s/.test(c)) continue;
    if (verbose && c === "#") {
      while (i < p.length && p[i] !== "\n") i++;
      continue;
    }
    if (c === "(" && p.startsWith("(?P<", i)) {
      out += "(?<";
      i += 3;
      continue;
    }
    if (c === "(" && p.startsWith("(?P=", i)) {
      const end = p.indexOf(")", i);
      out += `\\k<${p.slice(i + 4, end)}>`;
      i = end;
      continue;
    }
    if (c === "$" && !ml) {
      out += "(?=\\n?(?![\\s\\S]))";
      continue;
    }
    out += c;
  }
  if (ic) f += "i";
  if (ml) f += "m";
  if (da) f += "s";
  if (g) f += "g";
  let re: RegExp;
  try {
    re = new RegExp(out, f);
  } catch (e) {
    throw new TemplateError(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`);
  }
  if (CACHE.size > 5000) CACHE.clear();
  CACHE.set(key, re);
  return re;
}

/** Expands a Python replacement template (`\1`, `\g<1>`, `\g<name>`, `\n`) for one match. */
export function expandReplacement(repl: string, m: RegExpExecArray | RegExpMatchArray): string {
  let out = "";
  for (let i = 0; i < repl.length; i++) {
    const c = repl[i];
    if (c !== "\\") {
      out += c;
      continue;
    }
    const n = repl[i + 1];
    if (n === undefined) throw new TemplateError("bad escape (end of pattern)");
    if (/[0-9]/.test(n)) {
      let j = i + 1, num = "";
      while (j < repl.length && /[0-9]/.test(repl[j]) && num.length < 2) num += repl[j++];
      out += m[parseInt(num, 10)] ?? "";
      i = j - 1;
      continue;
    }
    if (n === "g" && repl[i + 2] === "<") {
      const end = repl.indexOf(">", i);
      const name = repl.slice(i + 3, end);
      out += (/^\d+$/.test(name) ? m[parseInt(name, 10)] : m.groups?.[name]) ?? "";
      i = end;
      continue;
    }
    const esc: Record<string, string> = {
      n: "\n",
      t: "\t",
      r: "\r",
      "\\": "\\",
      a: "\x07",
      f: "\f",
      v: "\v",
      b: "\b",
    };
    if (n in esc) out += esc[n];
    else if (/[A-Za-z]/.test(n)) throw new TemplateError(`bad escape \\${n}`);
    else out += "\\" + n;
    i++;
  }
  return out;
}

/** Python's re.escape (3.7+): escapes only the regex metacharacters. */
export function reEscape(s: string): string {
  return s.replace(/[()[\]{}?*+\-|^$\\.&~# \t\n\r\v\f]/g, (c) => "\\" + c);
}
