// Pure parts of the play engine: argument parsing, tag selection, loop lookups, output formatting.
import { assertEquals, assertThrows } from "./_assert.ts";
import { parseKv, shortActionName, splitArgs } from "../playbook/task_args.ts";
import { shouldRun, tagList } from "../playbook/tags.ts";
import { withLoopItems } from "../playbook/loops.ts";
import { pyJson } from "../playbook/callbacks/_pyjson.ts";
import { splitLinesKeep, unifiedDiff } from "../playbook/callbacks/_diff.ts";
import { parseExtraVars } from "../playbook/extra_vars.ts";
import { PlaybookError } from "../playbook/errors.ts";
import { LayeredVars } from "../playbook/vars.ts";
import { PyFloat } from "../playbook/values.ts";
import { spawnSync } from "node:child_process";
import { Display, wrap } from "../playbook/callbacks/display.ts";
import { DefaultCallback } from "../playbook/callbacks/default.ts";

Deno.test("k=v arguments: quotes and Jinja2 blocks keep their spaces", () => {
  assertEquals(splitArgs(`msg="hello {{ a | default('x y') }}" x=1`), [
    `msg="hello {{ a | default('x y') }}"`,
    "x=1",
  ]);
  assertEquals(parseKv(`msg="a b" verbosity=1`, "debug"), { msg: "a b", verbosity: "1" });
});

Deno.test("k=v words: escapes decoded, first unescaped '=' splits, one pair of outer quotes goes", () => {
  assertEquals(parseKv(String.raw`x='\b(.+)\b' y="a\"b" z=a\=b =w u=\x41`, "set_fact"), {
    x: "\b(.+)\b",
    y: 'a"b',
    z: String.raw`a\=b`,
    u: "A",
    _raw_params: "=w",
  });
  assertEquals(parseKv("{{ item }}=moo", "set_fact"), { "{{ item }}": "moo" });
});

Deno.test("split_args: extra spaces stay on the word before, a lone backslash joins lines", () => {
  assertEquals(splitArgs("echo   a  b"), ["echo  ", "a ", "b"]);
  assertEquals(splitArgs("echo a \\\n  b"), ["echo", "a ", "b"]);
  assertEquals(splitArgs("echo one\necho two\n"), ["echo", "one\n", "echo", "two\n"]);
  assertEquals(splitArgs(`a="x\ny" b`), ['a="x\ny"', "b"]);
  assertThrows(() => splitArgs(`a="x`), Error, "failed at splitting arguments");
});

Deno.test("warnings wrap as Python's textwrap: runs of spaces kept, long words cut after a hyphen", () => {
  assertEquals(wrap("[WARNING]: see https://docs.example/faq.html#argsplat-unsafe", 40), [
    "[WARNING]: see",
    "https://docs.example/faq.html#argsplat-",
    "unsafe",
  ]);
  assertEquals(wrap("a  b   c", 80), ["a  b   c"]);
  assertEquals(wrap("x".repeat(12), 5), ["xxxxx", "xxxxx", "xx"]);
});

Deno.test("command free-form keeps the command line and splits only its own options", () => {
  assertEquals(parseKv(`echo a=b "c d" chdir=/tmp`, "command"), {
    chdir: "/tmp",
    _raw_params: `echo a=b "c d"`,
  });
});

Deno.test("FQCN names map to short builtin names", () => {
  assertEquals(shortActionName("ansible.builtin.debug"), "debug");
  assertEquals(shortActionName("ansible.legacy.command"), "command");
  assertEquals(shortActionName("community.general.ufw"), "community.general.ufw");
});

Deno.test("tags: always, never, tagged, untagged and skip-tags as Ansible", () => {
  const t = (...x: string[]) => new Set(x);
  assertEquals(shouldRun(t(), ["all"], []), true);
  assertEquals(shouldRun(t("never"), ["all"], []), false);
  assertEquals(shouldRun(t("never", "x"), ["x"], []), true);
  assertEquals(shouldRun(t("always"), ["x"], []), true);
  assertEquals(shouldRun(t("always"), ["all"], ["always"]), false);
  assertEquals(shouldRun(t("a"), ["tagged"], []), true);
  assertEquals(shouldRun(t(), ["tagged"], []), false);
  assertEquals(shouldRun(t(), ["untagged"], []), true);
  assertEquals(shouldRun(t("a", "b"), ["a"], ["b"]), false);
  assertEquals(tagList("a, b"), ["a", "b"]);
});

Deno.test("with_* lookups produce Ansible's items", () => {
  const ctx = { searchPath: [] };
  assertEquals(withLoopItems("items", [[1, 2], 3], ctx), [1, 2, 3]);
  assertEquals(withLoopItems("dict", { a: 1 }, ctx), [{ key: "a", value: 1 }]);
  assertEquals(withLoopItems("together", [[1, 2], ["a"]], ctx), [[1, "a"], [2, null]]);
  assertEquals(withLoopItems("nested", [["a"], [1, 2]], ctx), [["a", 1], ["a", 2]]);
  assertEquals(withLoopItems("indexed_items", ["x"], ctx), [[0, "x"]]);
});

Deno.test("results print like Python's json.dumps(sort_keys=True)", () => {
  assertEquals(pyJson({ b: [1, 2.5], a: "é", c: new PyFloat(1) }), `{"a": "é", "b": [1, 2.5], "c": 1.0}`);
  assertEquals(pyJson({ msg: "x", e: {} }, 4), `{\n    "e": {},\n    "msg": "x"\n}`);
  assertEquals(pyJson(1e-7), "1e-07");
});

Deno.test("unified diffs match difflib's layout", () => {
  const a = splitLinesKeep("one\ntwo\nthree\n");
  const b = splitLinesKeep("one\n2\nthree\n");
  assertEquals(
    unifiedDiff(a, b, "before", "after").join(""),
    "--- before\n+++ after\n@@ -1,3 +1,3 @@\n one\n-two\n+2\n three\n",
  );
});

Deno.test("extra vars: k=v with quotes, inline JSON, later wins; words without = are _raw_params (parse_kv)", () => {
  const io = { parseYaml: (t: string) => JSON.parse(t), loadYamlFile: () => ({ f: 1 }) };
  assertEquals(parseExtraVars([`a=1 b="x y"`, `{"a": 2}`, "@vars.yml"], io), { a: 2, b: "x y", f: 1 });
  assertEquals(parseExtraVars(["ansible_facts_parallel: False", "c=x\\ty"], io), {
    _raw_params: "ansible_facts_parallel: False",
    c: "x\ty",
  });
  assertThrows(() => parseExtraVars(["[1]"], io), PlaybookError, "could not be made into a dictionary");
  assertThrows(() => parseExtraVars(["./vars.yml"], io), PlaybookError, "Please prepend extra_vars filename");
});

Deno.test("layered variables: the topmost layer wins and lower layers are not copied", () => {
  const low = { a: 1, b: 1 };
  const v = new LayeredVars([low, { b: 2 }]);
  assertEquals([v.get("a"), v.get("b"), v.get("c")], [1, 2, undefined]);
  low.a = 5;
  assertEquals(v.get("a"), 5);
  assertEquals(v.with({ a: 9 }).get("a"), 9);
});

Deno.test("unified diffs agree with Python's difflib on edits at the edges, far apart and all-new", () => {
  const cases: [string, string][] = [
    ["a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n", "a\nB\nc\nd\ne\nf\ng\nh\nI\nj\n"],
    ["", "new\nfile\n"],
    ["x\ny\n", "y\nz\n"],
    ["1\n2\n3\n4\n5\n6\n7\n8\n", "0\n1\n2\n3\n5\n6\n7\n8\n9\n"],
  ];
  for (const [a, b] of cases) {
    const script = "import difflib,sys,json\na,b=json.load(sys.stdin)\n" +
      "sys.stdout.write(''.join(difflib.unified_diff(a.splitlines(True),b.splitlines(True),'before','after',n=3)))";
    const py = spawnSync("/usr/bin/python3", ["-c", script], {
      input: JSON.stringify([a, b]),
      encoding: "utf8",
    });
    assertEquals(unifiedDiff(splitLinesKeep(a), splitLinesKeep(b), "before", "after").join(""), py.stdout);
  }
});

Deno.test("--diff: a changed result's diff prints before the status line, as the default callback does", () => {
  let out = "";
  const display = new Display({
    verbosity: 0,
    color: false,
    columns: 80,
    out: (t) => (out += t),
    err: () => {},
  });
  const cb = new DefaultCallback(display, { check: false, diff: true, pyStr: String });
  const task = {
    id: 1,
    name: "copy",
    action: "copy",
    path: "",
    noLog: false,
    checkMode: false,
    hasLoop: false,
    isInclude: false,
  };
  cb.playStart({ id: 0, name: "p", path: "", checkMode: false, strategy: "linear" });
  cb.taskStart(task, "TASK");
  cb.result({
    status: "ok",
    host: "h",
    task,
    result: {
      changed: true,
      diff: { before: "one\ntwo\n", after: "one\n2", before_header: "/tmp/f", after_header: "/tmp/new" },
    },
  });
  assertEquals(
    out.slice(out.indexOf("TASK")),
    "TASK [copy] ********************************************************************\n" +
      "--- before: /tmp/f\n+++ after: /tmp/new\n@@ -1,2 +1,2 @@\n one\n-two\n+2\n\\ No newline at end of file\n\n" +
      "changed: [h]\n",
  );
});
