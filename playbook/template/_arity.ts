// How many arguments Ansible's filters take, so that extra ones fail as they do in Python.
import { splitKwargs } from "./_runtime.ts";
import type { FilterFn } from "./templar.ts";

/**
 * Filter → [the Python function's name, least and most positional arguments, the filtered value
 * included]. Ansible calls these functions directly, so `{{ 'a' | path_join('b') }}` raises Python's
 * TypeError naming the function (`to_bool()` for `bool`, `basename()` for `win_basename`).
 */
const SIGNATURES: Record<string, [string, number, number]> = {
  basename: ["basename", 1, 1],
  dirname: ["dirname", 1, 1],
  expanduser: ["expanduser", 1, 1],
  expandvars: ["expandvars", 1, 1],
  path_join: ["path_join", 1, 1],
  realpath: ["realpath", 1, 1],
  splitext: ["splitext", 1, 1],
  win_basename: ["basename", 1, 1],
  win_dirname: ["dirname", 1, 1],
  win_splitdrive: ["splitdrive", 1, 1],
  fileglob: ["fileglob", 1, 1],
  bool: ["to_bool", 1, 1],
  quote: ["quote", 1, 1],
  md5: ["md5s", 1, 1],
  sha1: ["secure_hash_s", 1, 2],
  checksum: ["secure_hash_s", 1, 2],
  urldecode: ["unquote_plus", 1, 3],
  from_yaml: ["from_yaml", 1, 1],
  from_yaml_all: ["from_yaml_all", 1, 1],
  from_json: ["loads", 1, 1],
  to_uuid: ["to_uuid", 1, 2],
  regex_escape: ["regex_escape", 1, 2],
  dict2items: ["dict_to_list_of_dict_key_value_elements", 1, 3],
  items2dict: ["list_of_dict_key_value_elements_to_dict", 1, 3],
  b64encode: ["b64encode", 1, 2],
  b64decode: ["b64decode", 1, 2],
  mandatory: ["mandatory", 1, 2],
  comment: ["comment", 1, 2],
  flatten: ["flatten", 1, 3],
};

/** Python's message for a call with too many positional arguments. */
export function tooManyArguments(name: string, least: number, most: number, given: number): TypeError {
  const takes = least === most
    ? `${most} positional argument${most === 1 ? "" : "s"}`
    : `from ${least} to ${most} positional arguments`;
  return new TypeError(`${name}() takes ${takes} but ${given} ${given === 1 ? "was" : "were"} given`);
}

/** Makes each filter of SIGNATURES in `table` refuse more positional arguments than Python takes. */
export function withArity(table: Record<string, FilterFn>): void {
  for (const [filter, [name, least, most]] of Object.entries(SIGNATURES)) {
    const f = table[filter];
    if (!f) continue;
    table[filter] = (v, ...args) => {
      const given = 1 + splitKwargs(args)[0].length;
      if (given > most) throw tooManyArguments(name, least, most, given);
      return f(v, ...args);
    };
  }
}
