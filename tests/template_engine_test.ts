// Engine behaviour the differential corpus cannot show: files, includes, lookups with side effects,
// unsafe and vaulted values, copies for mutating templates, recursion limits and error messages.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertMatch, assertStringIncludes, assertThrows } from "./_assert.ts";
import { jsonLoads, Templar, TemplateError, toYaml, UndefinedError } from "../playbook/template/mod.ts";
import { PyFloat, UnsafeString, VaultString } from "../playbook/values.ts";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "template_fixtures");

function vars(o: Record<string, unknown>) {
  return { get: (n: string) => (Object.hasOwn(o, n) ? o[n] : undefined) };
}

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "mito-template-"));
}

Deno.test("renderFile renders a template module file with trim_blocks and optional lstrip_blocks", () => {
  const t = new Templar();
  const src = "hosts:\n  {% for h in hosts %}\n  - {{ h }}\n  {% endfor %}\n";
  // Ansible adds back the newline Jinja2 drops at the end of the template
  assertEquals(t.renderFile(src, vars({ hosts: ["a", "b"] })), "hosts:\n    - a\n    - b\n  \n");
  assertEquals(
    t.renderFile(src, vars({ hosts: ["a", "b"] }), { lstripBlocks: true }),
    "hosts:\n  - a\n  - b\n",
  );
  assertEquals(t.renderFile("{{ x }}\n", vars({ x: [1] }), { newlineSequence: "\r\n" }), "[1]\r\n");
});

Deno.test("a template file reading unsafe text gets its trailing newline back and stays unsafe, as Ansible", () => {
  const t = new Templar();
  assertEquals(
    t.renderFileAs("a={{ x }}\n", vars({ x: new UnsafeString("1") }), "text"),
    new UnsafeString("a=1\n"),
  );
});

Deno.test("include finds templates in the search path and sees the including template's names", () => {
  const t = new Templar({ basedir: fixtures });
  const out = t.renderFile("{% set name = 'Zed' %}{% include 'greet.j2' %}end\n", vars({ items: [1, 2] }));
  assertEquals(out, "Hi Zed!\n- 1\n- 2\nend\n");
  const e = assertThrows(() => t.renderFile("{% include 'nope.j2' %}", vars({})), TemplateError);
  assertStringIncludes(e.message, "nope.j2");
  assertEquals(t.renderFile("a{% include 'nope.j2' ignore missing %}b", vars({})), "ab");
});

Deno.test("import and from-import bring macros and top-level names from another template", () => {
  const t = new Templar({ basedir: fixtures });
  assertEquals(
    t.renderFile("{% import 'macros.j2' as m %}{{ m.kv('a', 1) }}{{ m.sep }}\n", vars({})),
    "a=1;\n",
  );
  assertEquals(
    t.renderFile("{% from 'macros.j2' import kv as pair, sep %}{{ pair('b', 2) }}{{ sep }}\n", vars({})),
    "b=2;\n",
  );
});

Deno.test("extends renders the parent template with the child's blocks", () => {
  const t = new Templar({ basedir: fixtures });
  assertEquals(
    t.renderFile("{% extends 'child.j2' %}{% block title %}T{% endblock %}", vars({ name: "x" })),
    "<T>\nchild x",
  );
  assertEquals(t.renderFile("{% include 'child.j2' %}", vars({ name: "y" })), "<Default>\nchild y");
});

Deno.test("the template lookup renders a file from templates/ with template_vars", () => {
  const t = new Templar({ basedir: fixtures });
  assertEquals(
    t.template("{{ lookup('template', 'greet.j2', template_vars={'name': 'Q', 'items': []}) }}", vars({})),
    // a lookup's text is data, never templated again: unsafe, as Ansible marks it
    new UnsafeString("Hi Q!\n"),
  );
});

Deno.test("the password lookup creates the file once with a random password and then reuses it", () => {
  const dir = tmpdir();
  const t = new Templar({ basedir: dir });
  const first = (t.template("{{ lookup('password', 'creds/db length=12 chars=digits') }}", vars({}), {
    native: false,
  }) as UnsafeString).value;
  assertMatch(first, /^[0-9]{12}$/);
  const file = path.join(dir, "creds", "db");
  assertEquals(fs.readFileSync(file, "utf8"), first + "\n");
  assertEquals(fs.statSync(file).mode & 0o777, 0o600);
  assertEquals(
    t.template("{{ lookup('password', 'creds/db length=12') }}", vars({}), { native: false }),
    new UnsafeString(first),
  );
  fs.rmSync(dir, { recursive: true });
});

Deno.test("the password lookup with encrypt stores a salt beside the password and returns the hash", () => {
  const dir = tmpdir();
  const t = new Templar({ basedir: dir });
  fs.writeFileSync(path.join(dir, "stored"), "secret salt=saltsalt\n");
  assertEquals(
    t.template("{{ lookup('password', 'stored encrypt=md5_crypt') }}", vars({})),
    new UnsafeString(t.template("{{ 'secret' | password_hash('md5', 'saltsalt') }}", vars({})) as string),
  );
  const hashed = t.template(
    "{{ lookup('password', 'fresh encrypt=md5_crypt length=5 chars=digits') }}",
    vars({}),
  );
  const [plain, salt] = fs.readFileSync(path.join(dir, "fresh"), "utf8").trim().split(" salt=");
  assertMatch(plain, /^[0-9]{5}$/);
  assertEquals(
    hashed,
    new UnsafeString(t.template(`{{ '${plain}' | password_hash('md5', '${salt}') }}`, vars({})) as string),
  );
  fs.rmSync(dir, { recursive: true });
});

Deno.test("file, first_found and fileglob look in files/ of each search path", () => {
  const dir = tmpdir();
  fs.mkdirSync(path.join(dir, "role", "files"), { recursive: true });
  fs.writeFileSync(path.join(dir, "role", "files", "a.conf"), "role copy\n");
  const t = new Templar({ basedir: dir, searchPaths: [path.join(dir, "role"), fixtures] });
  const v = vars({});
  assertEquals(t.template("{{ lookup('file', 'a.conf') }}", v), new UnsafeString("role copy"));
  assertEquals(t.template("{{ lookup('file', 'hello.txt') }}", v), new UnsafeString("hello from a file"));
  assertEquals(
    t.template("{{ lookup('first_found', ['missing.conf', 'a.conf']) }}", v),
    new UnsafeString(path.join(dir, "role", "files", "a.conf")),
  );
  assertEquals(t.template("{{ query('fileglob', '*.conf') }}", v), [
    new UnsafeString(path.join(dir, "role", "files", "a.conf")),
  ]);
  fs.rmSync(dir, { recursive: true });
});

Deno.test("lookup errors: strict raises naming the plugin, warn reports and returns nothing", () => {
  const warnings: string[] = [];
  const t = new Templar({ basedir: fixtures, warn: (m) => warnings.push(m) });
  const e = assertThrows(() => t.template("{{ lookup('file', 'absent') }}", vars({})), TemplateError);
  const failure = "An unhandled exception occurred while running the lookup plugin 'file'. Error was a " +
    "<class 'ansible.errors.AnsibleError'>, original message: could not locate file in lookup: absent";
  assertEquals(e.message, `${failure}. could not locate file in lookup: absent`);
  assertEquals(t.template("{{ query('file', 'absent', errors='warn') }}", vars({})), []);
  const missing = "Unable to find 'absent' in expected paths (use -vvvvv to see paths)";
  assertEquals(warnings, [missing, missing, failure]);
});

Deno.test("first_found gives up with its own error, which errors='warn' turns into a warning", () => {
  const warnings: string[] = [];
  const t = new Templar({ basedir: fixtures, warn: (m) => warnings.push(m) });
  const e = assertThrows(() => t.template("{{ lookup('first_found', 'absent') }}", vars({})), TemplateError);
  assertEquals(e.message, "No file was found when using first_found.");
  assertEquals(t.template("{{ lookup('first_found', 'absent', errors='warn') }}", vars({})), null);
  assertEquals(warnings, [
    "Lookup failed but the error is being ignored: No file was found when using first_found.",
  ]);
  // keyword arguments apply to string terms only: without a term there is nothing to find, skip included
  assertThrows(
    () => t.template("{{ query('first_found', files=['hello.txt'], skip=True) }}", vars({})),
    TemplateError,
  );
  // with one, their files replace it
  assertEquals(
    t.template("{{ lookup('first_found', 'absent', files=['hello.txt']) }}", vars({})),
    new UnsafeString(path.join(fixtures, "files/hello.txt")),
  );
});

Deno.test("lookup terms are templated before the lookup runs, and searched in ansible_search_path", () => {
  const t = new Templar({ basedir: os.tmpdir(), native: false });
  const v = vars({ x: 42, ansible_search_path: [fixtures] });
  assertEquals(t.template("{{ lookup('pipe', 'echo {{ x }}') }}", v), new UnsafeString("42"));
  assertEquals(t.template("{{ lookup('file', 'hello.txt') }}", v), new UnsafeString("hello from a file"));
  const e = assertThrows(() => t.template("{{ lookup('pipe', 'echo {{ nope }}') }}", v), UndefinedError);
  assertEquals(
    e.message,
    "'nope' is undefined. 'nope' is undefined. 'nope' is undefined. 'nope' is undefined",
  );
});

Deno.test("unsafe strings are never templated and keep their unsafe mark through templates", () => {
  const t = new Templar();
  const raw = new UnsafeString("{{ secret }}");
  assert(t.template(raw, vars({})) === raw);
  const out = t.template("{{ u }}", vars({ u: raw }));
  assert(out instanceof UnsafeString);
  assertEquals((out as UnsafeString).value, "{{ secret }}");
  assertEquals(
    t.template("x={{ u }}", vars({ u: raw }), { native: false }),
    new UnsafeString("x={{ secret }}"),
  );
});

Deno.test("vaulted values are decrypted only when a template uses them", () => {
  let decrypted = 0;
  const secret = new VaultString("CIPHER", "vars.yml", () => {
    decrypted++;
    return "s3cret";
  });
  const t = new Templar();
  const v = vars({ secret, other: 1 });
  assertEquals(t.template("{{ other }}", v), 1);
  assertEquals(decrypted, 0);
  assertEquals(t.template("{{ secret }}", v), "s3cret");
  assertEquals(t.template("{{ secret | upper }}", v), "S3CRET");
});

Deno.test("a template that calls mutating methods works on copies of variables", () => {
  const t = new Templar();
  const l = [1, 2];
  const d = { a: 1 };
  assertEquals(t.template("{{ l.append(3) }}{{ l }}", vars({ l })), "None[1, 2, 3]");
  assertEquals(t.template("{% set _ = d.update({'b': 2}) %}{{ d }}", vars({ d })), { a: 1, b: 2 });
  assertEquals(t.template("{% set x = l %}{{ x.pop() }}{{ l }}", vars({ l })), "2[1]");
  assertEquals(l, [1, 2]);
  assertEquals(d, { a: 1 });
});

Deno.test("deeply nested variable references stop with a recursion error", () => {
  const chain: Record<string, unknown> = {};
  for (let i = 0; i < 300; i++) chain[`v${i}`] = `{{ v${i + 1} }}`;
  chain.v300 = "end";
  const e = assertThrows(() => new Templar().template("{{ v0 }}", vars(chain)), TemplateError);
  assertStringIncludes(e.message, "recursive loop detected");
});

Deno.test("syntax errors name the template and what was expected", () => {
  const e = assertThrows(() => new Templar().template("x {{ a + }}", vars({})), TemplateError);
  assertStringIncludes(e.message, "template error while templating string");
  assertStringIncludes(e.message, "String: x {{ a + }}");
  const e2 = assertThrows(() => new Templar().template("{% for x in y %}", vars({})), TemplateError);
  assertStringIncludes(e2.message, "'endfor'");
});

Deno.test("undefined attributes deep in a chain name the missing attribute", () => {
  const e = assertThrows(
    () => new Templar().template("{{ a.b.c }}", vars({ a: { b: {} } })),
    UndefinedError,
  );
  assertStringIncludes(e.message, "'dict object' has no attribute 'c'");
  assertEquals((e as UndefinedError).variable, "c");
});

Deno.test("conditions on unknown names fail like Ansible's conditional evaluation", () => {
  const e = assertThrows(() => new Templar().condition("x > 1", vars({})), UndefinedError);
  assertEquals(e.message, "error while evaluating conditional (x > 1): 'x' is undefined. 'x' is undefined");
});

Deno.test("floats that are integral print as Python floats", () => {
  const t = new Templar();
  assertEquals(t.template("{{ f }} {{ f * 2 }} {{ 3 / 1 }}", vars({ f: new PyFloat(1) })), "1.0 2.0 3.0");
  assertEquals(t.template("{{ f }}", vars({ f: new PyFloat(2) })), new PyFloat(2));
});

Deno.test("custom tests and lookups extend the built-in ones", () => {
  const t = new Templar({
    tests: { short: (v) => String(v).length < 3 },
    lookups: { upper: (terms) => terms.map((x) => String(x).toUpperCase()) },
  });
  assertEquals(t.template("{{ ['a', 'abcd'] | select('short') | list }}", vars({})), ["a"]);
  assertEquals(t.template("{{ lookup('upper', 'a', 'b') }}", vars({})), new UnsafeString("A,B"));
});

Deno.test("to_yaml follows PyYAML's layout for nested data", () => {
  assertEquals(
    toYaml({ b: [1, { c: "x y" }], a: "yes" }, {
      indent: 4,
      flow: false,
      sortKeys: true,
      width: 80,
      explicitStart: false,
    }),
    "a: 'yes'\nb:\n- 1\n-   c: x y\n",
  );
});

Deno.test("syntax errors in multi-line templates name the line", () => {
  const e = assertThrows(
    () => new Templar().renderFile("line one\n{{ ok }}\n{{ broken + }}\n", vars({ ok: 1 })),
    TemplateError,
  );
  assertStringIncludes(e.message, "(line 3)");
});

Deno.test("from_json keeps floats written as floats and ints beyond 2^53, with or without the runtime's source text", () => {
  const text =
    '{"f": 1.0, "e": 2e3, "neg": -0.0, "i": 3, "big": 12345678901234567891, "nb": -9007199254740993, ' +
    '"s": "1.0 \\" 12345678901234567891", "l": [1.5, 7, 18446744073709551615]}';
  const want = {
    f: new PyFloat(1),
    e: new PyFloat(2000),
    neg: new PyFloat(-0),
    i: 3,
    big: 12345678901234567891n,
    nb: -9007199254740993n,
    s: '1.0 " 12345678901234567891',
    l: [1.5, 7, 18446744073709551615n],
  };
  assertEquals(jsonLoads(text, true), want);
  assertEquals(jsonLoads(text, false), want);
  assertEquals(jsonLoads("[1, 2]", false), [1, 2]);
});
