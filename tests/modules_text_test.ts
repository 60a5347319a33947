import { assert, assertEquals } from "./_assert.ts";
import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { callMany, run, runTwice, tempDir } from "./modules_harness.ts";

const read = (p: string) => readFileSync(p, "utf-8");

Deno.test("lineinfile appends a missing line once", () => {
  const d = tempDir();
  const f = join(d, "hosts");
  writeFileSync(f, "a\nb"); // no trailing newline
  const [x, y] = runTwice("lineinfile", { path: f, line: "c" });
  assertEquals([x.changed, y.changed], [true, false]);
  assertEquals(x.msg, "line added");
  assertEquals(y.msg, "");
  assertEquals(read(f), "a\nb\nc\n");
  assertEquals(x.backup, "");
});

Deno.test("lineinfile regexp replaces the last match; firstmatch the first; backrefs", () => {
  const d = tempDir();
  const f = join(d, "conf");
  writeFileSync(f, "port=1\nport=2\nname=x\n");
  const [r1, r2] = runTwice("lineinfile", { path: f, regexp: "^port=", line: "port=9" });
  assertEquals([r1.changed, r2.changed], [true, false]);
  assertEquals(r1.msg, "line replaced");
  assertEquals(read(f), "port=1\nport=9\nname=x\n");
  run("lineinfile", { path: f, regexp: "^port=", line: "port=8", firstmatch: true });
  assertEquals(read(f), "port=8\nport=9\nname=x\n");
  const [b1, b2] = runTwice("lineinfile", {
    path: f,
    regexp: "^name=(\\w+)$",
    line: "name=\\1\\1",
    backrefs: true,
  });
  assertEquals([b1.changed, b2.changed], [true, true]); // the regexp still matches the new line
  assertEquals(read(f), "port=8\nport=9\nname=xxxx\n");
  const none = run("lineinfile", { path: f, regexp: "^nomatch", line: "z", backrefs: true });
  assertEquals(none.changed, false);
});

Deno.test("lineinfile insertafter/insertbefore, BOF, create and absent", () => {
  const d = tempDir();
  const f = join(d, "sub", "f");
  const c = run("lineinfile", { path: f, line: "first", create: true, mode: "0600" });
  assertEquals(c.changed, true);
  assertEquals((statSync(f).mode & 0o777).toString(8), "600");
  run("lineinfile", { path: f, line: "last" });
  run("lineinfile", { path: f, line: "middle", insertafter: "^first" });
  run("lineinfile", { path: f, line: "top", insertbefore: "BOF" });
  run("lineinfile", { path: f, line: "before-last", insertbefore: "^last" });
  assertEquals(read(f), "top\nfirst\nmiddle\nbefore-last\nlast\n");
  const [a1, a2] = runTwice("lineinfile", { path: f, regexp: "^(top|last)$", state: "absent" });
  assertEquals([a1.changed, a2.changed], [true, false]);
  assertEquals(a1.found, 2);
  assertEquals(a1.msg, "2 line(s) removed");
  assertEquals(read(f), "first\nmiddle\nbefore-last\n");
  const missing = run("lineinfile", { path: join(d, "nope"), line: "x" });
  assertEquals(missing.failed, true);
  assertEquals(missing.rc, 257);
  assertEquals(missing.msg, `Destination ${join(d, "nope")} does not exist !`);
});

Deno.test("lineinfile check mode and diff change nothing on disk", () => {
  const d = tempDir();
  const f = join(d, "f");
  writeFileSync(f, "a\n");
  const r = run("lineinfile", { path: f, line: "b" }, { check_mode: true, diff: true });
  assertEquals(r.changed, true);
  assertEquals(r.diff[0], {
    before: "a\n",
    after: "a\nb\n",
    before_header: `${f} (content)`,
    after_header: `${f} (content)`,
  });
  assertEquals(read(f), "a\n");
});

Deno.test("blockinfile inserts, updates and removes a marked block", () => {
  const d = tempDir();
  const f = join(d, "f");
  writeFileSync(f, "head\n");
  const [a, b] = runTwice("blockinfile", { path: f, block: "x=1\ny=2" });
  assertEquals([a.changed, b.changed], [true, false]);
  assertEquals(a.msg, "Block inserted");
  assertEquals(read(f), "head\n# BEGIN ANSIBLE MANAGED BLOCK\nx=1\ny=2\n# END ANSIBLE MANAGED BLOCK\n");
  run("blockinfile", { path: f, block: "z=3", marker: "<!-- {mark} -->", insertbefore: "BOF" });
  assertEquals(read(f).split("\n")[0], "<!-- BEGIN -->");
  run("blockinfile", { path: f, block: "x=9" });
  assert(read(f).includes("# BEGIN ANSIBLE MANAGED BLOCK\nx=9\n# END ANSIBLE MANAGED BLOCK\n"));
  const [r1, r2] = runTwice("blockinfile", { path: f, state: "absent" });
  assertEquals([r1.changed, r2.changed], [true, false]);
  assertEquals(r1.msg, "Block removed");
  assertEquals(read(f), "<!-- BEGIN -->\nz=3\n<!-- END -->\nhead\n");
  const created = run("blockinfile", { path: join(d, "new"), block: "q", create: true });
  assertEquals(created.msg, "File created");
});

Deno.test("replace substitutes with backrefs, within after/before, idempotently", () => {
  const d = tempDir();
  const f = join(d, "f");
  writeFileSync(f, "a=1\n[s]\na=2\n[t]\na=3\n");
  const [x, y] = runTwice("replace", {
    path: f,
    regexp: "^a=(\\d)$",
    replace: "a=\\1\\1",
    after: "\\[s\\]",
    before: "\\[t\\]",
  });
  assertEquals([x.changed, y.changed], [true, false]);
  assertEquals(x.msg, "1 replacements made");
  assertEquals(read(f), "a=1\n[s]\na=22\n[t]\na=3\n");
  const [p, q] = runTwice("replace", { path: f, regexp: "^a=1$", replace: "a=0", backup: true });
  assertEquals([p.changed, q.changed], [true, false]);
  assertEquals(read(p.backup_file), "a=1\n[s]\na=22\n[t]\na=3\n");
  assertEquals(read(f), "a=0\n[s]\na=22\n[t]\na=3\n");
  const chk = run("replace", { path: f, regexp: "a", replace: "b" }, { check_mode: true, diff: true });
  assertEquals(chk.changed, true);
  assertEquals(chk.diff.after, "b=0\n[s]\nb=22\n[t]\nb=3\n");
  assertEquals(read(f), "a=0\n[s]\na=22\n[t]\na=3\n");
});

Deno.test("slurp returns base64 content; tempfile creates files and directories", () => {
  const d = tempDir();
  writeFileSync(join(d, "f"), "bin\x00ary");
  const [s, missing, tf, td] = callMany([
    { fn: "run_module", args: ["slurp", { src: join(d, "f") }] },
    { fn: "run_module", args: ["slurp", { src: join(d, "nope") }] },
    { fn: "run_module", args: ["tempfile", { path: d, suffix: ".txt" }] },
    { fn: "run_module", args: ["tempfile", { path: d, state: "directory", prefix: "dir." }] },
  ]);
  assertEquals(s.content, btoa("bin\x00ary"));
  assertEquals(s.encoding, "base64");
  assertEquals(s.source, join(d, "f"));
  assertEquals(missing.msg, `file not found: ${join(d, "nope")}`);
  assertEquals(tf.changed, true);
  assert(tf.path.startsWith(join(d, "ansible.")) && tf.path.endsWith(".txt"));
  assertEquals(tf.state, "file");
  assertEquals(tf.mode, "0600");
  assert(statSync(td.path).isDirectory());
  assertEquals(td.state, "directory");
});

Deno.test("find matches patterns, age, size, contains, type and recursion", () => {
  const d = tempDir();
  mkdirSync(join(d, "sub", "deep"), { recursive: true });
  writeFileSync(join(d, "a.log"), "error here\n");
  writeFileSync(join(d, "b.txt"), "x".repeat(2048));
  writeFileSync(join(d, ".hidden.log"), "");
  writeFileSync(join(d, "sub", "c.log"), "fine\n");
  writeFileSync(join(d, "sub", "deep", "d.log"), "");
  utimesSync(join(d, "a.log"), new Date(2000, 1, 1), new Date(2000, 1, 1));
  const names = (r: any) => r.files.map((f: any) => f.path).sort();
  const [logs, rec, depth, old, big, grep, dirs, hidden, missing] = callMany([
    { fn: "run_module", args: ["find", { paths: d, patterns: "*.log" }] },
    { fn: "run_module", args: ["find", { paths: [d], patterns: ["*.log"], recurse: true }] },
    { fn: "run_module", args: ["find", { paths: [d], patterns: ["*.log"], recurse: true, depth: 2 }] },
    { fn: "run_module", args: ["find", { paths: [d], age: "4w" }] },
    { fn: "run_module", args: ["find", { paths: [d], size: "1k" }] },
    { fn: "run_module", args: ["find", { paths: [d], contains: "error.*", recurse: true }] },
    { fn: "run_module", args: ["find", { paths: [d], file_type: "directory", recurse: true }] },
    { fn: "run_module", args: ["find", { paths: [d], patterns: ["*.log"], hidden: true }] },
    { fn: "run_module", args: ["find", { paths: [join(d, "nope")] }] },
  ]);
  assertEquals(names(logs), [join(d, "a.log")]);
  assertEquals(logs.matched, 1);
  assertEquals(logs.msg, "All paths examined");
  assertEquals(names(rec), [join(d, "a.log"), join(d, "sub", "c.log"), join(d, "sub", "deep", "d.log")]);
  assertEquals(names(depth), [join(d, "a.log"), join(d, "sub", "c.log")]);
  assertEquals(names(old), [join(d, "a.log")]);
  assertEquals(names(big), [join(d, "b.txt")]);
  assertEquals(names(grep), [join(d, "a.log")]);
  assertEquals(names(dirs), [join(d, "sub"), join(d, "sub", "deep")]);
  assertEquals(names(hidden), [join(d, ".hidden.log"), join(d, "a.log")]);
  const f = logs.files[0];
  assertEquals([f.isreg, f.isdir, f.size, typeof f.mtime, typeof f.pw_name], [
    true,
    false,
    11,
    "number",
    "string",
  ]);
  assertEquals(missing.matched, 0);
  assertEquals(Object.keys(missing.skipped_paths), [join(d, "nope")]);
  assertEquals(existsSync(join(d, "nope")), false);
});

Deno.test("lineinfile: backup and validate", () => {
  const d = tempDir();
  const f = join(d, "sudoers");
  writeFileSync(f, "root ALL=(ALL) ALL\n");
  const bad = run("lineinfile", { path: f, line: "oops", validate: "grep -q '^ok' %s" });
  assertEquals(bad.failed, true);
  assertEquals(bad.msg, "failed to validate: rc:1 error:");
  assertEquals(read(f), "root ALL=(ALL) ALL\n");
  const good = run("lineinfile", {
    path: f,
    line: "ok line",
    insertbefore: "BOF",
    validate: "grep -q '^ok' %s",
    backup: true,
  });
  assertEquals(good.changed, true);
  assertEquals(read(f), "ok line\nroot ALL=(ALL) ALL\n");
  assertEquals(read(good.backup), "root ALL=(ALL) ALL\n");
  const noPct = run("lineinfile", { path: f, line: "x", validate: "true" });
  assertEquals(noPct.msg, "validate must contain %s: true");
});
