// The YAML loader reads scalars exactly as PyYAML's SafeLoader (which Ansible's loader derives from)
// does, and adds Ansible's tags, merge keys, positions and file:line:column errors.
import { spawnSync } from "node:child_process";
import { assert, assertEquals, assertThrows } from "./_assert.ts";
import { ROOT, tool } from "./data_env.ts";
import { parseYaml, parseYamlAll, positionOf, YamlError } from "../playbook/yaml/mod.ts";
import { resolvePlain } from "../playbook/yaml/_resolve.ts";
import { PyFloat, UnsafeString, VaultString } from "../playbook/values.ts";
import { encryptVault, VaultError, VaultSecrets } from "../playbook/vault/mod.ts";

const SCALARS = [
  "yes",
  "Yes",
  "YES",
  "yEs",
  "no",
  "No",
  "NO",
  "on",
  "On",
  "ON",
  "off",
  "Off",
  "OFF",
  "true",
  "True",
  "TRUE",
  "tRue",
  "false",
  "False",
  "FALSE",
  "y",
  "Y",
  "n",
  "N",
  "~",
  "null",
  "Null",
  "NULL",
  "nUll",
  "",
  "0",
  "-0",
  "+0",
  "7",
  "+7",
  "-7",
  "0644",
  "0o644",
  "08",
  "0_7",
  "0x1F",
  "0x1f",
  "-0x10",
  "0b101",
  "-0b11",
  "1_000",
  "1_000_000",
  "1:20",
  "1:20:30",
  "-1:00",
  "190:20:30",
  "1.0",
  "1.5",
  "-2.0",
  "1.",
  ".5",
  "1e3",
  "1.0e3",
  "1.0e+3",
  "1.5E-2",
  "6.8523015e+5",
  "685.230_15e+03",
  "1:20.5",
  ".inf",
  ".Inf",
  ".INF",
  "-.inf",
  "+.inf",
  ".nan",
  ".NaN",
  ".NAN",
  "inf",
  "nan",
  "2001-12-14",
  "2001-12-14t21:59:43.10-05:00",
  "2001-12-14 21:59:43.10 -5",
  "2002-1-1 1:2:3",
  "12:30",
  "60:00",
  "1:60",
  "0.1",
  "00",
  "0x",
  "0b",
  "hello",
  "1 2",
  "'quoted'",
  '"7"',
];

function pyTyped(scalars: string[]): unknown[] {
  const program = `
import json, sys, yaml, datetime, math
out = []
for s in json.load(sys.stdin):
    v = yaml.safe_load("v: " + s)["v"]
    if isinstance(v, bool): out.append(["bool", v])
    elif isinstance(v, int): out.append(["int", v])
    elif isinstance(v, float):
        out.append(["float", "nan" if math.isnan(v) else ("inf" if v == math.inf else ("-inf" if v == -math.inf else v))])
    elif v is None: out.append(["null", None])
    elif isinstance(v, (datetime.date, datetime.datetime)): out.append(["timestamp", s])
    else: out.append(["str", v])
print(json.dumps(out))
`;
  const r = spawnSync(tool("/usr/bin/python3"), ["-c", program], {
    input: JSON.stringify(scalars),
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function oursTyped(s: string): unknown {
  const v = (parseYaml(`v: ${s}`, { file: "t.yml" }) as Record<string, unknown>).v;
  if (typeof v === "boolean") return ["bool", v];
  if (v === null) return ["null", null];
  if (v instanceof PyFloat) return ["float", v.value];
  if (typeof v === "number") {
    if (Number.isNaN(v)) return ["float", "nan"];
    if (v === Infinity) return ["float", "inf"];
    if (v === -Infinity) return ["float", "-inf"];
    return [Number.isInteger(v) ? "int" : "float", v];
  }
  if (typeof v === "string" && resolvePlain(s) === "timestamp") return ["timestamp", s];
  return ["str", v];
}

Deno.test("plain scalars resolve to the same types and values as PyYAML's SafeLoader", () => {
  const expected = pyTyped(SCALARS);
  const mismatches: string[] = [];
  SCALARS.forEach((s, i) => {
    const ours = oursTyped(s);
    if (JSON.stringify(ours) !== JSON.stringify(expected[i])) {
      mismatches.push(
        `${JSON.stringify(s)}: ours ${JSON.stringify(ours)}, PyYAML ${JSON.stringify(expected[i])}`,
      );
    }
  });
  assertEquals(mismatches, []);
});

Deno.test("integral floats are PyFloat so 1.0 stays a float; timestamps keep their text", () => {
  const v = parseYaml("a: 1.0\nb: 2001-12-14\nc: 3\n", { file: "t.yml" }) as Record<string, unknown>;
  assertEquals(v.a, new PyFloat(1));
  assertEquals(v.b, "2001-12-14");
  assertEquals(v.c, 3);
});

Deno.test("ints beyond 2^53 keep every digit, as Python's ints do; smaller ones stay numbers", () => {
  const v = parseYaml(
    "a: 18446744073709551615\nb: -9007199254740993\nc: 0xFFFFFFFFFFFFFFFFFF\nd: 9007199254740991\n" +
      "e: 07777777777777777777777\nf: !!int 1_000_000_000_000_000_000\n",
    { file: "t.yml" },
  ) as Record<string, unknown>;
  assertEquals(v, {
    a: 18446744073709551615n,
    b: -9007199254740993n,
    c: 0xFFFFFFFFFFFFFFFFFFn,
    d: 9007199254740991,
    e: 0o7777777777777777777777n,
    f: 1000000000000000000n,
  });
});

Deno.test("quoted and block scalars are always strings; explicit tags convert", () => {
  const v = parseYaml(
    "a: 'yes'\nb: \"0644\"\nc: |\n  on\nd: !!str 12\ne: !!int '0x10'\nf: !!float '1'\ng: !!bool 'off'\nh: !!null ''\n",
    { file: "t.yml" },
  );
  assertEquals(v, { a: "yes", b: "0644", c: "on\n", d: "12", e: 16, f: new PyFloat(1), g: false, h: null });
});

Deno.test("mapping keys resolve like values and become Python's str() of the key", () => {
  const v = parseYaml("yes: 1\n0644: 2\nnull: 3\n1.5: 4\nplain: 5\n", { file: "t.yml" });
  assertEquals(v, { True: 1, "420": 2, None: 3, "1.5": 4, plain: 5 });
});

Deno.test("merge keys: own keys win, earlier mappings in a merge list win over later ones", () => {
  const v = parseYaml(
    [
      "a: &a {x: 1, y: 1}",
      "b: &b {y: 2, z: 2}",
      "one:",
      "  <<: *a",
      "  x: 9",
      "list:",
      "  <<: [*a, *b]",
      "  w: 0",
    ].join("\n"),
    { file: "t.yml" },
  ) as Record<string, unknown>;
  assertEquals(v.one, { x: 9, y: 1 });
  assertEquals(v.list, { y: 1, z: 2, x: 1, w: 0 });
  assertEquals(Object.keys(v.list as object), ["y", "z", "x", "w"]);
});

Deno.test("aliases share the anchored value", () => {
  const v = parseYaml("a: &x [1, 2]\nb: *x\n", { file: "t.yml" }) as Record<string, unknown[]>;
  assert(v.a === v.b);
});

Deno.test("duplicate keys: the last one wins and a warning names file, line and key", () => {
  const warnings: string[] = [];
  const v = parseYaml("a: 1\nb: 2\na: 3\n", { file: "dup.yml", onWarning: (m) => warnings.push(m) });
  assertEquals(v, { a: 3, b: 2 });
  assertEquals(warnings, [
    "While constructing a mapping from dup.yml, line 3, column 1, found a duplicate dict key (a). Using last defined value only.",
  ]);
  assertThrows(
    () => parseYaml("a: 1\nb: 2\na: 3\n", { file: "dup.yml", duplicateKeys: "error" }),
    YamlError,
    "dup.yml:3:1: found a duplicate dict key (a)",
  );
});

Deno.test("!unsafe marks scalars and every string inside a tagged collection", () => {
  const v = parseYaml("a: !unsafe '{{ x }}'\nb: !unsafe {k: '{{ y }}', n: 1}\n", { file: "t.yml" });
  assertEquals(v, { a: new UnsafeString("{{ x }}"), b: { k: new UnsafeString("{{ y }}"), n: 1 } });
});

Deno.test("!vault values decrypt lazily with the given secrets", () => {
  const ct = encryptVault("s3cret", "pw");
  const text = `pw: !vault |\n${ct.trimEnd().split("\n").map((l) => "  " + l).join("\n")}\n`;
  const v = parseYaml(text, {
    file: "v.yml",
    vault: VaultSecrets.fromOptions({ passwords: [{ password: "pw" }] }),
  }) as Record<string, VaultString>;
  assert(v.pw instanceof VaultString);
  assertEquals(v.pw.value, "s3cret");
  const wrong = parseYaml(text, {
    file: "v.yml",
    vault: VaultSecrets.fromOptions({ passwords: [{ password: "nope" }] }),
  }) as Record<string, VaultString>;
  assertThrows(
    () => wrong.pw.value,
    VaultError,
    "Decryption failed (no vault secrets were found that could decrypt) on v.yml:1:12",
  );
  const none = parseYaml(text, { file: "v.yml" }) as Record<string, VaultString>;
  assertThrows(() => none.pw.value, VaultError, "no vault secrets found on v.yml:1:12");
});

Deno.test("positions of mappings and sequences are 1-based line and column", () => {
  const v = parseYaml("- name: a\n  tasks:\n    - x: 1\n", { file: "p.yml" }) as any[];
  assertEquals(positionOf(v), { file: "p.yml", line: 1, column: 1 });
  assertEquals(positionOf(v[0]), { file: "p.yml", line: 1, column: 3 });
  assertEquals(positionOf(v[0].tasks[0]), { file: "p.yml", line: 3, column: 7 });
});

Deno.test("syntax errors name file, line and column and what was wrong", () => {
  const e = assertThrows(
    () => parseYaml("a: 1\nb: [1, 2\nc: 3\n", { file: "bad.yml" }),
    YamlError,
  ) as YamlError;
  assertEquals([e.file, e.line > 1], ["bad.yml", true]);
  assert(e.message.startsWith(`bad.yml:${e.line}:${e.column}: `), e.message);
  const e2 = assertThrows(() => parseYaml("a: b\n  c: d\n", { file: "bad2.yml" }), YamlError) as YamlError;
  assertEquals(e2.file, "bad2.yml");
});

Deno.test("an unquoted template that starts a value is an unhashable key, as in Ansible", () => {
  assertThrows(
    () => parseYaml("k: {{ x }}\n", { file: "q.yml" }),
    YamlError,
    "q.yml:1:5: found unhashable key",
  );
});

Deno.test("a lone = has no constructor, as in PyYAML", () => {
  assertThrows(
    () => parseYaml("a: =\n", { file: "eq.yml" }),
    YamlError,
    "eq.yml:1:4: could not determine a constructor",
  );
});

Deno.test("unknown tags are errors naming the tag", () => {
  assertThrows(
    () => parseYaml("a: !foo x\n", { file: "tag.yml" }),
    YamlError,
    "tag.yml:1:9: could not determine a constructor for the tag '!foo'",
  );
});

Deno.test("multi-document streams and empty input", () => {
  assertEquals(parseYamlAll("a: 1\n---\n- 2\n", { file: "m.yml" }), [{ a: 1 }, [2]]);
  assertEquals(parseYamlAll("", { file: "e.yml" }), []);
  assertEquals(parseYaml("# only a comment\n", { file: "e.yml" }), null);
});

const PY_NORMALISE = `
import json, sys, yaml, datetime, math
def norm(v):
    if isinstance(v, bool): return v
    if isinstance(v, int): return {"int": v}
    if isinstance(v, float):
        if math.isnan(v): return {"float": "nan"}
        if math.isinf(v): return {"float": "inf" if v > 0 else "-inf"}
        return {"float": v}
    if isinstance(v, (datetime.date, datetime.datetime)): return {"timestamp": str(v)}
    if isinstance(v, dict): return {"map": [[keystr(k), norm(x)] for k, x in v.items()]}
    if isinstance(v, (list, tuple)): return [norm(x) for x in v]
    return v
def keystr(k):
    if k is None: return "None"
    if isinstance(k, float) and k.is_integer(): return repr(k)
    return str(k)
print(json.dumps([norm(d) for d in yaml.safe_load_all(open(sys.argv[1]))]))
`;

function normalise(v: unknown): unknown {
  if (typeof v === "boolean" || v === null || typeof v === "string") return v;
  if (v instanceof UnsafeString) return v.value;
  if (v instanceof VaultString) return v.ciphertext;
  if (v instanceof PyFloat) return { float: v.value };
  if (typeof v === "number") {
    if (Number.isNaN(v)) return { float: "nan" };
    if (!Number.isFinite(v)) return { float: v > 0 ? "inf" : "-inf" };
    return Number.isInteger(v) ? { int: v } : { float: v };
  }
  if (Array.isArray(v)) return v.map(normalise);
  return { map: Object.entries(v as object).map(([k, x]) => [k, normalise(x)]) };
}

Deno.test("a playbook-shaped corpus (block scalars, escapes, anchors, merges, odd keys) reads as PyYAML reads it", () => {
  const file = `${ROOT}tests/fixtures/yaml/corpus.yml`;
  const r = spawnSync(tool("/usr/bin/python3"), ["-c", PY_NORMALISE, file], { encoding: "utf8" });
  assertEquals(r.status, 0, r.stderr);
  const ours = parseYamlAll(Deno.readTextFileSync(file), { file }).map(normalise);
  assertEquals(ours, JSON.parse(r.stdout));
});

Deno.test("!!set is a mapping to null and !!omap a list of pairs, as PyYAML builds them", () => {
  assertEquals(parseYaml("s: !!set {b, a}\no: !!omap [x: 1, y: 2]\n", { file: "t.yml" }), {
    s: { b: null, a: null },
    o: [["x", 1], ["y", 2]],
  });
});

Deno.test("common mistakes point where PyYAML points and say what was expected", () => {
  assertThrows(
    () => parseYaml("- name: x\n   debug: y\n", { file: "play.yml" }),
    YamlError,
    "play.yml:2:9: mapping values are not allowed here: expected a plain value; quote a value that contains ': ', or fix the indentation",
  );
  assertThrows(
    () => parseYaml("- a\n- b\nc: d\n", { file: "list.yml" }),
    YamlError,
    "list.yml:3:1: expected the end of the list or mapping above, but found more content (check the indentation)",
  );
  assertThrows(
    () => parseYaml("a: 'open\n", { file: "q.yml" }),
    YamlError,
    "q.yml:2:1: found unexpected end of input",
  );
  assertThrows(
    () => parseYaml("a:\n\t- b\n", { file: "tab.yml" }),
    YamlError,
    "tab.yml:2:1: Tabs are not allowed",
  );
});

Deno.test("every YAML file shipped with ansible-core reads as PyYAML reads it", () => {
  const root = "/usr/lib/python3/dist-packages/ansible";
  tool(`${root}/__init__.py`);
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(dir)) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory) walk(p);
      else if (/\.ya?ml$/.test(e.name)) files.push(p);
    }
  };
  walk(root);
  assert(files.length > 50, `only ${files.length} YAML files under ${root}`);
  // Dates print as their text (what mito keeps); other tags are read as plain values.
  const py = PY_NORMALISE.replace('{"timestamp": str(v)}', "str(v)").replace(
    "print(json.dumps([norm(d) for d in yaml.safe_load_all(open(sys.argv[1]))]))",
    `class L(yaml.SafeLoader): pass
L.add_multi_constructor("!", lambda l, s, n: l.construct_scalar(n) if isinstance(n, yaml.ScalarNode) else (l.construct_sequence(n, deep=True) if isinstance(n, yaml.SequenceNode) else l.construct_mapping(n, deep=True)))
out = {}
for f in json.load(sys.stdin):
    try: out[f] = [norm(d) for d in yaml.load_all(open(f, encoding="utf-8"), Loader=L)]
    except yaml.YAMLError: out[f] = "error"
print(json.dumps(out))`,
  );
  const r = spawnSync(tool("/usr/bin/python3"), ["-c", py], {
    input: JSON.stringify(files),
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  assertEquals(r.status, 0, r.stderr);
  const theirs = JSON.parse(r.stdout);
  const differing: string[] = [];
  for (const f of files) {
    let ours: unknown;
    try {
      ours = parseYamlAll(Deno.readTextFileSync(f), { file: f }).map(normalise);
    } catch (e) {
      if (!(e instanceof YamlError)) throw e;
      ours = "error";
    }
    if (JSON.stringify(ours) !== JSON.stringify(theirs[f])) differing.push(f);
  }
  assertEquals(differing, []);
});

Deno.test("content after `...` needs a new `---`, and only YAML 1.x is read, as in PyYAML", () => {
  assertThrows(
    () => parseYamlAll("a: b\n...\nc: d\n", { file: "docs.yml" }),
    YamlError,
    "docs.yml:3:1: expected '<document start>' (---), but found content",
  );
  assertEquals(parseYamlAll("a: b\n...\n---\nc: d\n", { file: "docs.yml" }), [{ a: "b" }, { c: "d" }]);
  assertThrows(
    () => parseYaml("%YAML 2.0\n---\na: 1\n", { file: "v.yml" }),
    YamlError,
    "v.yml:1:7: Unsupported YAML version",
  );
});

Deno.test("block scalars at the end of a text without a final line break read as PyYAML reads them", () => {
  const texts = [
    "a: |\n  x\n  y",
    "a: |\n  x\n",
    "a: >\n  x\n  y",
    "a: |+\n  x",
    "a: |-\n  x",
    "- |\n  x",
    "a: |\n  x\nb: |\n  y",
    "a: !!str |\n  x",
    "a: |+\n  x\n\n",
  ];
  const r = spawnSync(
    tool("/usr/bin/python3"),
    ["-c", "import json, sys, yaml\nprint(json.dumps([yaml.safe_load(t) for t in json.load(sys.stdin)]))"],
    { input: JSON.stringify(texts), encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  assertEquals(texts.map((t) => parseYaml(t, { file: "t.yml" })), JSON.parse(r.stdout));
});
