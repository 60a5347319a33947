// The Templar API as the executor uses it: native types, recursion, undefined errors, conditionals, omit.
import { assert, assertEquals, assertStringIncludes, assertThrows } from "./_assert.ts";
import {
  Kwargs,
  LazyMapping,
  markUnsafe,
  OMIT_TOKEN,
  pyRepr,
  pyStr,
  Templar,
  TemplateError,
  toBool,
  truthy,
  UndefinedError,
} from "../playbook/template/mod.ts";
import { PyFloat, UnsafeString } from "../playbook/values.ts";

function vars(o: Record<string, unknown>) {
  return { get: (n: string) => (Object.hasOwn(o, n) ? o[n] : undefined) };
}

const t = new Templar();

Deno.test("a string without template markers is returned as the same value", () => {
  const s = "plain text with { braces }";
  assert(t.template(s, vars({})) === s);
  const list = ["a", { b: "c" }];
  assert(t.template(list, vars({})) === list);
});

Deno.test("native mode keeps the type of a value that is exactly one expression", () => {
  const v = vars({ n: 42, l: ["a", "b"], d: { k: 1 }, yes: true });
  assertEquals(t.template("{{ n }}", v), 42);
  assertEquals(t.template("{{ l }}", v), ["a", "b"]);
  assertEquals(t.template("{{ d }}", v), { k: 1 });
  assertEquals(t.template("{{ yes }}", v), true);
  assertEquals(t.template("{{ n + 1 }}", v), 43);
  assertEquals(t.template("n={{ n }}", v), "n=42");
});

Deno.test("non-native mode returns strings, except lists, dicts and booleans, as Ansible's default", () => {
  const v = vars({ n: 42, l: ["a"] });
  assertEquals(t.template("{{ n }}", v, { native: false }), 42);
  assertEquals(t.template("{{ n + 1 }}", v, { native: false }), "43");
  assertEquals(t.template("{{ l }}", v, { native: false }), ["a"]);
  assertEquals(t.template("{{ n > 1 }}", v, { native: false }), true);
});

Deno.test("templating is recursive over lists and dicts, keys are kept", () => {
  const v = vars({ x: "X" });
  assertEquals(t.template({ "{{ x }}": ["{{ x }}", 1, { y: "a{{ x }}" }] }, v), {
    "{{ x }}": ["X", 1, { y: "aX" }],
  });
});

Deno.test("variables whose values are templates are templated when used", () => {
  const v = vars({ a: "{{ b }}-a", b: "{{ c }}", c: 3 });
  assertEquals(t.template("{{ a }}", v), "3-a");
});

Deno.test("a variable defined in terms of itself is a clear error, not a stack overflow", () => {
  const v = vars({ a: "{{ b }}", b: "{{ a }}" });
  const e = assertThrows(() => t.template("{{ a }}", v), TemplateError);
  assertStringIncludes(e.message, "recursive loop detected");
});

Deno.test("undefined variables and attributes name what is missing", () => {
  const e = assertThrows(() => t.template("{{ foo }}", vars({})), UndefinedError);
  assertStringIncludes(e.message, "'foo' is undefined");
  assertEquals((e as UndefinedError).variable, "foo");
  const e2 = assertThrows(() => t.template("{{ d.x }}", vars({ d: {} })), UndefinedError);
  assertStringIncludes(e2.message, "'dict object' has no attribute 'x'");
  assertEquals(t.template("{{ foo }}", vars({}), { failOnUndefined: false }), "{{ foo }}");
});

Deno.test("evaluate returns the value of a bare expression", () => {
  assertEquals(t.evaluate("x | length > 2", vars({ x: [1, 2, 3] })), true);
  assertEquals(t.evaluate("x.k", vars({ x: { k: [1] } })), [1]);
});

Deno.test("conditions follow Ansible: booleans as is, expressions, and a warned-about {{ }} form", () => {
  const warnings: string[] = [];
  const w = new Templar({ warn: (m) => warnings.push(m) });
  const v = vars({ x: 1, s: "x == 1", r: { failed: false, changed: true } });
  assertEquals(w.condition(true, v), true);
  assertEquals(w.condition("x == 1", v), true);
  assertEquals(w.condition("x is defined and y is undefined", v), true);
  assertEquals(w.condition("r is changed and r is not failed", v), true);
  assertEquals(w.condition("{{ s }}", v), true);
  assertEquals(warnings.length, 1);
  assertStringIncludes(warnings[0], "should not include jinja2 templating delimiters");
  const e = assertThrows(() => w.condition("nope == 1", v), UndefinedError);
  assertStringIncludes(e.message, "'nope' is undefined");
});

Deno.test("omit is a global whose value is OMIT_TOKEN", () => {
  assertEquals(t.template("{{ omit }}", vars({})), OMIT_TOKEN);
  assertEquals(t.template("{{ x | default(omit) }}", vars({})), OMIT_TOKEN);
});

Deno.test("custom filters receive keyword arguments as a trailing Kwargs", () => {
  const c = new Templar({
    filters: {
      tag: (v, ...args) => `${pyStr(v)}:${pyRepr(args.map((a) => (a instanceof Kwargs ? a.values : a)))}`,
    },
  });
  assertEquals(c.template("{{ 'v' | tag(1, k='w') }}", vars({})), "v:[1, {'k': 'w'}]");
});

Deno.test("a LazyMapping is read on demand and never copied", () => {
  const reads: string[] = [];
  class Hosts extends LazyMapping {
    get(k: string) {
      reads.push(k);
      return k.startsWith("h") ? { name: k } : undefined;
    }
    keys() {
      return ["h1", "h2"];
    }
  }
  const v = vars({ hostvars: new Hosts() });
  assertEquals(t.template("{{ hostvars['h2'].name }}", v), "h2");
  assertEquals(reads, ["h2"]);
});

Deno.test("Python printing and truthiness helpers", () => {
  assertEquals(pyRepr([true, null, "a", new PyFloat(1), { k: 1 }]), "[True, None, 'a', 1.0, {'k': 1}]");
  assertEquals(pyStr("x"), "x");
  assertEquals(truthy([]), false);
  assertEquals(truthy("0"), true);
  assertEquals(toBool("yes"), true);
  assertEquals(toBool("no"), false);
});

Deno.test("withOptions derives a templar with another basedir that keeps the custom plugins", () => {
  const base = new Templar({ basedir: "/nonexistent", filters: { twice: (v) => `${pyStr(v)}${pyStr(v)}` } });
  const derived = base.withOptions({ basedir: "/etc" });
  assertEquals(derived.options.basedir, "/etc");
  assertEquals(derived.template("{{ 'ab' | twice }}", vars({})), "abab");
  assertEquals(derived.template("{{ [1] | map('twice') | list }}", vars({})), ["11"]);
  const other = base.withOptions({ filters: {} });
  assertThrows(() => other.template("{{ 'ab' | twice }}", vars({})), TemplateError);
});

Deno.test("each name is looked up and templated once per render, even inside loops", () => {
  const gets: string[] = [];
  const data: Record<string, unknown> = { prefix: "{{ base }}-", base: "p", items: [1, 2, 3] };
  const v = { get: (n: string) => (gets.push(n), data[n]) };
  assertEquals(t.template("{% for i in items %}{{ prefix }}{{ i }} {% endfor %}", v), "p-1 p-2 p-3 ");
  assertEquals(gets, ["items", "prefix", "base"]);
});

Deno.test("Python type errors are reported with Ansible's wording and the template", () => {
  const e = assertThrows(() => t.template("{{ 'a' + 1 }}", vars({})), TemplateError);
  assertEquals(
    e.message,
    `Unexpected templating type error occurred on ({{ 'a' + 1 }}): can only concatenate str (not "int") to str. ` +
      `can only concatenate str (not "int") to str`,
  );
});

Deno.test("data marked unsafe (registered results) is never templated, however it is reached", () => {
  const result = markUnsafe({ stdout: "Hello {{ name }}", lines: ["{{ x }}"] });
  const v = vars({ out: result, wrapped: { inner: result }, name: "N" });
  assertEquals(t.template("{{ out.stdout }}", v), "Hello {{ name }}");
  assertEquals(t.template("{{ wrapped.inner.lines[0] }}", v), "{{ x }}");
  assert(t.template(result, v) === result);
  assertEquals(t.isTemplate(result), false);
});

Deno.test("lists from query() are not templated again when stored and used later", () => {
  const c = new Templar({ lookups: { raw: () => ["{{ secret }}"] } });
  const stored = c.template("{{ query('raw') }}", vars({}));
  assertEquals(c.template("{{ later[0] }}", vars({ later: stored })), new UnsafeString("{{ secret }}"));
});

Deno.test("self-referencing data does not send the engine into endless recursion", () => {
  const cyclic: Record<string, unknown> = { name: "c" };
  cyclic.self = cyclic;
  assertEquals(t.template("{{ c.self.self.name }}", vars({ c: cyclic })), "c");
});
