// Global names templates can use without a variable of that name: range, dict, lookup, query, omit, …
import { randomBytes } from "node:crypto";
import { PyCallable } from "./_callable.ts";
import { Namespace } from "./_runtime.ts";
import { isMapping, mapGet, mapKeys, num, pyIter, pyStr, truthy, Undefined, unwrap } from "./_py.ts";
import type { Templar, VarLookup } from "./templar.ts";
import { TemplateError } from "./_errors.ts";
import { PyDateTime } from "./_datetime.ts";
import { strftime } from "./_strftime.ts";

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

/**
 * The names Ansible's templar has as globals (a variable named so hides one): these, and Jinja2's
 * `lipsum`, which mito does not provide but Ansible counts the same. `omit` is a variable in Ansible.
 */
export function globalNames(): string[] {
  // the callables are built without being called: neither the templar nor the variables are read
  const names = Object.keys(
    makeGlobals(undefined as unknown as Templar, undefined as unknown as VarLookup, false),
  );
  return [...names.filter((n) => n !== "omit"), "lipsum"].sort();
}

/** onLookupData: told when a lookup gave data (the calling template's result is then unsafe). */
export function makeGlobals(
  templar: Templar,
  vars: VarLookup,
  native: boolean,
  onLookupData?: () => void,
): Record<string, unknown> {
  const lookup = (wantlist: boolean) =>
    new PyCallable(wantlist ? "query" : "lookup", (args, kwargs) => {
      if (!args.length) throw new TemplateError("lookup() requires a plugin name");
      const [name, ...terms] = args;
      return templar.runLookup(pyStr(name), terms, kwargs, vars, wantlist, native, onLookupData);
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
