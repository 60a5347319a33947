// The self-checking playbooks in tests/playbooks, run by ansible-playbook and by `mito run`: the same
// exit code and the same screen output (for one host, the whole stdout; for several hosts, whose
// result order in Ansible depends on timing, the same lines and the same recap).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./_assert.ts";
import { inCleanEnv } from "./_run.ts";

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const DIR = path.join(ROOT, "tests/playbooks");
const DENO = path.join(ROOT, "node_modules/deno/deno");
const ANSIBLE = "/usr/bin/ansible-playbook";

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(cmd: string, args: string[], env: Record<string, string> = {}, cwd = DIR, input = ""): Ran {
  const clean = { PATH: "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", LANG: "C.UTF-8", ...env };
  const [exe, argv] = inCleanEnv(clean, cmd, args);
  const r = spawnSync(exe, argv, { cwd, input, encoding: "utf8", timeout: 120_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const ansible = (args: string[], env: Record<string, string> = {}, input = "") => {
  if (!fs.existsSync(ANSIBLE)) {
    throw new Error(`${ANSIBLE} is needed for these tests (Debian package ansible-core)`);
  }
  const cfg = { ANSIBLE_CONFIG: path.join(DIR, "ansible.cfg"), ANSIBLE_NOCOLOR: "1", ...env };
  return exec(ANSIBLE, args, cfg, DIR, input);
};
const mito = (args: string[], env: Record<string, string> = {}, input = "") =>
  exec(DENO, ["run", "-A", path.join(ROOT, "cli/main.ts"), "run", ...args], env, DIR, input);

function recap(out: string): string {
  return out.slice(out.lastIndexOf("PLAY RECAP"));
}

function same(name: string, args: string[], code = 0, env: Record<string, string> = {}): void {
  Deno.test(`${name}: mito prints exactly what ansible-playbook prints`, () => {
    const a = ansible(args, env);
    const m = mito(["-i", "hosts.ini", ...args], env);
    assertEquals(m.stderr.replace(/\[WARNING\].*\n/g, ""), a.stderr.replace(/\[WARNING\].*\n/g, ""));
    assertEquals(m.code, code);
    assertEquals(m.code, a.code);
    assertEquals(m.stdout, a.stdout);
  });
}

same("variable precedence and magic variables", [
  "precedence.yml",
  "-e",
  "from_extra=cli",
  "-e",
  "over_extra=cli",
]);
same("loops, with_* lookups and registered loop results", ["loops.yml"]);
same("string mode templating: numbers stay text, lists and booleans come back", ["string_mode.yml"]);
same("blocks, rescue/always, failed_when/changed_when, until", ["blocks.yml"]);
same(
  "until/retries: failed_when and changed_when read attempts, failed_when decides after the retries run out",
  [
    "until_retries.yml",
  ],
);
same(
  "keywords and magic variables: ansible_host, serial and diff templated to omit, a templated action:, " +
    "group_by parents and their group_vars, an invalid boolean keyword",
  ["keywords.yml"],
  0,
  // Ansible lists the valid booleans from a set: its order is fixed by the hash seed
  { PYTHONHASHSEED: "0" },
);
same("no_log = True from the configuration (ANSIBLE_NO_LOG) hides every result", ["no_log_default.yml"], 0, {
  ANSIBLE_NO_LOG: "1",
});
Deno.test("group_by keeps a dash in a group name and warns, as ansible-core 2.14 (never transformed)", () => {
  const args = ["-i", "hosts.ini", "group_by_names.yml"];
  const a = ansible(args);
  const m = mito(args);
  assertEquals([m.code, m.stdout, m.stderr], [a.code, a.stdout, a.stderr]);
  assertStringIncludes(m.stdout, '"msg": [\n        "a-b",\n        "local",\n        "x-y"\n    ]');
  assertStringIncludes(m.stderr, "[WARNING]: Invalid characters were found in group names but not replaced");
});
same("handlers, listen and flush_handlers", ["handlers.yml"]);
same("include_tasks/import_tasks/include_role/import_role/import_playbook", ["includes.yml"]);
same("controller actions: add_host, group_by, include_vars, no_log, delegate_facts, meta", [
  "controller.yml",
]);
same("roles: when/tags on entries, include_role public/vars_from, role handlers, --check", [
  "roles.yml",
  "--check",
]);
same("roles placed once per play unless params differ or allow_duplicates; include_role and dependencies", [
  "role_dedup.yml",
]);
same("--start-at-task", ["start.yml", "--start-at-task", "second"]);
same("how results print (var/msg, unicode, floats, failed_when, quiet)", ["display.yml"]);
same("a rescue that fails again", ["failing_rescue.yml"], 2);
same("module names routed to collections (ansible-core's and a collection's runtime.yml)", ["routing.yml"]);
same("big values: a 20 MB output registered, written back and looked up exactly; arguments templated once", [
  "big_values.yml",
]);
same("undefined variables: Ansible's messages, hints of templated values, hostvars, loops, conditionals", [
  "undefined.yml",
]);
same("an include_role whose name is undefined stops the run", ["errors/include_role_undefined.yml"], 1);
same(
  "search paths: a role's lookups and files, its dependency chain, lookup terms templated, lookup errors",
  [
    "search_paths.yml",
  ],
);
same("task arguments: k=v escapes and words as Ansible splits them, arguments from a templated string", [
  "task_args.yml",
]);
same(
  'drop-in arguments: copy content="hello\\n", with_sequence end="{{ n }}", command/shell cmd:, ' +
    "list-of-dict variables with big templated members, filters refusing extra arguments",
  ["dropin_args.yml"],
);
same(
  "become plugins' variables: ansible_sudo_user/_exe/_flags and ansible_su_user are used, the last listed winning",
  [
    "become_vars.yml",
  ],
);
same("vault: an encrypted vars file and an inline !vault value", [
  "vault.yml",
  "--vault-password-file",
  "vault_pass.txt",
]);
same("--tags and --skip-tags with always and never", [
  "tags.yml",
  "--tags",
  "selected",
  "--skip-tags",
  "skipped_tag",
]);

Deno.test("async loop with poll: 0 collected by async_status over the loop's results, as ansible-playbook", () => {
  // how many retries a job needs depends on timing: those lines are left out
  const settled = (out: string) => out.replace(/^FAILED - RETRYING: .*\n/gm, "");
  const a = ansible(["async_loop.yml"]);
  const m = mito(["-i", "hosts.ini", "async_loop.yml"]);
  assertEquals([m.code, a.code], [0, 0]);
  assertStringIncludes(m.stdout, '"hi-from-job-1",\n        "hi-from-job-2"');
  assertEquals(settled(m.stdout), settled(a.stdout));
});

Deno.test("--step: y runs a task, n skips it, c runs it and the rest without asking, as in ansible-playbook", () => {
  const answers = "y\nn\ny\nc\n";
  const a = ansible(["--step", "step.yml"], {}, answers);
  const m = mito(["-i", "hosts.ini", "--step", "step.yml"], {}, answers);
  assertEquals([m.code, m.stdout], [a.code, a.stdout]);
  assertStringIncludes(m.stdout, "Perform task: TASK: second {{ 'x' }} (N)o/(y)es/(c)ontinue: ");
  assert(!m.stdout.includes('"msg": "two"'), m.stdout);
  // Nobody left to answer: the run stops there, with a clear error.
  const ended = mito(["-i", "hosts.ini", "--step", "step.yml"], {}, "y\n");
  assertEquals(ended.code, 1);
  assertStringIncludes(ended.stderr, "--step: no answer, stdin has ended");
  assert(!ended.stdout.includes("TASK [second"), ended.stdout);
});

function sameOnSeveralHosts(name: string, file: string, code: number): void {
  Deno.test(`${name}: same results, same recap, same exit code on several hosts`, () => {
    const a = ansible(["-i", "hosts_multi.ini", file]);
    const m = mito(["-i", "hosts_multi.ini", file]);
    assertEquals(m.code, code);
    assertEquals(m.code, a.code);
    assertEquals(recap(m.stdout), recap(a.stdout));
    // Results as a multiset; banners as a set (Ansible's free strategy repeats a banner whenever
    // results of different tasks interleave, which depends on timing), and the hosts of an `included:`
    // line as a set (Ansible lists them in the order their results arrived).
    const includedHosts = (l: string) =>
      l.replace(
        /^(included: .* for )(.*)$/,
        (_m, head: string, hosts: string) => head + hosts.split(", ").sort().join(", "),
      );
    const results = (out: string) =>
      out.split("\n").filter((l) => l && !/^(TASK|RUNNING HANDLER) \[/.test(l)).map(includedHosts).sort();
    const banners = (out: string) =>
      [...new Set(out.split("\n").filter((l) => /^(TASK|RUNNING HANDLER) \[/.test(l)))].sort();
    assertEquals(results(m.stdout), results(a.stdout));
    assertEquals(banners(m.stdout), banners(a.stdout));
  });
}

sameOnSeveralHosts("lockstep with a failing host, run_once, serial batches", "multihost.yml", 2);
sameOnSeveralHosts("free and host_pinned strategies, max_fail_percentage", "strategies.yml", 2);
sameOnSeveralHosts("any_errors_fatal", "fatal.yml", 2);
sameOnSeveralHosts(
  "any_errors_fatal: a failure caught by rescue/always still runs the always",
  "fatal_always.yml",
  2,
);
sameOnSeveralHosts("per-host vars_files, include_tasks apply, first_found/fileglob, throttle", "more.yml", 0);
sameOnSeveralHosts("serial list with a percentage, order, host pattern exclusion", "serial.yml", 0);
sameOnSeveralHosts("meta end_host/end_play/clear_host_errors, import_playbook with when", "meta.yml", 0);

Deno.test("Mitogen's strategy names (play keyword, ANSIBLE_STRATEGY, ansible.cfg) run as linear, host_pinned, free", () => {
  const dir = Deno.makeTempDirSync();
  const log = path.join(dir, "order.log");
  const flag = path.join(dir, "flag");
  const vars = ["-e", `log=${log}`, "-e", `flag=${flag}`];
  const order = (args: string[], env: Record<string, string> = {}) => {
    fs.rmSync(log, { force: true });
    const m = mito(["-i", "hosts_multi.ini", "mitogen_strategies.yml", ...vars, "-f", "1", ...args], env);
    assertEquals(m.code, 0, m.stdout + m.stderr);
    return fs.readFileSync(log, "utf8").trim().split("\n");
  };
  try {
    const lockstep = ["web1", "web2", "db1", "web1", "web2", "db1"];
    const pinned = ["web1", "web1", "web2", "web2", "db1", "db1"];
    assertEquals(order(["--tags", "order"]), [...lockstep, ...pinned]);
    assertEquals(order(["--tags", "configured"], { ANSIBLE_STRATEGY: "mitogen_host_pinned" }), pinned);
    const cfg = path.join(dir, "ansible.cfg");
    fs.writeFileSync(cfg, "[defaults]\nstrategy = mitogen_host_pinned\nretry_files_enabled = false\n");
    assertEquals(order(["--tags", "configured"], { ANSIBLE_CONFIG: cfg }), pinned);
    assertEquals(order(["--tags", "configured"], { ANSIBLE_STRATEGY: "mitogen_linear" }), lockstep);
    const free = mito([
      "-i",
      "hosts_multi.ini",
      "mitogen_strategies.yml",
      ...vars,
      "-f",
      "3",
      "--tags",
      "free",
    ]);
    assertEquals(free.code, 0, free.stdout);
    assertStringIncludes(free.stdout, "web1                       : ok=1    changed=0");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("exit codes and messages of ansible-playbook for bad command lines, missing files and empty selections", () => {
  const cases: [string[], number][] = [
    [["--bogus-opt", "loops.yml"], 2],
    [[], 2],
    [["--forks", "abc", "loops.yml"], 2],
    [["-f", "0", "loops.yml"], 2],
    [["no_such_playbook.yml"], 1],
    [["-l", "no_such_host", "loops.yml"], 1],
    [["--start-at-task", "no such task", "loops.yml"], 0],
  ];
  for (const [args, code] of cases) {
    const a = ansible(args);
    const m = mito(args);
    assertEquals([args, m.code], [args, code]);
    assertEquals([args, m.code], [args, a.code]);
    // argument errors are worded by each tool's own parser; the rest say what ansible-playbook says
    if (code !== 2) assertEquals([args, m.stdout, m.stderr], [args, a.stdout, a.stderr]);
  }
});

Deno.test("json output has the shape of Ansible's json callback", () => {
  const a = JSON.parse(ansible(["loops.yml"], { ANSIBLE_STDOUT_CALLBACK: "json" }).stdout);
  const m = JSON.parse(mito(["-i", "hosts.ini", "--output", "json", "loops.yml"]).stdout);
  assertEquals(m.stats, a.stats);
  assertEquals(Object.keys(m).sort(), Object.keys(a).sort());
  const names = (doc: any) => doc.plays.map((p: any) => [p.play.name, p.tasks.map((t: any) => t.task.name)]);
  assertEquals(names(m), names(a));
  const keys = (doc: any) =>
    doc.plays.flatMap((p: any) =>
      p.tasks.map((t: any) => Object.keys(t.hosts.localhost).filter((k) => !k.startsWith("_")).sort())
    );
  assertEquals(keys(m), keys(a));
});

Deno.test("--list-tasks/--list-tags/--list-hosts and --syntax-check print what ansible-playbook prints", () => {
  for (const flags of [["--list-tasks", "--list-hosts", "--list-tags"], ["--syntax-check"]]) {
    const a = ansible(["tags.yml", ...flags]);
    const m = mito(["-i", "hosts.ini", "tags.yml", ...flags]);
    assertEquals(m.code, 0);
    assertEquals(m.stdout, a.stdout);
  }
});

function badInput(name: string, file: string, code: number, parts: string[]): void {
  Deno.test(`error: ${name} gives exit code ${code} and names the file and line`, () => {
    const m = mito(["-i", "localhost,", `errors/${file}`]);
    assertEquals(m.code, code);
    const text = m.stdout + m.stderr;
    for (const p of parts) assertStringIncludes(text, p);
    assertEquals(ansible(["-i", "localhost,", "-c", "local", `errors/${file}`]).code, code);
  });
}

badInput("a module whose routing ends at a tombstone", "tombstoned.yml", 1, [
  "ERROR! [DEPRECATED]: ansible.builtin.bigip_facts has been removed. bigip_facts has been removed please use " +
  "bigip_device_info module. This feature was removed from ansible-core in a release after 2019-11-06. " +
  "Please update your playbooks.",
]);
badInput("an unknown task keyword", "unknown_keyword.yml", 4, [
  "'whenn' is not a valid attribute for a Task",
  `'${DIR}/errors/unknown_keyword.yml': line 5, column 7`,
]);
badInput("an unknown play keyword", "play_keyword.yml", 4, [
  "'taks' is not a valid attribute for a Play",
  `'${DIR}/errors/play_keyword.yml': line 1, column 3`,
]);
badInput("malformed YAML", "bad_yaml.yml", 4, [
  "Syntax Error while loading YAML",
  `'${DIR}/errors/bad_yaml.yml': line 7`,
]);
badInput("an undefined variable", "undefined_var.yml", 2, [
  "fatal: [localhost]: FAILED!",
  "'not_defined_anywhere' is undefined",
  `'${DIR}/errors/undefined_var.yml': line 5, column 7`,
  "failed=1",
]);

Deno.test("a missing role: the roles: entry's file, line, column and offending line, and exit code 1, as ansible-playbook", () => {
  const a = ansible(["-i", "localhost,", "missing_role.yml"]);
  const m = mito(["-i", "localhost,", "missing_role.yml"]);
  assertEquals([m.code, a.code], [1, 1]);
  assertEquals(m.stderr, a.stderr);
  assertEquals(m.stdout, a.stdout);
  assertStringIncludes(
    m.stderr,
    `The error appears to be in '${DIR}/missing_role.yml': line 7, column 7, but may\n` +
      "be elsewhere in the file depending on the exact syntax problem.\n\n" +
      "The offending line appears to be:\n\n      when: false\n    - no_such_role\n      ^ here\n",
  );
});

Deno.test("a wrong vault password stops the run before the play starts, naming the file", () => {
  const wrong = path.join(Deno.makeTempDirSync(), "wrong.txt");
  fs.writeFileSync(wrong, "wrong\n");
  const a = ansible(["vault.yml", "--vault-password-file", wrong]);
  const m = mito(["vault.yml", "--vault-password-file", wrong]);
  assertEquals(m.code, 1);
  assertEquals(m.code, a.code);
  assertEquals(m.stdout, a.stdout);
  assertStringIncludes(
    m.stderr,
    `Decryption failed (no vault secrets were found that could decrypt) on ${DIR}/vars/vaulted.yml`,
  );
});

Deno.test("vars_prompt without a default fails clearly when not on a terminal", () => {
  const file = path.join(DIR, "errors/prompt.yml");
  const m = mito(["-i", "localhost,", file]);
  assertEquals(m.code, 1);
  assertStringIncludes(m.stderr, "vars_prompt 'secret' needs an answer");
  const given = mito(["-i", "localhost,", file, "-e", "secret=x"]);
  assertEquals(given.code, 0);
  assert(given.stdout.includes("ok=1"));
});

Deno.test("the README example runs against the implicit localhost with no inventory, as ansible-playbook", () => {
  const site = path.join(ROOT, "examples/site.yml");
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "mito-example-"));
  const fresh = () => fs.rmSync(path.join(root, "out"), { recursive: true, force: true });
  const args = [site, "-e", `root=${path.join(root, "out")}`];
  try {
    fresh();
    const m = exec(DENO, ["run", "-A", path.join(ROOT, "cli/main.ts"), "run", ...args], {}, ROOT);
    const written = fs.readFileSync(path.join(root, "out/servers.conf"), "utf8");
    fresh();
    const a = exec(ANSIBLE, args, {}, ROOT);
    assertEquals(m.code, 0);
    assertStringIncludes(m.stdout, `"msg": "2 servers written to ${path.join(root, "out")}/servers.conf"`);
    assertEquals(m.stdout, a.stdout);
    assertEquals(m.stderr, a.stderr);
    assertEquals(written, fs.readFileSync(path.join(root, "out/servers.conf"), "utf8"));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

Deno.test("-vv and -vvv detail (task paths, META lines, full results) matches ansible-playbook", () => {
  // Ansible's version banner is its own; from the config file line on (the callbacks it skips) all agree
  // but the -vvv lines of its inventory plugins trying each source, which mito does not print.
  const body = (out: string) =>
    out.slice(out.indexOf("\nUsing ")).replace(/^(\w+ declined parsing|Parsed) .* (method|plugin)\n/gm, "");
  for (const args of [["blocks.yml", "-vv"], ["controller.yml", "-vv"], ["loops.yml", "-vvv"]]) {
    const a = ansible(args);
    const m = mito(args);
    assertEquals(m.code, a.code);
    assertEquals(body(m.stdout), body(a.stdout));
  }
  // -vv starts, as ansible-playbook's does, with what runs and its configuration, then the config file used
  const header = (out: string) => out.slice(0, out.indexOf("\nUsing ")).split("\n");
  const m = header(mito(["start.yml", "-vv"]).stdout);
  const a = header(ansible(["start.yml", "-vv"]).stdout);
  assertMatch(a[0], /^ansible-playbook \[core 2\.14\.\d+\]$/);
  assertMatch(m[0], /^mito run \[mito \d+\.\d+\.\d+\]$/);
  assertEquals(m[1], a[1]);
  assertEquals(m[1], `  config file = ${DIR}/ansible.cfg`);
  // the lines both have are equal; where Ansible names its Python, Jinja and libyaml, mito its runtime
  assertEquals(
    m.slice(2, 4),
    a.filter((l) => /^ {2}(configured module search path|ansible collection location) = /.test(l)),
  );
  assertEquals(m.slice(2).map((l) => l.replace(/ = .*/, "")), [
    "  configured module search path",
    "  ansible collection location",
    "  executable location",
    "  runtime",
    "  ansible-core compatibility",
  ]);
  assertStringIncludes(mito(["start.yml", "-v"]).stdout.split("\n")[0], "Using ");
});

Deno.test("colours: forced on, they match ansible-playbook's ANSI sequences", () => {
  const env = { ANSIBLE_NOCOLOR: "0", ANSIBLE_FORCE_COLOR: "1" };
  const a = ansible(["blocks.yml"], env);
  const m = mito(["blocks.yml"], env);
  assertStringIncludes(m.stdout, "\x1b[0;32mok: [localhost]\x1b[0m");
  assertEquals(m.stdout, a.stdout);
});

Deno.test("json output with free/host_pinned strategies records one task entry per host, as Ansible's", () => {
  const a = JSON.parse(
    ansible(["-i", "hosts_multi.ini", "strategies.yml"], { ANSIBLE_STDOUT_CALLBACK: "json" }).stdout,
  );
  const m = JSON.parse(mito(["-i", "hosts_multi.ini", "--output", "json", "strategies.yml"]).stdout);
  const shape = (doc: any) =>
    doc.plays.map((
      p: any,
    ) => [p.play.name, p.tasks.map((t: any) => `${t.task.name}:${Object.keys(t.hosts).sort()}`).sort()]);
  assertEquals(shape(m), shape(a));
  assertEquals(m.stats, a.stats);
});
same("registered results and module facts are unsafe: their text is never templated again", ["unsafe.yml"]);
