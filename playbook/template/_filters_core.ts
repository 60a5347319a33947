// Jinja2's and Ansible's general filters: defaults, attributes, ternary, types, booleans and dates.
import { PyFloat, UnsafeString } from "../values.ts";
import { boolean } from "../py/boolean.ts";
import { TemplateError } from "./_errors.ts";
import {
  defined,
  isMapping,
  isMarkedUnsafe,
  LazyMapping,
  NativeText,
  num,
  pyRepr,
  pyStr,
  pyTypeName,
  truthy,
  Undefined,
  unwrap,
  YamlText,
} from "./_py.ts";
import { getAttr, splitKwargs } from "./_runtime.ts";
import { getMethod } from "./_methods.ts";
import { strftime } from "./_strftime.ts";
import { strptime } from "./_datetime.ts";
import { bind, type FilterContext, str, toFloat } from "./_filter_util.ts";
import type { FilterFn } from "./templar.ts";

/** The core family of the built-in filter table. */
export function coreFilters(_ctx: FilterContext): Record<string, FilterFn> {
  return {
    default: (v, ...args) => {
      const o = bind(args, ["default_value", "boolean"], "default");
      const dv = o.default_value ?? "";
      if (v instanceof Undefined || (truthy(o.boolean ?? false) && !truthy(v))) return dv;
      return v;
    },
    abs: (v) => {
      const u = unwrap(defined(v));
      if (u instanceof PyFloat) return new PyFloat(Math.abs(u.value));
      if (typeof u === "boolean") return u ? 1 : 0;
      if (typeof u === "bigint") return u < 0n ? -u : u;
      if (typeof u !== "number") throw new TypeError(`bad operand type for abs(): '${pyTypeName(u)}'`);
      return Math.abs(u);
    },
    attr: (v, name) => {
      // Python getattr only: dict keys are not attributes
      const u = unwrap(defined(v));
      const n = pyStr(name);
      if (isMapping(u) && !getMethod(u, n)) {
        return new Undefined(n, `'dict object' has no attribute '${n}'`);
      }
      return getAttr(u, n);
    },
    pprint: (v) => pyRepr(v),
    bool: (v) => {
      const u = unwrap(defined(v));
      return u === null ? null : boolean(u, { words: "filter" });
    },
    to_datetime: (v, ...args) => {
      const o = bind(args, ["format"], "to_datetime");
      return strptime(str(v), pyStr(o.format ?? "%Y-%m-%d %H:%M:%S"));
    },
    strftime: (v, ...args) => {
      const o = bind(args, ["second", "utc"], "strftime");
      const given = o.second === undefined || o.second === null ? undefined : toFloat(o.second, undefined);
      if (given === undefined && o.second !== undefined && o.second !== null) {
        throw new TemplateError(`Invalid value for epoch value (${pyStr(o.second)})`);
      }
      const secs = given === undefined ? Date.now() / 1000 : num(given);
      return strftime(str(v), new Date(secs * 1000), truthy(o.utc ?? false));
    },
    ternary: (v, ...args) => {
      const o = bind(args, ["true_val", "false_val", "none_val"], "ternary", 2);
      if (unwrap(v) === null && o.none_val !== undefined && o.none_val !== null) return o.none_val;
      return truthy(v) ? o.true_val : o.false_val;
    },
    mandatory: (v, ...args) => {
      const o = bind(args, ["msg"], "mandatory");
      if (v instanceof Undefined) {
        if (o.msg !== undefined && o.msg !== null) throw new TemplateError(pyStr(o.msg));
        throw new TemplateError(`Mandatory variable ${v.name ? `'${v.name}' ` : ""} not defined.`);
      }
      return v;
    },
    comment: (v, ...args) => {
      const [pos, kw] = splitKwargs(args);
      const style = pyStr(pos[0] ?? kw.style ?? "plain");
      const styles: Record<string, Record<string, string>> = {
        plain: { decoration: "# " },
        erlang: { decoration: "% " },
        c: { decoration: "// " },
        cblock: { beginning: "/*", decoration: " * ", end: " */" },
        xml: { beginning: "<!--", decoration: " - ", end: "-->" },
      };
      const sp = styles[style];
      if (!sp) throw new TemplateError(`comment: unknown style '${style}'`);
      const prepost = kw.decoration !== undefined ? pyStr(kw.decoration) : sp.decoration;
      const p: Record<string, unknown> = {
        newline: "\n",
        beginning: "",
        prefix: prepost.trimEnd(),
        prefix_count: 1,
        decoration: "",
        postfix: prepost.trimEnd(),
        postfix_count: 1,
        end: "",
        ...sp,
        ...kw,
      };
      const nl = pyStr(p.newline), dec = pyStr(p.decoration);
      const beginning = p.beginning ? pyStr(p.beginning) + nl : "";
      let prefix = "";
      if (p.prefix) prefix = (pyStr(p.prefix) !== nl ? pyStr(p.prefix) + nl : nl).repeat(num(p.prefix_count));
      const text = (dec + str(v).split(nl).join(nl + dec)).split(dec + nl).join(dec.trimEnd() + nl);
      const postfix = ["", ...Array.from({ length: num(p.postfix_count) }, () => pyStr(p.postfix))].join(nl);
      const end = p.end ? nl + pyStr(p.end) : "";
      return beginning + prefix + text + postfix + end;
    },
    type_debug: (v) => ansibleTypeName(v),
  };
}

/**
 * type(v).__name__ as Ansible's type_debug shows it, for the classes mito's values stand for: unsafe
 * text, `| string`'s native text (unsafe when a lookup gave it), hostvars. (Plain strings read as str: mito does not tell a string
 * loaded from YAML, Ansible's AnsibleUnicode, from one made by templating.)
 */
function ansibleTypeName(v: unknown): string {
  // a lookup's text kept from later templating (the template lookup's convert_data=False) is unsafe too
  if (v instanceof NativeText) return isMarkedUnsafe(v) ? "NativeJinjaUnsafeText" : "NativeJinjaText";
  if (v instanceof UnsafeString) return "AnsibleUnsafeText";
  if (v instanceof YamlText) return "AnsibleUnicode";
  if (v instanceof LazyMapping) return v.pyClass.slice(v.pyClass.lastIndexOf(".") + 1);
  return pyTypeName(v);
}
