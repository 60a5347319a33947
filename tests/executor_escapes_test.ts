// Bytes a target controls (stdout, msg, item labels, warnings, diffs, log lines, transfer paths) are shown
// with their control characters escaped in every human-readable output, never obeyed by the terminal;
// the json callback writes exact values, escaped only as JSON with ensure_ascii does.
import * as path from "node:path";
import { assertEquals } from "./_assert.ts";
import { Display, escapeControls } from "../playbook/callbacks/display.ts";
import { DefaultCallback } from "../playbook/callbacks/default.ts";
import { JsonCallback } from "../playbook/callbacks/json.ts";
import { progressLine } from "../cli/_progress.ts";
import { mitoIn, ROOT, runIn } from "./_run.ts";

const DIR = path.join(ROOT, "tests/playbooks");
const HOSTILE = "E\x1b]52;c;Zm9v\x07\x9b2J\rX\x00\x7fZ";
const SHOWN = "E\\u001b]52;c;Zm9v\\u0007\\u009b2J\\rX\\u0000\\u007fZ";

Deno.test("escapeControls spells C0 (but newline and tab), DEL and C1 as JSON does; CR LF stays a line end", () => {
  assertEquals(escapeControls(HOSTILE), SHOWN);
  assertEquals(escapeControls("a\tb\nc\r\nd\be\ff\x1b"), "a\tb\nc\r\nd\\be\\ff\\u001b");
  assertEquals(escapeControls("é ü 😀 \u00a0"), "é ü 😀 \u00a0");
  // Already escaped text is left as it is.
  assertEquals(escapeControls(SHOWN), SHOWN);
});

function screen(verbosity = 0, color = false) {
  const out: string[] = [];
  const err: string[] = [];
  const display = new Display({
    verbosity,
    color,
    columns: 80,
    out: (t) => out.push(t),
    err: (t) => err.push(t),
  });
  return { display, out, err };
}

const TASK = {
  id: 1,
  name: "evil",
  action: "evil",
  path: "",
  noLog: false,
  checkMode: false,
  hasLoop: false,
  isInclude: false,
};

/** The default callback (with --diff) inside a play, at TASK's banner. */
function inTask(display: Display): DefaultCallback {
  const cb = new DefaultCallback(display, { check: false, diff: true, pyStr: String });
  cb.playStart({ id: 0, name: "p", path: "", checkMode: false, strategy: "linear" });
  cb.taskStart(TASK, "TASK");
  return cb;
}

Deno.test("the default callback: warnings, deprecations, diffs, item labels and dumps show control characters escaped", () => {
  const { display, out, err } = screen(1);
  const cb = inTask(display);
  cb.result({
    status: "ok",
    host: "h",
    task: TASK,
    result: {
      changed: true,
      stdout: HOSTILE,
      warnings: [`w ${HOSTILE}`],
      deprecations: [{ msg: `d ${HOSTILE}` }],
      diff: { before: `a\n${HOSTILE}\n`, after: "a\n", before_header: HOSTILE },
    },
  });
  cb.itemResult({ status: "ok", host: "h", task: { ...TASK, hasLoop: true }, result: { item: HOSTILE } });
  assertEquals(
    err.join(""),
    [
      // The warning is wrapped as textwrap does, which turns the CR into a space before it is escaped.
      "[WARNING]: w E\\u001b]52;c;Zm9v\\u0007\\u009b2J X\\u0000\\u007fZ\n",
      // A deprecation is display.deprecated's: the release sentence, wrapped the same way.
      "[DEPRECATION WARNING]: d E\\u001b]52;c;Zm9v\\u0007\\u009b2J X\\u0000\\u007fZ. This feature will be removed in\n" +
      " a future release. Deprecation warnings can be disabled by setting \n" +
      "deprecation_warnings=False in ansible.cfg.\n",
    ].join(""),
  );
  assertEquals(out.join("").split("\n").slice(4), [
    `--- before: ${SHOWN}`,
    "+++ after",
    "@@ -1,3 +1 @@",
    " a",
    // splitlines ends a line at the CR as Python's does; the CR itself shows escaped.
    "-E\\u001b]52;c;Zm9v\\u0007\\u009b2J\\r-X\\u0000\\u007fZ",
    "",
    `changed: [h] => {"changed": true, "stdout": "${SHOWN}"}`,
    `ok: [h] => (item=${SHOWN}) => {"item": "${SHOWN}"}`,
    "",
  ]);
});

Deno.test("the json callback writes exact values as Ansible's does: every non-ASCII character as \\uXXXX", () => {
  const { display, out } = screen();
  const cb = new JsonCallback(display, { indent: 0 });
  cb.playStart({ id: 0, name: "p", path: "", checkMode: false, strategy: "linear" });
  cb.taskStart(TASK);
  cb.result({ status: "ok", host: "h", task: TASK, result: { stdout: `${HOSTILE}é😀` } });
  cb.stats({ hosts: {}, custom: {} });
  const doc = out.join("");
  assertEquals(JSON.parse(doc).plays[0].tasks[0].hosts.h.stdout, `${HOSTILE}é😀`);
  assertEquals(
    doc.split("\n").find((l) => l.startsWith('"stdout"')),
    `"stdout": "${SHOWN}\\u00e9\\ud83d\\ude00"`,
  );
});

Deno.test("the transfer progress line shows a path's control characters escaped", () => {
  assertEquals(
    progressLine({ label: "copy h:/x\x1b[2J\x9b", done: 0, total: 8 * 1024 * 1024, elapsedMs: 0 }),
    "copy h:/x\\u001b[2J\\u009b [------------]   0%  0.0/8.0 MiB",
  );
});

Deno.test("a target's control characters: mito prints what ansible-playbook prints, with those Ansible leaves raw escaped", () => {
  const times = (s: string) => s.replace(/"(start|end|delta)": "[^"]*"/g, '"$1": "T"');
  const a = runIn(DIR, "/usr/bin/ansible-playbook", ["-i", "localhost,", "-c", "local", "escapes.yml"]);
  const m = mitoIn(DIR, ["-i", "localhost,", "-c", "local", "escapes.yml"]);
  assertEquals([m.code, a.code], [0, 0]);
  assertEquals(times(m.stdout), escapeControls(times(a.stdout)));
  // Ansible's result dumps already escape C0 through JSON; it leaves C1 and item labels raw.
  assertEquals(a.stdout.includes("(item=l\x1b[2Jm\x9b)"), true);
  const lines = m.stdout.split("\n");
  assertEquals(lines.filter((l) => l.includes('"msg": "x')), [
    '    "msg": "xa\\u001b]0;TITLE\\u0007b\\rc\\u0000d\\u009bey"',
  ]);
  assertEquals(lines.filter((l) => l.startsWith("ok: [localhost] => (item=")), [
    "ok: [localhost] => (item=l\\u001b[2Jm\\u009b) => {",
  ]);
  // deno-lint-ignore no-control-regex
  assertEquals(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/.test(m.stdout + m.stderr), false);
});

Deno.test("with colours on, mito's own colour codes stay and a target's are escaped (diff lines, recap host names)", () => {
  const { display, out } = screen(0, true);
  const cb = inTask(display);
  cb.result({
    status: "ok",
    host: "h",
    task: TASK,
    result: { changed: true, diff: { before: "a\x1b[2J\n", after: "b\n" } },
  });
  const zero = { ok: 0, changed: 0, unreachable: 0, failures: 0, skipped: 0, rescued: 0, ignored: 0 };
  cb.stats({ hosts: { "h\x1b]0;t\x07": { ...zero, ok: 1 } }, custom: {} });
  const lines = out.join("").split("\n");
  // Each diff line is coloured as Ansible colours it (the one before ends in an empty coloured segment).
  assertEquals(lines.filter((l) => l.includes("-a") || l.includes("+b")), [
    "\x1b[0;36m\x1b[0m\x1b[0;31m-a\\u001b[2J\x1b[0m",
    "\x1b[0;31m\x1b[0m\x1b[0;32m+b\x1b[0m",
  ]);
  assertEquals(
    lines.find((l) => l.includes(" : ")),
    "\x1b[0;32mh\\u001b]0;t\\u0007\x1b[0m          : \x1b[0;32mok=1   \x1b[0m changed=0    unreachable=0    " +
      "failed=0    skipped=0    rescued=0    ignored=0   ",
  );
});
