// Data format filters: JSON and YAML in and out.
import { NativeText, num, pyIter, pyStr, truthy, unwrap } from "./_py.ts";
import { splitKwargs } from "./_runtime.ts";
import { fromYaml, fromYamlAll, toYaml } from "./_yaml.ts";
import { jsonDumps, jsonLoads } from "./_json.ts";
import { bind, type FilterContext, str } from "./_filter_util.ts";
import type { FilterFn } from "./templar.ts";

/** The data family of the built-in filter table. */
export function dataFilters(_ctx: FilterContext): Record<string, FilterFn> {
  return {
    tojson: (v, ...args) => {
      const o = bind(args, ["indent"], "tojson");
      return jsonDumps(v, {
        sortKeys: true,
        indent: o.indent === undefined || o.indent === null ? null : num(o.indent),
        ensureAscii: true,
      })
        .replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026").replace(/'/g, "\\u0027");
    },

    to_json: (v, ...args) => {
      const [, kw] = splitKwargs(args);
      return new NativeText(jsonDumps(v, {
        sortKeys: truthy(kw.sort_keys ?? false),
        indent: kw.indent === undefined || kw.indent === null ? null : num(kw.indent),
        ensureAscii: truthy(kw.ensure_ascii ?? true),
        separators: kw.separators ? (pyIter(kw.separators).map(pyStr) as [string, string]) : undefined,
      }));
    },
    to_nice_json: (v, ...args) => {
      const o = bind(args, ["indent", "sort_keys", "ensure_ascii"], "to_nice_json");
      return new NativeText(jsonDumps(v, {
        sortKeys: truthy(o.sort_keys ?? true),
        indent: num(o.indent ?? 4),
        ensureAscii: truthy(o.ensure_ascii ?? true),
        separators: [",", ": "],
      }));
    },
    from_json: (v) => jsonLoads(str(v)),
    to_yaml: (v, ...args) => {
      const [, kw] = splitKwargs(args);
      return new NativeText(toYaml(v, {
        indent: num(kw.indent ?? 2),
        flow: kw.default_flow_style === undefined
          ? null
          : kw.default_flow_style === null
          ? null
          : truthy(kw.default_flow_style),
        sortKeys: truthy(kw.sort_keys ?? true),
        width: num(kw.width ?? 80),
        explicitStart: truthy(kw.explicit_start ?? false),
      }));
    },
    to_nice_yaml: (v, ...args) => {
      const o = bind(args, ["indent", "sort_keys", "width", "explicit_start"], "to_nice_yaml");
      return new NativeText(toYaml(v, {
        indent: num(o.indent ?? 4),
        flow: false,
        sortKeys: truthy(o.sort_keys ?? true),
        width: num(o.width ?? 80),
        explicitStart: truthy(o.explicit_start ?? false),
      }));
    },
    from_yaml: (v) => {
      const u = unwrap(v);
      return typeof u === "string" ? fromYaml(u) : u;
    },
    from_yaml_all: (v) => {
      const u = unwrap(v);
      return typeof u === "string" ? fromYamlAll(u) : u;
    },
  };
}
