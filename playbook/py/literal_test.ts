// Outcomes checked with /usr/bin/python3 (3.11): ast.literal_eval(text) for `lstrip`, and
// ast.literal_eval(ast.parse(text, mode="eval")) (Ansible's template concat) without it.
import { assertEquals } from "../../tests/_assert.ts";
import { PyFloat } from "../../core/codec.ts";
import { literalEval, type LiteralOptions } from "./literal.ts";

const read = (text: string, opts: LiteralOptions = {}) => {
  const r = literalEval(text, opts);
  return r.ok ? r.value : "<not a literal>";
};
const NOT = "<not a literal>";

Deno.test("numbers: one sign on a number, Python 3's int and float forms", () => {
  const cases: [string, unknown][] = [
    ["-(5)", -5],
    ["- 5", -5],
    ["--5", NOT],
    ["-True", NOT],
    ["0644", NOT],
    ["0_7", NOT],
    ["1__0", NOT],
    ["1_", NOT],
    ["0x_1f", 31],
    ["00", 0],
    ["1e5", new PyFloat(100000)],
    ["1.", new PyFloat(1)],
    ["5.e2", new PyFloat(500)],
    [".5", 0.5],
    ["-0.0", new PyFloat(-0)],
    ["1j", NOT], // complex: Python reads it, the value model has no form for it
    ["True1", NOT],
    ["12345678901234567891", 12345678901234567891n],
  ];
  for (const [text, want] of cases) assertEquals(read(text), want, text);
});

Deno.test("strings: prefixes, adjacent literals, escapes", () => {
  assertEquals(read(String.raw`r'a\b'`), "a\\b");
  assertEquals(read("u'x'"), "x");
  assertEquals(read("b'x'"), NOT); // bytes
  assertEquals(read("f'x'"), NOT);
  assertEquals(read("'a' 'b'"), "ab");
  assertEquals(read(String.raw`'\q'`), "\\q");
  assertEquals(read("'''a\nb'''"), "a\nb");
});

Deno.test("containers: tuples, trailing commas, dict keys, sets where allowed", () => {
  assertEquals(read("1, 2"), [1, 2]);
  assertEquals(read("1,"), [1]);
  assertEquals(read("(1)"), 1);
  assertEquals(read("((1))"), 1);
  assertEquals(read("()"), []);
  assertEquals(read("[1,\n2]"), [1, 2]);
  assertEquals(read("[1, 2,]"), [1, 2]);
  assertEquals(read("[,]"), NOT);
  assertEquals(read("{'a': 1,}"), { a: 1 });
  assertEquals(read("{'a': 1, 'a': 2}"), { a: 2 });
  assertEquals(read("{1: 2, 3.0: 4}"), { "1": 2, "3.0": 4 });
  assertEquals(read("{None: 1, False: 2}"), { None: 1, False: 2 });
  assertEquals(read("{(1, 2): 3}"), NOT); // a tuple key has no str form
  assertEquals(read("{1, 2}"), NOT);
  assertEquals(read("{1, 2}", { sets: true }), [1, 2]);
  assertEquals(read("{1, True}", { sets: true }), [1]);
  assertEquals(read("{[1]}", { sets: true }), NOT);
  assertEquals(read("1 if 1 else 2"), NOT);
});

Deno.test("options: tuple marks, json names, leading white space, comments", () => {
  const marked: unknown[][] = [];
  const mark = (items: unknown[]) => (marked.push(items), items);
  assertEquals(read("(1, (2,))", { tuple: mark }), [1, [2]]);
  assertEquals(marked, [[2], [1, [2]]]);
  assertEquals(read("[true, null]"), NOT);
  assertEquals(read("[true, null]", { json: true }), [true, null]);
  assertEquals(read(" 1"), NOT);
  assertEquals(read(" \t1", { lstrip: true }), 1);
  assertEquals(read("1 # c"), 1);
  assertEquals(read("1\n"), 1);
  assertEquals(read("[1, 2\\\n]"), [1, 2]);
});
