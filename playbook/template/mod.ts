// mito's Jinja2-compatible template engine with Ansible's semantics: the public surface.
//
// Conventions for custom filters/tests/lookups:
// - A FilterFn/TestFn gets the value, then the positional arguments; keyword arguments, when any were
//   given in the template, arrive as one trailing `Kwargs` instance (`args.at(-1) instanceof Kwargs`).
// - Values follow playbook/values.ts: null is None, integral numbers are ints, PyFloat marks integral floats,
//   arrays are lists (tuples are arrays marked with `tuple()`), plain objects are dicts; an `Undefined`
//   instance is Jinja2's undefined (only `default`, `defined`, `mandatory` … accept it).
// - A `LazyMapping` subclass (hostvars) is read through get/keys and never copied.
export {
  type FileTemplateOptions,
  type FilterFn,
  findFile,
  type LookupContext,
  type LookupFn,
  type PluginSource,
  Templar,
  type TemplarOptions,
  type TemplateOptions,
  type TestFn,
  type VarLookup,
} from "./templar.ts";
export { globalNames, OMIT_TOKEN } from "./_globals.ts";
export type { Delimiters } from "./_lexer.ts";
export { templateFileVars } from "./_template_vars.ts";
export {
  LookupError,
  LookupOptionsError,
  PythonError,
  TemplateError,
  UndefinedError,
  UnknownPluginError,
} from "./_errors.ts";
export {
  isMarkedUnsafe,
  isTuple,
  Kwargs,
  LazyMapping,
  markUnsafe,
  NativeText,
  pyEq,
  pyRepr,
  pySplitlines,
  pyStr,
  pyTypeName,
  toBool,
  toPlain,
  truthy,
  tuple,
  Undefined,
  wrapVar,
  YamlText,
} from "./_py.ts";
export { jsonDumps, jsonLoads } from "./_json.ts";
export { mergeHash } from "./_filters_dicts.ts";
export { toYaml } from "./_yaml.ts";
export { ESCAPES as PYTHON_ESCAPES } from "./_lexer.ts";
