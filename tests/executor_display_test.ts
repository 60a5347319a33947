// How warnings look: wrapped exactly as Python's textwrap.wrap wraps them (ansible-playbook's Display),
// and each text shown once per run.
import { spawnSync } from "node:child_process";
import { assertEquals } from "./_assert.ts";
import { Display, wrap } from "../playbook/callbacks/display.ts";

Deno.test("wrap() is textwrap.wrap: kept inner spaces, dropped break spaces, hyphen breaks, long words split", () => {
  const words = [
    "a",
    "bb",
    "ccc-dd",
    "e--f",
    "well-known",
    "  ",
    " ",
    "-",
    "--",
    "foo.bar-baz",
    "long" + "x".repeat(30),
    "a-b-c-d",
    "\t",
    "\n",
    "é-ü",
    "1-2",
    "[WARNING]:",
    "'q'",
  ];
  const cases: [string, number][] = [];
  let seed = 7;
  const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  for (let i = 0; i < 2000; i++) {
    let text = "";
    for (let j = 1 + next(20); j > 0; j--) text += words[next(words.length)] + (next(3) ? " " : "");
    cases.push([text, 5 + next(30)]);
  }
  const py = spawnSync("/usr/bin/python3", [
    "-c",
    "import json,sys,textwrap\nprint(json.dumps([textwrap.wrap(t, w) for t, w in json.load(sys.stdin)]))",
  ], { input: JSON.stringify(cases), encoding: "utf8" });
  assertEquals(py.status, 0, py.stderr);
  assertEquals(cases.map(([text, width]) => wrap(text, width)), JSON.parse(py.stdout));
});

Deno.test("a warning keeps its leading newline's space, as Ansible prints it, and the same text shows once", () => {
  const err: string[] = [];
  const display = new Display({
    verbosity: 0,
    color: false,
    columns: 80,
    out: () => {},
    err: (t) => err.push(t),
  });
  display.warning("\n* Failed to parse hosts with ini plugin: hosts:1: bad");
  display.warning("\n* Failed to parse hosts with ini plugin: hosts:1: bad");
  display.warning("other");
  assertEquals(err, [
    "[WARNING]:  * Failed to parse hosts with ini plugin: hosts:1: bad\n",
    "[WARNING]: other\n",
  ]);
});
