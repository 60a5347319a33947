// Expected texts are what /usr/bin/python3 prints for yaml.dump(v, Dumper=AnsibleDumper, allow_unicode=True,
// default_flow_style=False) with ansible-core 2.14 on Debian's python3-yaml (libyaml's emitter).
import { assertEquals, assertThrows } from "../../tests/_assert.ts";
import { PyFloat } from "../../core/codec.ts";
import { UnsafeString, VaultString } from "../values.ts";
import { yamlDump, YamlDumpError } from "./yaml_dump.ts";

Deno.test("libyaml's printable set: U+0085, astral characters and the BOM are escaped in double quotes", () => {
  const v = { nel: "a\x85b", astral: "a😀b c", bom: "\ufeff", c1: "\x80", ls: "é\u2028x", tab: "tab\there" };
  assertEquals(
    yamlDump(v),
    'astral: "a\\U0001F600b c"\nbom: "\\uFEFF"\nc1: "\\x80"\nls: \'é\u2028  x\'\nnel: "a\\Nb"\ntab: "tab\\there"\n',
  );
});

Deno.test("keys sort by code point", () => {
  assertEquals(
    yamlDump({ b: 1, B: 2, "é": 3, "😀": 4, "\uffef": 5 }),
    'B: 2\nb: 1\né: 3\n\uffef: 5\n"\\U0001F600": 4\n',
  );
});

Deno.test("a string that would read back as another type is quoted (PyYAML 6's resolvers)", () => {
  const v = {
    a: "._",
    b: "._5",
    c: ".5",
    d: "yes",
    e: "y",
    f: "0o17",
    g: "1_000",
    h: "=",
    i: "<<",
    j: "",
    k: "~",
  };
  assertEquals(
    yamlDump(v),
    "a: ._\nb: ._5\nc: '.5'\nd: 'yes'\ne: y\nf: 0o17\ng: '1_000'\nh: '='\ni: '<<'\nj: ''\nk: '~'\n",
  );
});

Deno.test("a plain root scalar has no '...' (libyaml); long plain scalars fold at 80 columns", () => {
  assertEquals(yamlDump("abc"), "abc\n");
  assertEquals(yamlDump(new UnsafeString("abc")), "abc\n");
  assertEquals(
    yamlDump({ k: "x".repeat(30) + " " + "y".repeat(60) + " z" }),
    `k: ${"x".repeat(30)} ${"y".repeat(60)}\n  z\n`,
  );
});

Deno.test("numbers: every digit of an int, floats as repr() with .0 before an exponent", () => {
  assertEquals(
    yamlDump({ big: 10n ** 21n, f: new PyFloat(1e22), g: new PyFloat(1) }),
    "big: 1000000000000000000000\nf: 1.0e+22\ng: 1.0\n",
  );
  assertEquals(yamlDump({ big: 1e21 }), "big: 1000000000000000000000\n");
});

Deno.test("anchors: an object met twice is anchored at its first place and aliased after", () => {
  const l: unknown[] = [], m = { x: 1 };
  const v = { a: l, b: l, c: [m, m], d: m };
  assertEquals(
    yamlDump(v, { anchors: true }),
    "a: &id001 []\nb: *id001\nc:\n- &id002\n  x: 1\n- *id002\nd: *id002\n",
  );
  // without anchors (values that do not keep Python's identity) each place is written out
  assertEquals(yamlDump(v), "a: []\nb: []\nc:\n- x: 1\n- x: 1\nd:\n  x: 1\n");
});

Deno.test("default_flow_style=None: flow style for collections of plain scalars only", () => {
  assertEquals(yamlDump({ a: [1, 2], b: { c: [3] } }, { flow: null }), "a: [1, 2]\nb:\n  c: [3]\n");
});

Deno.test("a vaulted value is its ciphertext under !vault as a literal block", () => {
  const vault = (text: string) => new VaultString(text, "test", () => "secret");
  const v = vault("$ANSIBLE_VAULT;1.1;AES256\n6162\n6364");
  const v2 = vault("$ANSIBLE_VAULT;1.1;AES256\n6162\n");
  assertEquals(yamlDump({ a: v }), "a: !vault |-\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\n  6364\n");
  assertEquals(
    yamlDump({ l: [v, { k: v2 }] }),
    "l:\n- !vault |-\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\n  6364\n- k: !vault |\n    $ANSIBLE_VAULT;1.1;AES256\n    6162\n",
  );
  assertEquals(yamlDump(v), "!vault |-\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\n  6364\n");
  assertEquals(yamlDump([[v]]), "- - !vault |-\n    $ANSIBLE_VAULT;1.1;AES256\n    6162\n    6364\n");
  assertEquals(
    yamlDump({ l: [v] }, { flow: null }),
    "l:\n- !vault |-\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\n  6364\n",
  );
  assertEquals(
    yamlDump({ l: [v] }, { indent: 4 }),
    "l:\n- !vault |-\n    $ANSIBLE_VAULT;1.1;AES256\n    6162\n    6364\n",
  );
});

Deno.test("a value with no representer is refused", () => {
  assertThrows(() => yamlDump({ d: new Date(0) }), YamlDumpError, "cannot represent an object");
});

Deno.test("a long double-quoted scalar folds at a space only, never after an escape (libyaml's emitter)", () => {
  const sample = "Reading package lists...\nBuilding dependency tree...\nReading state information...\n" +
    "The following extra packages will be installed:\n  apache2-bin ...";
  assertEquals(
    yamlDump({ sample }),
    'sample: "Reading package lists...\\nBuilding dependency tree...\\nReading state information...\\nThe\n' +
      '  following extra packages will be installed:\\n  apache2-bin ..."\n',
  );
});

Deno.test("allow_unicode=False (ansible-doc's dumps): every character beyond ASCII escaped in double quotes", () => {
  assertEquals(yamlDump({ k: "caf\u00e9 \u2026" }, { allowUnicode: false }), 'k: "caf\\xE9 \\u2026"\n');
  assertEquals(yamlDump({ k: "caf\u00e9" }), "k: caf\u00e9\n");
});
