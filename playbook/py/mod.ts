// Python's value semantics over the value model (playbook/values.ts), one home for each rule Ansible's
// behaviour rests on: boolean(), repr()/str(), int(text, base), str ordering, ast.literal_eval,
// json.dumps, yaml.dump, str.encode.
// Imports only core/ and playbook/values.ts (plus the YAML 1.1 resolver), so every layer may use it.
export { boolean, type BooleanOptions, NotABooleanError } from "./boolean.ts";
export { floatRepr, intRepr, pyRepr, pyStr, type ReprHook, strRepr } from "./repr.ts";
export { pyStrCompare } from "./str_order.ts";
export { literalEval, type LiteralOptions, type LiteralResult } from "./literal.ts";
export { JsonDumpError, type JsonDumpOptions, jsonDumps } from "./json_dump.ts";
export { yamlDump, YamlDumpError, type YamlDumpOptions } from "./yaml_dump.ts";
export { PyCodecError, pyEncode } from "./codecs.ts";
export { IntParseError, pyInt } from "./int_parse.ts";
