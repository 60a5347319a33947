// `mito adhoc` side by side with ansible on the same inventory: locally (connection local) and over ssh
// to the test sshd. Output byte for byte (times and job ids aside), tree files and exit codes equal.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { testEnv } from "./_testenv.ts";
import { DENO, type Ran, ROOT, runIn } from "./_run.ts";
import { parseAdhocArgs } from "../cli/adhoc_args.ts";

const env = testEnv();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-adhoc-"));
fs.writeFileSync(path.join(dir, "ansible.cfg"), "");
globalThis.addEventListener("unload", () => fs.rmSync(dir, { recursive: true, force: true }));
const PY = "ansible_python_interpreter=/usr/bin/python3";
fs.writeFileSync(
  path.join(dir, "hosts"),
  [
    "[local]",
    `localhost ansible_connection=local ${PY}`,
    `lh2 ansible_connection=local ${PY}`,
    "[remote]",
    `plain ansible_host=${env.sshd.host} ansible_port=${env.sshd.port} ansible_user=${env.accounts.login.user} ` +
    `ansible_ssh_private_key_file=${env.clientKey} ` +
    `ansible_ssh_common_args='-o UserKnownHostsFile=${env.sshd.knownHosts} -o StrictHostKeyChecking=yes' ${PY}`,
    "[keyless]",
    `bare ansible_host=${env.sshd.host} ansible_port=${env.sshd.port} ansible_user=${env.accounts.login.user} ` +
    `ansible_ssh_private_key_file=${env.clientKey} ${PY}`,
    "",
  ].join("\n"),
);
fs.mkdirSync(path.join(dir, "library"));
fs.writeFileSync(
  path.join(dir, "library", "greet.py"),
  "#!/usr/bin/python3\nimport json, sys\nfrom ansible.module_utils.basic import AnsibleModule\n" +
    "m = AnsibleModule(argument_spec={'name': {'type': 'str', 'required': True}})\n" +
    "m.exit_json(changed=False, greeting='hello ' + m.params['name'])\n",
);

/** Times, durations and async job ids differ from run to run. */
function normal(text: string): string {
  return text
    .replace(/"(delta|start|end)": "[^"]*"/g, '"$1": "T"')
    .replace(/"(ansible_job_id|results_file)": "[^"]*"/g, '"$1": "J"');
}

interface Both {
  ours: Ran;
  theirs: Ran;
  tree?: { ours: Record<string, string>; theirs: Record<string, string> };
}

function readTree(d: string): Record<string, string> {
  if (!fs.existsSync(d)) return {};
  return Object.fromEntries(
    fs.readdirSync(d).sort().map((f) => [f, normal(fs.readFileSync(path.join(d, f), "utf8"))]),
  );
}

/** Both tools on the same arguments, each after `reset` (so files they change start the same). */
function both(args: string[], reset: () => void = () => {}): Both {
  const treeAt = args.indexOf("-t");
  reset();
  const theirs = runIn(dir, "/usr/bin/ansible", args);
  const theirTree = treeAt >= 0 ? readTree(path.join(dir, args[treeAt + 1])) : undefined;
  if (treeAt >= 0) fs.rmSync(path.join(dir, args[treeAt + 1]), { recursive: true, force: true });
  reset();
  const ours = runIn(dir, DENO, ["run", "-q", "-A", path.join(ROOT, "cli/main.ts"), "adhoc", ...args]);
  const ourTree = treeAt >= 0 ? readTree(path.join(dir, args[treeAt + 1])) : undefined;
  return { ours, theirs, ...(theirTree && ourTree ? { tree: { ours: ourTree, theirs: theirTree } } : {}) };
}

function assertSame(args: string[], reset?: () => void): Both {
  const r = both(args, reset);
  const shown = (x: Ran) => ({ code: x.code, stdout: normal(x.stdout), stderr: normal(x.stderr) });
  assertEquals(shown(r.ours), shown(r.theirs), args.join(" "));
  if (r.tree) assertEquals(r.tree.ours, r.tree.theirs);
  return r;
}

const file = path.join(dir, "touched");
const noFile = () => fs.rmSync(file, { force: true });

Deno.test("command, the default module: 'host | CHANGED | rc=0 >>' and its output; a failure exits 2", () => {
  const ok = assertSame(["-i", "hosts", "localhost", "-a", "echo hi"]);
  assertEquals(ok.ours.stdout, "localhost | CHANGED | rc=0 >>\nhi\n");
  const failed = assertSame([
    "-i",
    "hosts",
    "localhost",
    "-m",
    "shell",
    "-a",
    "echo out; echo err >&2; exit 3",
  ]);
  assertEquals(failed.ours.code, 2);
  assertSame(["-i", "hosts", "localhost", "-m", "raw", "-a", "echo raw"]);
});

Deno.test("-o: one line per host, command output with its newlines escaped", () => {
  assertSame(["-i", "hosts", "local", "-m", "ping", "-o", "-f", "1"]);
  assertSame(["-i", "hosts", "localhost", "-a", "printf 'a\\nb\\n'", "-o"]);
  assertSame(["-i", "hosts", "localhost", "-m", "shell", "-a", "echo out; echo err >&2; exit 3", "-o"]);
  assertSame(["-i", "hosts", "localhost", "-m", "debug", "-a", "msg=hello", "-o"]);
});

Deno.test("other modules: 'host | CHANGED => {json}', JSON arguments, extra vars, check mode", () => {
  assertSame(["-i", "hosts", "localhost", "-m", "file", "-a", `path=${file} state=touch`], noFile);
  assertSame(["-i", "hosts", "localhost", "-m", "file", "-a", `path=${file} state=touch`, "--check"], noFile);
  assertSame(["-i", "hosts", "localhost", "-m", "debug", "-a", '{"msg": "as json"}']);
  assertSame(["-i", "hosts", "localhost", "-m", "debug", "-a", "var=foo", "-e", "foo=bar"]);
  assertSame(["-i", "hosts", "localhost", "-a", "echo {{ foo }}", "-e", '{"foo": 3}']);
});

Deno.test("-t DIR: each host's result as JSON in DIR/HOST, beside the usual output", () => {
  const r = assertSame(["-i", "hosts", "local", "-m", "ping", "-t", "tree", "-f", "1"]);
  assertEquals(r.tree?.ours, {
    localhost: '{"changed": false, "ping": "pong"}',
    lh2: '{"changed": false, "ping": "pong"}',
  });
});

Deno.test("-B/-P: a background task polled to its end shows only its result", () => {
  assertSame(["-i", "hosts", "localhost", "-m", "shell", "-a", "sleep 1; echo done", "-B", "10", "-P", "1"]);
});

Deno.test("over ssh and with become, on the same engine as mito run", () => {
  assertSame(["-i", "hosts", "plain", "-a", "id -un"]);
  assertSame(["-i", "hosts", "localhost", "-b", "-a", "id -u"]);
  assertSame(["-i", "hosts", "all", "-l", "plain:localhost", "-m", "ping", "-f", "1"]);
});

Deno.test("-M DIR: a module from that directory; --ssh-common-args: added to the ssh command line", () => {
  assertSame(["-i", "hosts", "localhost", "-M", "library", "-m", "greet", "-a", "name=you"]);
  // bare has no known_hosts of its own: only the flag's options let ssh check the test sshd's key
  const knownHosts = `-o UserKnownHostsFile=${env.sshd.knownHosts} -o StrictHostKeyChecking=yes`;
  const r = assertSame(["-i", "hosts", "bare", "-m", "ping", "-o", `--ssh-common-args=${knownHosts}`]);
  assertEquals(r.ours.stdout, 'bare | SUCCESS => {"changed": false,"ping": "pong"}\n');
});

Deno.test("--become-password-file: the password read from the file; a missing file is ansible's error, exit 1", () => {
  fs.writeFileSync(path.join(dir, "become.pw"), "unused\n");
  assertSame(["-i", "hosts", "localhost", "-m", "ping", "-o", "-b", "--become-password-file", "become.pw"]);
  const r = assertSame(["-i", "hosts", "localhost", "-m", "ping", "--become-password-file", "absent.pw"]);
  assertEquals(r.ours.stderr, `ERROR! The password file ${path.join(dir, "absent.pw")} was not found\n`);
});

Deno.test("patterns and limits: no match warns and exits 0, an empty --limit is an error (1), --list-hosts", () => {
  assertSame(["-i", "hosts", "nomatch", "-m", "ping"]);
  assertSame(["-i", "hosts", "-l", "nomatch", "all", "-m", "ping"]);
  assertSame(["-i", "hosts", "local", "--list-hosts"]);
  // no inventory: the implicit localhost, without the empty-list warning for localhost's own names
  for (const pattern of ["localhost", "all"]) assertSame([pattern, "-m", "ping", "-o"]);
  assertSame(["-i", "hosts", "localhost", "-m", "ping", "-v"]);
});

Deno.test("an unknown module fails each host when it runs (exit 2), as ansible", () => {
  const r = both(["-i", "hosts", "localhost", "-m", "no_such_module", "-o"]);
  assertEquals([r.ours.code, r.ours.stderr], [r.theirs.code, r.theirs.stderr]);
  assertEquals(r.ours.code, 2);
  assert(r.ours.stdout.startsWith("localhost | FAILED! => {"), r.ours.stdout);
  assert(
    r.ours.stdout.includes('"msg": "The module no_such_module was not found in configured module paths"'),
  );
});

Deno.test("command without arguments: ansible's error and exit code 5, with one line and no help", () => {
  const r = both(["-i", "hosts", "localhost"]);
  assertEquals([r.ours.code, r.ours.stderr, r.ours.stdout], [
    5,
    "ERROR! No argument passed to command module\n",
    "",
  ]);
  assertEquals([r.theirs.code, r.theirs.stderr], [5, "ERROR! No argument passed to command module\n"]);
});

Deno.test("the play ansible builds: one task, no facts; async only with -B; timeout only when given", () => {
  const c = parseAdhocArgs([
    "web",
    "-m",
    "shell",
    "-a",
    "uptime",
    "-B",
    "30",
    "-P",
    "5",
    "--task-timeout",
    "9",
  ]);
  assertEquals(c.request.adhoc?.play, {
    name: "Ansible Ad-Hoc",
    hosts: "web",
    gather_facts: "no",
    tasks: [{ action: "shell uptime", async: 30, poll: 5, timeout: 9 }],
  });
  assertEquals(parseAdhocArgs(["all"]).request.adhoc?.play.tasks, [{ action: { module: "command" } }]);
  assertEquals(parseAdhocArgs(["all", "-m", "copy", "-a", '{"dest": "/x"}']).request.adhoc?.play.tasks, [{
    action: { module: "copy", dest: "/x" },
  }]);
});

Deno.test("mito adhoc --help: ansible's groups and flags", () => {
  const ours = runIn(dir, DENO, ["run", "-q", "-A", path.join(ROOT, "cli/main.ts"), "adhoc", "--help"]);
  const theirs = runIn(dir, "/usr/bin/ansible", ["--help"]);
  const flags = (t: string) =>
    [...t.matchAll(/^ {2}(-\S.*?)(?: {2}|$)/gm)].flatMap((m) => m[1].split(", ").map((f) => f.split(" ")[0]))
      .sort();
  const sections = (t: string) => t.split("\n").filter((l) => /^\S.*:$/.test(l));
  assertEquals(ours.code, 0);
  assertEquals(sections(ours.stdout), sections(theirs.stdout));
  // mito's own additions: -J (--ask-vault-password's short form) and --no-progress
  const own = ["-J", "--no-progress"];
  assertEquals(flags(ours.stdout).filter((f) => !own.includes(f)), flags(theirs.stdout));
  assertEquals(own.filter((f) => !flags(ours.stdout).includes(f)), []);
});
