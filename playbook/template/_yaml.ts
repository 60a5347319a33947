// to_yaml/to_nice_yaml: playbook/py/yaml_dump.ts over the template engine's values;
// from_yaml: the yaml npm package in YAML 1.1 mode, keeping floats like 1.0 as floats.
// @ts-types="../../node_modules/yaml/dist/index.d.ts"
import { isMap, isScalar, isSeq, type Node as YNode, parseAllDocuments } from "yaml";
import { PyFloat } from "../values.ts";
import { constructInt } from "../yaml/_resolve.ts";
import { yamlDump, YamlDumpError } from "../py/yaml_dump.ts";
import { pyStr } from "../py/repr.ts";
import { dumpable } from "./_py.ts";
import { TemplateError } from "./_errors.ts";

export interface YamlDumpOptions {
  indent: number;
  /** null: flow style for collections of scalars only (PyYAML default_flow_style=None). */
  flow: boolean | null;
  sortKeys: boolean;
  width: number;
  explicitStart: boolean;
  /** A Dumper's represent_scalar override for strings (see playbook/py/yaml_dump.ts). */
  literal?: (s: string) => string | undefined;
}

/** to_yaml/to_nice_yaml: yaml.dump with Ansible's dumper (allow_unicode, sorted keys by default). */
export function toYaml(v: unknown, o: YamlDumpOptions): string {
  try {
    return yamlDump(v, { ...o, represent: dumpable });
  } catch (e) {
    if (e instanceof YamlDumpError) throw new TemplateError(e.message);
    throw e;
  }
}

function convert(n: YNode | null | undefined): unknown {
  if (n === null || n === undefined) return null;
  if (isScalar(n)) {
    const v = n.value;
    if (typeof v === "number" && Number.isInteger(v)) {
      const src = (n as { source?: string }).source ??
        (n.srcToken as { source?: string } | undefined)?.source;
      if (src && /^[-+]?(\d[\d_]*)?\.\d*([eE][-+]?\d+)?$|^[-+]?\d[\d_]*[eE][-+]?\d+$/.test(src)) {
        return new PyFloat(v);
      }
      if (src && !Number.isSafeInteger(v)) return constructInt(src) ?? v; // exact beyond ±2^53
    }
    if (v instanceof Date) return v.toISOString();
    // PyYAML reads y/n as strings although YAML 1.1 lists them as booleans
    if (
      typeof v === "boolean" &&
      /^[yYnN]$/.test(String((n.srcToken as { source?: string } | undefined)?.source))
    ) {
      return (n.srcToken as { source: string }).source;
    }
    return v;
  }
  if (isSeq(n)) return n.items.map((i) => convert(i as YNode));
  if (isMap(n)) {
    const out: Record<string, unknown> = {};
    for (const p of n.items) {
      const k = convert(p.key as YNode);
      out[pyStr(k)] = convert(p.value as YNode);
    }
    return out;
  }
  return (n as { toJSON(): unknown }).toJSON();
}

function parseDocs(text: string) {
  const docs = parseAllDocuments(text, {
    version: "1.1",
    keepSourceTokens: true,
    merge: true,
    uniqueKeys: false,
  });
  if (!Array.isArray(docs)) return [];
  for (const d of docs) if (d.errors.length) throw new TemplateError(`YAML error: ${d.errors[0].message}`);
  return docs;
}

export function fromYaml(text: string): unknown {
  const docs = parseDocs(text);
  return docs.length ? convert(docs[0].contents as YNode) : null;
}

export function fromYamlAll(text: string): unknown[] {
  return parseDocs(text).map((d) => convert(d.contents as YNode));
}
