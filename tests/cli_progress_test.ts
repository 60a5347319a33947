// The status line on a terminal's stderr: the transfer bar (a pure function of bytes and time) and the
// running task's progress (hosts done/total, elapsed, slowest hosts), one owner drawing both; nothing for
// small transfers, a non-terminal stderr or when progress is off; throttled redraws, erased around every
// output line and at the end. Then mito itself under a pseudo-terminal (`script`), and without one.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { DENO, mitoIn, ROOT, runIn } from "./_run.ts";
import { ProgressDisplay, progressLine, progressOff, stderrProgress } from "../cli/_progress.ts";
import { ProgressCallback, taskProgressLine } from "../playbook/callbacks/progress.ts";

const MIB = 1024 * 1024;

Deno.test("progress line: label, bar, percentage, bytes, rate and time left", () => {
  assertEquals(
    progressLine({ label: "copy web1:/srv/big.iso", done: 16 * MIB, total: 64 * MIB, elapsedMs: 2000 }),
    "copy web1:/srv/big.iso [###---------]  25%  16.0/64.0 MiB  8.0 MiB/s  0:06",
  );
  assertEquals(
    progressLine({ label: "copy h:/x", done: 5 * MIB, total: 600 * MIB, elapsedMs: 1000 }),
    "copy h:/x [------------]   0%  5.0/600.0 MiB  5.0 MiB/s  1:59",
  );
});

Deno.test("progress line: no rate before any time has passed; full at the end", () => {
  assertEquals(
    progressLine({ label: "copy web1:/srv/big.iso", done: 0, total: 64 * MIB, elapsedMs: 0 }),
    "copy web1:/srv/big.iso [------------]   0%  0.0/64.0 MiB",
  );
  assertEquals(
    progressLine({ label: "fetch db:/d", done: 9 * MIB, total: 8 * MIB, elapsedMs: 1000 }),
    "fetch db:/d [############] 100%  8.0/8.0 MiB  8.0 MiB/s  0:00",
  );
});

Deno.test("progress line: a long label is cut from the left to fit the terminal", () => {
  assertEquals(
    progressLine(
      {
        label: "fetch db.example.com:/var/backups/nightly/pg.dump",
        done: 8 * MIB,
        total: 8 * MIB,
        elapsedMs: 1000,
      },
      70,
    ),
    "…ps/nightly/pg.dump [############] 100%  8.0/8.0 MiB  8.0 MiB/s  0:00",
  );
});

function fakeTerminal() {
  const writes: string[] = [];
  let now = 0;
  const display = new ProgressDisplay({ write: (s) => writes.push(s), columns: 80 }, () => now);
  return { writes, display, at: (ms: number) => (now = ms) };
}

Deno.test("display: transfers up to 4 MiB draw nothing", () => {
  const t = fakeTerminal();
  const h = t.display.start("copy h:/small", 4 * MIB);
  h.progress(2 * MIB);
  h.end();
  assertEquals(t.writes, []);
});

Deno.test("display: redraws at most every 100 ms and erases the line when the transfer ends", () => {
  const t = fakeTerminal();
  const h = t.display.start("copy h:/big", 8 * MIB);
  t.at(1000);
  h.progress(4 * MIB);
  t.at(1050);
  h.progress(5 * MIB); // throttled
  t.at(1100);
  h.progress(6 * MIB);
  h.end();
  assertEquals(t.writes, [
    "\r\x1b[2Kcopy h:/big [######------]  50%  4.0/8.0 MiB  4.0 MiB/s  0:01\r",
    "\r\x1b[2Kcopy h:/big [#########---]  75%  6.0/8.0 MiB  5.5 MiB/s  0:00\r",
    "\r\x1b[2K",
  ]);
});

Deno.test("display: concurrent transfers are summed on one line; the last end erases it", () => {
  const t = fakeTerminal();
  const a = t.display.start("copy a:/big", 8 * MIB);
  t.at(1000);
  const b = t.display.start("fetch b:/big", 8 * MIB);
  a.progress(8 * MIB);
  t.at(2000);
  b.progress(4 * MIB);
  a.end();
  b.end();
  assertEquals(t.writes, [
    "\r\x1b[2K2 transfers [######------]  50%  8.0/16.0 MiB  8.0 MiB/s  0:01\r",
    "\r\x1b[2K2 transfers [#########---]  75%  12.0/16.0 MiB  6.0 MiB/s  0:01\r",
    "\r\x1b[2Kfetch b:/big [######------]  50%  4.0/8.0 MiB  4.0 MiB/s  0:01\r",
    "\r\x1b[2K",
  ]);
});

Deno.test("display: none at all when stderr is not a terminal", () => {
  assertEquals(stderrProgress({ isTTY: false, write: () => true }), undefined);
  assertEquals(stderrProgress({ write: () => true }), undefined);
});

Deno.test("conventions: no status line with --no-progress, MITO_NO_PROGRESS, CI or TERM=dumb", () => {
  assertEquals(progressOff({ TERM: "xterm-256color" }), false);
  assertEquals(progressOff({ TERM: "xterm" }, true), true);
  assertEquals(progressOff({ MITO_NO_PROGRESS: "1" }), true);
  assertEquals(progressOff({ CI: "true" }), true);
  assertEquals(progressOff({ TERM: "dumb" }), true);
  // Empty means unset, as shells leave them.
  assertEquals(progressOff({ CI: "", MITO_NO_PROGRESS: "" }), false);
  const tty = { isTTY: true, write: () => true };
  assertEquals(stderrProgress(tty, { env: { CI: "1" } }), undefined);
  assertEquals(stderrProgress(tty, { env: {}, noProgress: true }), undefined);
  assertEquals(stderrProgress(tty, { env: {} }) instanceof ProgressDisplay, true);
});

function progress(label = "TASK [install]") {
  return { label, started: 0, total: 10, done: 3, running: new Map<string, number>() };
}

Deno.test("task line: hosts done/total, elapsed time, the slowest running hosts first", () => {
  const p = progress();
  p.running.set("web2", 1000).set("web7", 0).set("db1", 7000);
  assertEquals(
    taskProgressLine(p, 12_000),
    "TASK [install] 3/10 hosts  0:12  running: web7 0:12, web2 0:11, db1 0:05",
  );
  p.running.set("db2", 9000);
  assertEquals(
    taskProgressLine(p, 72_000),
    "TASK [install] 3/10 hosts  1:12  running: web7 1:12, web2 1:11, db1 1:05, …",
  );
});

Deno.test("task line: no count before any host started; cut to the terminal; controls escaped", () => {
  assertEquals(taskProgressLine({ ...progress("TASK [a]"), total: 0, done: 0 }, 0), "TASK [a]  0:00");
  const p = progress("TASK [\x1b]2;pwned\x07]");
  assertEquals(taskProgressLine(p, 0), "TASK [\\u001b]2;pwned\\u0007] 3/10 hosts  0:00");
  const long = taskProgressLine({ ...progress(`TASK [${"x".repeat(100)}]`) }, 0, 40);
  assertEquals([long.length, long.endsWith("x…")], [39, true]);
});

const view = (id: number, name: string) => ({
  id,
  name,
  action: "command",
  path: "p.yml:3",
  noLog: false,
  checkMode: false,
  hasLoop: false,
  isInclude: false,
});

Deno.test("progress callback: counts a task's hosts as they start and end, forgets the task at the end", () => {
  let now = 0;
  const seen: (string | undefined)[] = [];
  const cb = new ProgressCallback((p) => seen.push(p && taskProgressLine(p, now)), () => now);
  const slow = view(1, "slow");
  cb.taskStart(slow, "TASK");
  cb.taskHosts(["a", "b", "c"]);
  cb.runnerStart("a", slow);
  now = 1000;
  cb.runnerStart("b", slow);
  now = 2000;
  cb.result({ status: "ok", host: "a", task: slow, result: {} });
  // A result of another task (a handler's, a late free-strategy host) does not count for this one.
  cb.result({ status: "ok", host: "b", task: view(9, "other"), result: {} });
  cb.taskStart(view(2, "next"), "RUNNING HANDLER");
  cb.playStart({ id: 2, name: "second", path: "p.yml:9", checkMode: false, strategy: "linear" });
  cb.taskStart(view(3, "last"), "TASK");
  cb.stats();
  assertEquals(seen, [
    "TASK [slow]  0:00",
    "TASK [slow] 0/3 hosts  0:00",
    "TASK [slow] 0/3 hosts  0:00  running: a 0:00",
    "TASK [slow] 0/3 hosts  0:01  running: a 0:01, b 0:00",
    "TASK [slow] 1/3 hosts  0:02  running: b 0:01",
    "RUNNING HANDLER [next]  0:00",
    undefined,
    "TASK [last]  0:00",
    undefined,
  ]);
  assertEquals(cb.current, undefined);
});

Deno.test("status line: the task line is erased before each output line and drawn again after it", () => {
  const t = fakeTerminal();
  const printed: string[] = [];
  const print = t.display.around((s) => (printed.push(s), t.writes.push(`<${s}>`)));
  print("before\n"); // nothing shown: nothing to erase or draw
  t.display.setStatus((w) => `task ${w}`);
  print("line\n");
  t.display.setStatus(undefined);
  print("after\n");
  assertEquals(printed, ["before\n", "line\n", "after\n"]);
  assertEquals(t.writes, [
    "<before\n>",
    "\r\x1b[2Ktask 80\r",
    "\r\x1b[2K",
    "<line\n>",
    "\r\x1b[2Ktask 80\r",
    "\r\x1b[2K",
    "<after\n>",
  ]);
});

Deno.test("status line: erased and not drawn while a question waits for its answer", async () => {
  const t = fakeTerminal();
  t.display.setStatus(() => "task");
  const answer = await t.display.hold(() => {
    t.at(1000);
    t.display.tick();
    t.display.setStatus(() => "task 2");
    return Promise.resolve("yes");
  });
  assertEquals([answer, t.writes], ["yes", ["\r\x1b[2Ktask\r", "\r\x1b[2K", "\r\x1b[2Ktask 2\r"]]);
});

Deno.test("status line: a large transfer takes the line over; the task line comes back when it ends", () => {
  const t = fakeTerminal();
  t.display.setStatus(() => "task");
  const h = t.display.start("copy h:/big", 8 * MIB);
  t.at(1000);
  h.progress(4 * MIB);
  h.end();
  t.display.setStatus(undefined);
  assertEquals(t.writes, [
    "\r\x1b[2Ktask\r",
    "\r\x1b[2Kcopy h:/big [######------]  50%  4.0/8.0 MiB  4.0 MiB/s  0:01\r",
    "\r\x1b[2Ktask\r",
    "\r\x1b[2K",
  ]);
});

// mito itself: two local hosts run a task that takes a second, then a quick one.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-progress-"));
globalThis.addEventListener("unload", () => fs.rmSync(dir, { recursive: true, force: true }));
fs.writeFileSync(path.join(dir, "ansible.cfg"), "");
fs.writeFileSync(
  path.join(dir, "hosts"),
  ["a", "b"].map((h) => `${h} ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n`).join(
    "",
  ),
);
fs.writeFileSync(
  path.join(dir, "p.yml"),
  "- hosts: all\n  gather_facts: false\n  tasks:\n" +
    "    - name: slow\n      command: sleep 1\n    - name: quick\n      debug: msg=hi\n",
);
const MITO = `${DENO} run -q -A ${path.join(ROOT, "cli/main.ts")} run -i hosts p.yml`;

/** mito under a pseudo-terminal (util-linux `script`): what the terminal received, stdout and stderr. */
function onTerminal(args = "", env: Record<string, string> = {}): string {
  const r = runIn(dir, "/usr/bin/script", ["-qfec", `${MITO} ${args}`, "/dev/null"], {
    TERM: "xterm",
    ...env,
  });
  assertEquals([r.code, r.stderr], [0, ""], r.stdout);
  return r.stdout;
}

const CLEAR = "\r\x1b[2K";
const SUMMARY = /^={79} \r?\nslow -+ \d+\.\d\ds\r?\nquick -+ \d+\.\d\ds\r?$/m;

Deno.test("on a terminal: the task's hosts done/total and slowest running host, erased before the recap", () => {
  const screen = onTerminal();
  // Each result line is followed by the line drawn again with that host counted.
  const after = (line: string) => screen.slice(screen.indexOf(line) + line.length);
  const first = screen.indexOf("changed: [a]") < screen.indexOf("changed: [b]") ? "a" : "b";
  const second = first === "a" ? "b" : "a";
  assert(
    new RegExp(`^\\r\\n\\r\\x1b\\[2KTASK \\[slow\\] 1/2 hosts  0:0\\d  running: ${second} 0:0\\d\\r`)
      .test(after(`changed: [${first}]`)),
    JSON.stringify(after(`changed: [${first}]`).slice(0, 120)),
  );
  assert(after(`changed: [${second}]`).startsWith(`\r\n${CLEAR}TASK [slow] 2/2 hosts  0:0`));
  assert(after("}").startsWith(`\r\n${CLEAR}TASK [quick] 1/2 hosts  0:00  running: `));
  // Nothing is drawn after the last erase before the recap.
  const beforeRecap = screen.slice(0, screen.indexOf("PLAY RECAP"));
  assertEquals(beforeRecap.slice(beforeRecap.lastIndexOf("\x1b[2K")), "\x1b[2K\r\n");
  // The ten slowest tasks (here both), slowest first, after the recap.
  assert(
    SUMMARY.test(screen.slice(screen.indexOf("PLAY RECAP"))),
    screen.slice(screen.indexOf("PLAY RECAP")),
  );
});

Deno.test("on a terminal with --no-progress, MITO_NO_PROGRESS, CI or TERM=dumb: no status line, no table", () => {
  for (
    const [args, env] of [["--no-progress", {}], ["", { MITO_NO_PROGRESS: "1" }], ["", { CI: "true" }], [
      "",
      { TERM: "dumb" },
    ]] as const
  ) {
    const screen = onTerminal(args, env);
    assert(screen.includes("PLAY RECAP"), screen);
    assertEquals(
      [screen.includes("\x1b[2K"), screen.includes("=".repeat(79))],
      [false, false],
      `${args} ${env}`,
    );
  }
});

Deno.test("no terminal: nothing on stderr; stdout is the same whether stderr is a terminal or not", () => {
  // One host at a time (-f 1), so both runs print the hosts' results in the same order.
  const piped = mitoIn(dir, ["-i", "hosts", "p.yml", "-f", "1"]);
  assertEquals([piped.code, piped.stderr], [0, ""]);
  assert(!piped.stdout.includes("\x1b") && piped.stdout.includes("PLAY RECAP"), piped.stdout);
  // stderr on the terminal, stdout to a file: the status line is drawn, the file gets only the play.
  const screen = onTerminal("-f 1 > out.txt");
  assert(screen.includes(`${CLEAR}TASK [slow] 2/2 hosts`), JSON.stringify(screen));
  assertEquals(fs.readFileSync(path.join(dir, "out.txt"), "utf8"), piped.stdout);
});
