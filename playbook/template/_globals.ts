// Global names templates can use without a variable of that name: range, dict, lookup, query, omit, …
import { randomBytes } from "node:crypto";
import { Namespace, PyCallable } from "./_runtime.ts";
import { isMapping, mapGet, mapKeys, num, pyIter, pyStr, truthy, Undefined, unwrap } from "./_py.ts";
import type { Templar, VarLookup } from "./templar.ts";
import { TemplateError } from "./_errors.ts";
import { PyDateTime } from "./_datetime.ts";

/** The value of `omit`: the executor drops module arguments equal to it. */
export const OMIT_TOKEN = "__omit_place_holder__" + randomBytes(20).toString("hex");

/** Python's range() as a list. */
export function pyRange(args: unknown[]): number[] {
  const n = args.map((a) => num(unwrap(a)));
  const [start, stop, step] = n.length === 1 ? [0, n[0], 1] : [n[0], n[1], n[2] ?? 1];
  if (step === 0) throw new Error("ValueError: range() arg 3 must not be zero");
  const count = Math.max(0, Math.ceil((stop - start) / step));
  // Python's range is lazy; a list this long would only exhaust memory
  if (count > 10_000_000) {
    throw new TemplateError(`range(${start}, ${stop}, ${step}) is too long: ${count} items`);
  }
  const out: number[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = start + i * step;
  return out;
}

/** Python's dict(): from a mapping or pairs, plus keyword arguments. */
export function pyDict(args: unknown[], kwargs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const src = unwrap(args[0]);
  if (src !== undefined) {
    if (isMapping(src)) { for (const k of mapKeys(src)) out[k] = mapGet(src, k); }
    else {
      for (const pair of pyIter(src)) {
        const kv = pyIter(pair);
        if (kv.length !== 2) {
          throw new Error(
            `ValueError: dictionary update sequence element has length ${kv.length}; 2 is required`,
          );
        }
        out[pyStr(kv[0])] = kv[1];
      }
    }
  }
  return Object.assign(out, kwargs);
}

export function makeGlobals(templar: Templar, vars: VarLookup, native: boolean): Record<string, unknown> {
  const lookup = (wantlist: boolean) =>
    new PyCallable(wantlist ? "query" : "lookup", (args, kwargs) => {
      if (!args.length) throw new TemplateError("lookup() requires a plugin name");
      const [name, ...terms] = args;
      return templar.runLookup(pyStr(name), terms, kwargs, vars, wantlist, native);
    });
  const query = lookup(true);
  return {
    range: new PyCallable("range", (args) => pyRange(args)),
    dict: new PyCallable("dict", pyDict),
    lookup: lookup(false),
    query,
    q: query,
    omit: OMIT_TOKEN,
    namespace: new PyCallable("namespace", (args, kwargs) => new Namespace(pyDict(args, kwargs))),
    cycler: new PyCallable("cycler", (items) => {
      let i = 0;
      const ns = new Namespace({});
      ns.attrs.next = new PyCallable("next", () => {
        const v = items[i % items.length];
        i++;
        ns.attrs.current = items[i % items.length];
        return v;
      });
      ns.attrs.reset = new PyCallable("reset", () => {
        i = 0;
        ns.attrs.current = items[0];
        return null;
      });
      ns.attrs.current = items[0];
      return ns;
    }),
    joiner: new PyCallable("joiner", (args) => {
      const sep = args.length ? pyStr(args[0]) : ", ";
      let used = false;
      return new PyCallable("joiner", () => {
        if (!used) {
          used = true;
          return "";
        }
        return sep;
      });
    }),
    now: new PyCallable("now", (args, kwargs) => {
      const utc = truthy(args[0] ?? kwargs.utc ?? false);
      const fmt = args[1] ?? kwargs.fmt;
      const d = new Date();
      if (fmt !== undefined) return strftime(pyStr(fmt), d, utc);
      return PyDateTime.fromDate(d, utc);
    }),
    undef: new PyCallable("undef", (args, kwargs) => {
      const hint = args[0] ?? kwargs.hint;
      return new Undefined(
        "undef",
        hint === undefined ? "Mandatory variable has not been overridden" : pyStr(hint),
      );
    }),
  };
}

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/** A C strftime subset (the directives playbooks use). */
export function strftime(fmt: string, d: Date, utc: boolean): string {
  const g = utc
    ? {
      Y: d.getUTCFullYear(),
      m: d.getUTCMonth(),
      d: d.getUTCDate(),
      H: d.getUTCHours(),
      M: d.getUTCMinutes(),
      S: d.getUTCSeconds(),
      w: d.getUTCDay(),
    }
    : {
      Y: d.getFullYear(),
      m: d.getMonth(),
      d: d.getDate(),
      H: d.getHours(),
      M: d.getMinutes(),
      S: d.getSeconds(),
      w: d.getDay(),
    };
  const p2 = (n: number) => String(n).padStart(2, "0");
  const start = utc ? Date.UTC(g.Y, 0, 1) : new Date(g.Y, 0, 1).getTime();
  const cur = utc ? Date.UTC(g.Y, g.m, g.d) : new Date(g.Y, g.m, g.d).getTime();
  const yday = Math.round((cur - start) / 86400000) + 1;
  return fmt.replace(/%([a-zA-Z%])/g, (m, c: string) => {
    switch (c) {
      case "Y":
        return String(g.Y);
      case "y":
        return p2(g.Y % 100);
      case "m":
        return p2(g.m + 1);
      case "d":
        return p2(g.d);
      case "e":
        return String(g.d).padStart(2, " ");
      case "H":
        return p2(g.H);
      case "I":
        return p2(g.H % 12 || 12);
      case "p":
        return g.H < 12 ? "AM" : "PM";
      case "M":
        return p2(g.M);
      case "S":
        return p2(g.S);
      case "f":
        return String(d.getMilliseconds() * 1000).padStart(6, "0");
      case "j":
        return String(yday).padStart(3, "0");
      case "a":
        return DAYS[g.w].slice(0, 3);
      case "A":
        return DAYS[g.w];
      case "b":
      case "h":
        return MONTHS[g.m].slice(0, 3);
      case "B":
        return MONTHS[g.m];
      case "w":
        return String(g.w);
      case "s":
        return String(Math.floor(d.getTime() / 1000));
      case "z": {
        if (utc) return "+0000";
        const off = -d.getTimezoneOffset();
        return (off >= 0 ? "+" : "-") + p2(Math.floor(Math.abs(off) / 60)) + p2(Math.abs(off) % 60);
      }
      case "Z":
        return utc ? "UTC" : Intl.DateTimeFormat().resolvedOptions().timeZone;
      case "F":
        return `${g.Y}-${p2(g.m + 1)}-${p2(g.d)}`;
      case "T":
        return `${p2(g.H)}:${p2(g.M)}:${p2(g.S)}`;
      case "D":
        return `${p2(g.m + 1)}/${p2(g.d)}/${p2(g.Y % 100)}`;
      case "%":
        return "%";
    }
    return m;
  });
}
