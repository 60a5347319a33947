import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, tempDir } from "./modules_harness.ts";

Deno.test("command runs argv without a shell and reports Ansible's result keys", () => {
  const d = tempDir();
  const r = run("command", { _raw_params: "echo 'a  b' $HOME", chdir: d });
  assertEquals(r.changed, true);
  assertEquals(r.failed, false);
  assertEquals(r.rc, 0);
  assertEquals(r.stdout, "a  b $HOME");
  assertEquals(r.stderr, "");
  // The controller fills the *_lines keys in, as Ansible's action layer does; the runner marks their place.
  assertEquals([r.stdout_lines, r.stderr_lines], [null, null]);
  assertEquals(r.cmd, ["echo", "a  b", "$HOME"]);
  assertEquals(r.msg, "");
  assertMatch(r.start, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  assertMatch(r.end, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  assertMatch(r.delta, /^\d+:\d\d:\d\d\.\d{6}$/);
  assertEquals(r.invocation.module_args._raw_params, "echo 'a  b' $HOME");
});

Deno.test("command with argv, stdin and a non-zero exit fails with 'non-zero return code'", () => {
  const r = run("command", { argv: ["/bin/sh", "-c", "cat; echo err >&2; exit 4"], stdin: "in" });
  assertEquals(r.failed, true);
  assertEquals(r.rc, 4);
  assertEquals(r.msg, "non-zero return code");
  assertEquals(r.stdout, "in");
  assertEquals(r.stderr, "err");
});

Deno.test("shell runs through /bin/sh in chdir and strips trailing newlines", () => {
  const d = tempDir();
  const r = run("shell", { _raw_params: "printf 'x\\ny\\n\\n'; pwd >&2", chdir: d });
  assertEquals(r.stdout, "x\ny");
  assertEquals(r.stderr, d);
  assertEquals(r.cmd, "printf 'x\\ny\\n\\n'; pwd >&2");
  assertEquals(r.invocation.module_args._uses_shell, true);
});

Deno.test("creates and removes make command idempotent", () => {
  const d = tempDir();
  const marker = join(d, "done");
  const first = run("shell", { _raw_params: `touch ${marker}`, creates: marker });
  assertEquals(first.changed, true);
  assert(existsSync(marker));
  const second = run("shell", { _raw_params: `touch ${marker}`, creates: marker });
  assertEquals(second.changed, false);
  assertEquals(second.rc, 0);
  assertEquals(second.msg, `Did not run command since '${marker}' exists`);
  assertEquals(second.stdout, `skipped, since ${marker} exists`);
  const removes = run("command", { _raw_params: "true", removes: join(d, "nope") });
  assertEquals(removes.changed, false);
  assertEquals(removes.msg, `Did not run command since '${join(d, "nope")}' does not exist`);
});

Deno.test("command in check mode runs nothing", () => {
  const d = tempDir();
  const f = join(d, "f");
  const r = run("shell", { _raw_params: `touch ${f}` }, { check_mode: true });
  assertEquals(r.changed, false);
  assertEquals(r.skipped, true);
  assertEquals(r.msg, "Command would have run if not in check mode");
  assertEquals(existsSync(f), false);
  writeFileSync(f, "");
  const c = run("shell", { _raw_params: `rm ${f}`, removes: f }, { check_mode: true });
  assertEquals(c.changed, true);
  assert(existsSync(f));
});

Deno.test("command without a command, or with both forms, fails like Ansible", () => {
  const r = run("command", {});
  assertEquals(r.failed, true);
  assertEquals(r.msg, "no command given");
  assertEquals(r.rc, 256);
  const both = run("command", { _raw_params: "true", argv: ["true"] });
  assertEquals(both.msg, "only command or argv can be given, not both");
});
