import { assert, assertEquals, assertStringIncludes } from "./_assert.ts";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { callMany, packageRoot, run, tempDir } from "./modules_harness.ts";

const ANSIBLE_MODULES = "/usr/lib/python3/dist-packages/ansible/modules";
const ansibleSource = (name: string) => readFileSync(join(ANSIBLE_MODULES, `${name}.py`), "utf-8");

Deno.test("run_module returns changed/failed/invocation with defaults filled in", () => {
  const r = run("ping", { data: "hi" });
  assertEquals(r, { ping: "hi", changed: false, failed: false, invocation: { module_args: { data: "hi" } } });
});

Deno.test("unsupported parameters are refused with Ansible's wording", () => {
  const r = run("stat", { path: "/", bogus: 1, other: 2 });
  assertEquals(r.failed, true);
  assertEquals(
    r.msg,
    "Unsupported parameters for (stat) module: bogus, other. Supported parameters include: checksum_algorithm, " +
      "follow, get_attributes, get_checksum, get_md5, get_mime, path (attr, attributes, checksum, checksum_algo, " +
      "dest, mime, mime-type, mime_type, name).",
  );
});

Deno.test("argument validation: required, choices, types, mutually exclusive", () => {
  const [req, choice, typ, excl, unknown] = callMany([
    { fn: "run_module", args: ["stat", {}] },
    { fn: "run_module", args: ["file", { path: "/tmp", state: "bogus" }] },
    { fn: "run_module", args: ["file", { path: "/tmp", recurse: "maybe" }] },
    { fn: "run_module", args: ["copy", { content: "a", src: "/etc/hostname", dest: "/tmp/x" }] },
    { fn: "run_module", args: ["no_such_module", {}] },
  ]);
  assertEquals(req.msg, "missing required arguments: path");
  assertEquals(
    choice.msg,
    "value of state must be one of: absent, directory, file, hard, link, touch, got: bogus",
  );
  assertStringIncludes(
    typ.msg,
    "argument 'recurse' is of type <class 'str'> and we were unable to convert to bool",
  );
  assertEquals(excl.msg, "parameters are mutually exclusive: content|src");
  assertEquals(unknown.failed, true);
  assertEquals(unknown.msg, "The module no_such_module was not found in mito's built-in modules");
});

Deno.test("a crashing module gives MODULE FAILURE and the interpreter stays usable", () => {
  const [crash, after] = callMany([
    { fn: "run_module", args: ["ping", { data: "crash" }] },
    { fn: "run_module", args: ["ping", {}] },
  ]);
  assertEquals(crash.failed, true);
  assert(crash.msg.startsWith("MODULE FAILURE"));
  assertStringIncludes(crash.module_stderr, "Exception: boom");
  assertStringIncludes(crash.exception, "Traceback");
  assertEquals(after.ping, "pong");
});

Deno.test("environment and cwd apply to one task only", () => {
  const d = tempDir();
  const [a, b] = callMany([
    {
      fn: "run_module",
      args: ["shell", { _raw_params: "echo $MITO_X; pwd" }],
      kwargs: { environment: { MITO_X: "1" }, cwd: d },
    },
    { fn: "run_module", args: ["shell", { _raw_params: 'echo "[$MITO_X]"; pwd' }] },
  ]);
  assertEquals(a.stdout, `1\n${d}`);
  assertEquals(b.stdout.split("\n")[0], "[]");
  assert(b.stdout.split("\n")[1] !== d);
});

Deno.test("isolation=fork runs the module in a child and returns its result", () => {
  const [r, crash] = callMany([
    { fn: "run_module", args: ["shell", { _raw_params: "echo forked" }], kwargs: { isolation: "fork" } },
    { fn: "run_module", args: ["ping", { data: "crash" }], kwargs: { isolation: "fork" } },
  ]);
  assertEquals(r.stdout, "forked");
  assertEquals(crash.failed, true);
});

Deno.test("no_log parameters are censored in invocation and output", () => {
  const d = tempDir();
  const r = run("copy", { content: "s3cret-value", dest: join(d, "f") });
  assertEquals(r.invocation.module_args.content, "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER");
  const hidden = run("ping", {}, { no_log: true });
  assertEquals(hidden.invocation, undefined);
});

Deno.test("detect_style classifies modules as Ansible does", () => {
  const res = callMany([
    { fn: "detect_style", args: [ansibleSource("ping")] },
    { fn: "detect_style", args: ["#!/bin/sh\n# WANT_JSON\necho '{}'\n"] },
    { fn: "detect_style", args: ["#!/usr/bin/python\nARGS = <<INCLUDE_ANSIBLE_MODULE_JSON_ARGS>>\n"] },
    { fn: "detect_style", args: ["#!/bin/sh\necho '{}'\n"] },
  ]);
  assertEquals(res, ["new", "want_json", "jsonargs", "old"]);
});

Deno.test("Ansible new-style modules run in-process with module_utils imported normally", () => {
  const d = tempDir();
  const dest = join(d, "f");
  writeFileSync(dest, "a\n");
  const [ping, line, line2, fail, after] = callMany([
    { fn: "run_ansible_module", args: [ansibleSource("ping"), { data: "x" }], kwargs: { name: "ping" } },
    {
      fn: "run_ansible_module",
      args: [ansibleSource("lineinfile"), { path: dest, line: "b" }],
      kwargs: { name: "lineinfile" },
    },
    {
      fn: "run_ansible_module",
      args: [ansibleSource("lineinfile"), { path: dest, line: "b" }],
      kwargs: { name: "lineinfile" },
    },
    { fn: "run_ansible_module", args: [ansibleSource("ping"), { bogus: 1 }], kwargs: { name: "ping" } },
    { fn: "run_module", args: ["ping", {}] },
  ]);
  assertEquals(ping.ping, "x");
  assertEquals(ping.changed, false);
  assertEquals(ping.invocation, { module_args: { data: "x" } });
  assertEquals(line.changed, true);
  assertEquals(line2.changed, false);
  assertEquals(readFileSync(dest, "utf-8"), "a\nb\n");
  assertEquals(fail.failed, true);
  assertStringIncludes(fail.msg, "Unsupported parameters for (ping) module: bogus");
  assertEquals(after.ping, "pong");
});

Deno.test("WANT_JSON, old-style and non-Python modules run from the temp dir", () => {
  const d = tempDir();
  const want = '#!/bin/sh\n# WANT_JSON\nprintf \'{"changed": false, "args": %s}\' "$(cat "$1")"\n';
  const old = '#!/bin/sh\n. "$1"\necho "{\\"changed\\": true, \\"got\\": \\"$name\\"}"\n';
  const py = "#!/opt/nowhere/python\nimport json, sys\nprint(json.dumps({'exe': sys.executable}))\n";
  const crash = "#!/bin/sh\necho oops; echo bad >&2; exit 3\n";
  const [w, o, p, c] = callMany([
    { fn: "run_ansible_module", args: [want, { a: 1 }], kwargs: { name: "w", tmpdir: d } },
    { fn: "run_ansible_module", args: [old, { name: "two words" }], kwargs: { name: "o", tmpdir: d } },
    {
      fn: "run_ansible_module",
      args: [py, {}],
      kwargs: { name: "p", tmpdir: d, interpreters: { python: "/usr/bin/python3" } },
    },
    { fn: "run_ansible_module", args: [crash, {}], kwargs: { name: "c", tmpdir: d } },
  ]);
  assertEquals(w.args.a, 1);
  assertEquals(w.args._ansible_check_mode, false);
  assertEquals(o.got, "two words");
  assertEquals(o.changed, true);
  assertEquals(p.exe, "/usr/bin/python3");
  assertEquals(c.failed, true);
  assertEquals(c.module_stdout, "oops\n");
  assertEquals(c.module_stderr, "bad\n");
  assertEquals(c.rc, 3);
});

Deno.test("async jobs: start_async then async_status until finished", async () => {
  const d = tempDir();
  const env = { ANSIBLE_ASYNC_DIR: d };
  const [started] = callMany([
    { fn: "start_async", args: ["j1", 30, "builtin", "shell", { _raw_params: "sleep 0.2; echo done" }] },
  ], env);
  assertEquals(started.started, 1);
  assertEquals(started.finished, 0);
  assertEquals(started.ansible_job_id, "j1");
  assertEquals(started.results_file, join(d, "j1"));
  let status: any = { finished: 0 };
  for (let i = 0; i < 100 && !status.finished; i++) {
    await new Promise((r) => setTimeout(r, 100));
    [status] = callMany([{ fn: "async_status", args: ["j1"] }], env);
  }
  assertEquals(status.finished, 1);
  assertEquals(status.stdout, "done");
  assertEquals(status.ansible_job_id, "j1");
  const [limited] = callMany([{
    fn: "start_async",
    args: ["j2", 1, "builtin", "shell", { _raw_params: "sleep 30; : mito-async-marker" }],
  }], env);
  assertEquals(limited.started, 1);
  for (let i = 0; i < 100 && !status.msg?.startsWith("Job reached"); i++) {
    await new Promise((r) => setTimeout(r, 100));
    [status] = callMany([{ fn: "async_status", args: ["j2"] }], env);
  }
  // as Ansible's async_wrapper writes it, and its async_status reports it
  assertEquals(status.failed, 1);
  assertEquals(status.msg, "Job reached maximum time limit of 1 seconds.");
  // the timed-out job's own children are gone too
  const left = spawnSync("pgrep", ["-f", "mito-async-marker"], { encoding: "utf-8" });
  assertEquals(left.stdout.trim(), "");
});

Deno.test("environment files: /etc/environment style and pam_environment parsing", () => {
  const d = tempDir();
  writeFileSync(join(d, ".pam_environment"), 'FOO DEFAULT=bar\nBAZ="q x"\n# c\n');
  const [env] = callMany([{ fn: "read_environment_files" }], { HOME: d });
  assertEquals(env.FOO, "bar");
  assertEquals(env.BAZ, "q x");
});

Deno.test("edits of ~/.pam_environment reach later tasks, except keys changed elsewhere", () => {
  const d = tempDir();
  const pam = join(d, ".pam_environment");
  writeFileSync(pam, "MITO_A=1\nMITO_C=file\n");
  const res = callMany([
    { fn: "run_module", args: ["shell", { _raw_params: 'echo "a=$MITO_A c=$MITO_C"' }] },
    {
      fn: "run_module",
      args: ["shell", { _raw_params: `printf 'MITO_A=2\\nMITO_B=x\\nMITO_C=new\\n' > ${pam}` }],
    },
    { fn: "run_module", args: ["shell", { _raw_params: 'echo "a=$MITO_A b=$MITO_B c=$MITO_C"' }] },
  ], { HOME: d, MITO_C: "profile" });
  assertEquals(res[0].stdout, "a= c=profile"); // the initial environment is the login's own
  assertEquals(res[2].stdout, "a=2 b=x c=profile"); // MITO_C was set elsewhere: left alone
});

Deno.test("script runs a transferred script with args, honours creates, removes the file", () => {
  const d = tempDir();
  const path = join(d, "s.sh");
  writeFileSync(path, '#!/bin/sh\necho "args: $*"; pwd\n');
  const r = run("script", { path, args: "a 'b c'", chdir: d });
  assertEquals(r.changed, true);
  assertEquals(r.rc, 0);
  assertEquals(r.stdout, `args: a b c\n${d}\n`);
  assertEquals(existsSync(path), false);
  writeFileSync(path, "#!/bin/sh\nexit 1\n");
  const skip = run("script", { path, creates: d });
  assertEquals(skip.skipped, true);
  assertEquals(skip.msg, `skipped, since ${d} exists`);
});

Deno.test("an in-process Ansible module's changes to process state are undone; its atexit hooks run", () => {
  const d = tempDir();
  const marker = join(d, "atexit-ran");
  const source = `#!/usr/bin/python
import atexit, locale, os, sys
from ansible.module_utils.basic import AnsibleModule
m = AnsibleModule(argument_spec={})
os.chdir("/")
os.environ["MITO_LEAK"] = "1"
os.umask(0o077)
sys.argv.append("leak")
sys.path.insert(0, "/leak")
locale.setlocale(locale.LC_ALL, "C")
atexit.register(lambda: open(${JSON.stringify(marker)}, "w").close())
m.exit_json(changed=True, cwd=os.getcwd())
`;
  const [before, r, after, env, umask] = callMany([
    { fn: "os:getcwd" },
    { fn: "run_ansible_module", args: [source, {}], kwargs: { name: "leaky" } },
    { fn: "os:getcwd" },
    { fn: "os:getenv", args: ["MITO_LEAK"] },
    { fn: "os:umask", args: [0o022] },
  ]);
  assertEquals(r.changed, true);
  assertEquals(r.cwd, "/");
  assertEquals(after, before);
  assertEquals(env, null);
  assertEquals(umask, 0o022); // os.umask returns the previous mask: the module's 077 was undone
  assert(existsSync(marker));
});

Deno.test("a module's source is kept by digest: later calls name it alone, an unknown digest is refused", () => {
  const source = ansibleSource("ping");
  const digest = createHash("sha1").update(source).digest("hex");
  const script = `
import json, sys
sys.path.insert(0, sys.argv[1])
import mito.runner as runner
src = sys.stdin.read()
out = [runner.run_ansible_module(src, {"data": "a"}, name="ping", digest=sys.argv[2]),
       runner.run_ansible_module(None, {"data": "b"}, name="ping", digest=sys.argv[2])]
for bad in ((None, "0" * 40), (src, "f" * 40)):
    try:
        runner.run_ansible_module(bad[0], {}, name="ping", digest=bad[1])
        out.append("ran")
    except Exception as e:
        out.append("%s: %s" % (type(e).__name__, e))
print(json.dumps(out))
`;
  const p = spawnSync("/usr/bin/python3", ["-c", script, packageRoot(), digest], {
    input: source,
    encoding: "utf-8",
    timeout: 60_000,
  });
  assertEquals(p.status, 0, p.stderr);
  const [first, second, unknown, mismatch] = JSON.parse(p.stdout);
  assertEquals([first.ping, second.ping], ["a", "b"]);
  assertEquals(second.invocation, { module_args: { data: "b" } });
  assertEquals(unknown, `SourceNotCached: ${"0".repeat(40)}`);
  assertEquals(mismatch, `ValueError: module source does not match its digest ${"f".repeat(40)}`);
});

Deno.test("run_command's selectors: one with nothing registered answers at once, one with a pipe as before", () => {
  // run_command's loop can select once more with both pipes closed when its process ends between its
  // two poll() checks; the real selector then sleeps its whole timeout (here None: for ever)
  const source = `#!/usr/bin/python3
import os
from ansible.module_utils import basic
from ansible.module_utils.basic import AnsibleModule

def main():
    m = AnsibleModule(argument_spec={})
    empty = basic.selectors.DefaultSelector().select(None)
    r, w = os.pipe()
    os.write(w, b"x")
    sel = basic.selectors.PollSelector()
    sel.register(r, basic.selectors.EVENT_READ)
    ready = [key.fd == r for key, _ in sel.select(None)]
    _, out, _ = m.run_command(["/bin/echo", "done"])
    m.exit_json(empty=empty, ready=ready, out=out.strip())

main()
`;
  const [r] = callMany([{ fn: "run_ansible_module", args: [source, {}], kwargs: { name: "selectors" } }]);
  assertEquals([r.empty, r.ready, r.out], [[], [true], "done"]);
});

Deno.test("run_command in a persistent interpreter keeps its umask and a module's own signal hook", () => {
  const d = tempDir();
  const marker = join(d, "hook-ran");
  const source = `#!/usr/bin/python3
import json
from ansible.module_utils.basic import AnsibleModule

class Hooked(AnsibleModule):
    def _restore_signal_handlers(self):
        open(${JSON.stringify(marker)}, "w").close()

def main():
    m = AnsibleModule(argument_spec={})
    _, plain, _ = m.run_command(["/bin/sh", "-c", "umask"])
    _, masked, _ = m.run_command(["/bin/sh", "-c", "umask"], umask=0o027)
    h = Hooked(argument_spec={})
    _, hooked, _ = h.run_command(["/bin/sh", "-c", "umask"])
    m.exit_json(plain=plain.strip(), masked=masked.strip(), hooked=hooked.strip())

main()
`;
  const [r, umask] = callMany([
    { fn: "run_ansible_module", args: [source, {}], kwargs: { name: "umasks" } },
    { fn: "os:umask", args: [0o022] },
  ]);
  assertEquals([r.plain, r.masked, r.hooked], ["0022", "0027", "0022"]);
  assert(existsSync(marker), "the subclass's hook ran in the child");
  assertEquals(umask, 0o022);
});
