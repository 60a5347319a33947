// Help and refused command lines: every command's --help lists the flags its parser accepts, in
// ansible-playbook's groups and layout, and a bad command line is one line on stderr with the exit code
// ansible-playbook gives the same mistake.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { DENO, ROOT, runIn } from "./_run.ts";
import { helpText, parseCommand } from "../cli/_options.ts";
import { runSpec } from "../cli/run_args.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-help-"));
fs.writeFileSync(path.join(dir, "ansible.cfg"), "");
globalThis.addEventListener("unload", () => fs.rmSync(dir, { recursive: true, force: true }));
fs.writeFileSync(path.join(dir, "p.yml"), "- hosts: localhost\n  gather_facts: false\n  tasks: []\n");
const mito = (...args: string[]) =>
  runIn(dir, DENO, ["run", "-q", "-A", path.join(ROOT, "cli/main.ts"), ...args]);

Deno.test("mito run --help and -h: ansible-playbook's groups, every flag the parser accepts, exit 0", () => {
  const long = mito("run", "--help");
  const short = mito("run", "-h");
  assertEquals([long.code, short.code, long.stderr], [0, 0, ""]);
  assertEquals(short.stdout, long.stdout);
  const text = long.stdout;
  assert(text.startsWith("usage: mito run [-h] [--version] [-v] [-i INVENTORY]"), text.slice(0, 200));
  const sections = text.split("\n").filter((l) => /^\S.*:$/.test(l));
  assertEquals(sections, [
    "positional arguments:",
    "options:",
    "Connection Options:",
    "Privilege Escalation Options:",
  ]);
  // Each of ansible-playbook's options appears, each under the same group as ansible-playbook's help.
  const ansible = runIn(dir, "/usr/bin/ansible-playbook", ["--help"]).stdout;
  const flagsIn = (help: string, section: string) => {
    const start = help.indexOf(`\n${section}:\n`);
    const rest = help.slice(start + section.length + 3);
    const end = rest.search(/\n\S[^\n]*:\n/);
    const heads = [...(end < 0 ? rest : rest.slice(0, end)).matchAll(/^ {2}(-\S.*?)(?: {2}|$)/gm)].map((m) =>
      m[1]
    );
    return new Set(heads.flatMap((h) => h.split(", ").map((f) => f.split(" ")[0])));
  };
  for (const section of ["Connection Options", "Privilege Escalation Options"]) {
    assertEquals(flagsIn(text, section), flagsIn(ansible, section), section);
  }
  const ours = flagsIn(text, "options");
  assertEquals([...flagsIn(ansible, "options")].filter((f) => !ours.has(f)), []);
  // mito's own additions to the general options
  assertEquals([...ours].filter((f) => !flagsIn(ansible, "options").has(f)), [
    "--no-progress",
    "--output",
    "--slice",
    "-J",
  ]);
});

Deno.test("help layout: short flags and metavars, help in the 24th column or on the next line, wrapped at 78", () => {
  const text = helpText(runSpec("ansible-playbook"));
  const lines = text.split("\n");
  assert(lines.includes("  -h, --help            show this help message and exit"));
  assert(lines.includes("  -t TAGS, --tags TAGS  run only plays and tasks with these tags"));
  const i = lines.indexOf("  --skip-tags SKIP_TAGS");
  assertEquals(lines[i + 1], "                        run only plays and tasks without these tags");
  for (const l of lines) if (!l.includes(", --")) assert(l.length <= 78, l);
});

Deno.test("every flag in mito run's help is one its parser accepts", () => {
  const spec = runSpec();
  for (const line of helpText(spec).split("\n")) {
    const m = /^ {2}(-\w|--[\w-]+)( [A-Z_]+)?/.exec(line);
    if (!m || m[1] === "-h" || m[1] === "--help") continue;
    const args = m[2] ? [m[1], "VALUE", "p.yml"] : [m[1], "p.yml"];
    const parsed = parseCommand(spec, args);
    assertEquals(parsed.positionals, ["p.yml"], line);
  }
});

Deno.test("argparse's conventions: -vvv counts, -ivalue, --opt=value, unique prefixes, --", () => {
  const { values, positionals } = parseCommand(runSpec(), [
    "-vvvb",
    "-ihosts",
    "--limit=web",
    "--start-at=Install",
    "--",
    "-odd.yml",
  ]);
  assertEquals(values.verbose, 3);
  assertEquals(values.become, true);
  assertEquals(values.inventory, ["hosts"]);
  assertEquals(values.limit, ["web"]);
  assertEquals(values["start-at-task"], "Install");
  assertEquals(positionals, ["-odd.yml"]);
});

Deno.test("a refused command line: one line, ansible-playbook's exit code (2) for the same mistake", () => {
  const cases: [string[], string][] = [
    [["--no-such-flag", "p.yml"], "mito run: error: unrecognized arguments: --no-such-flag\n"],
    [["-f", "many", "p.yml"], "mito run: error: argument -f/--forks: invalid int value: 'many'\n"],
    [["p.yml", "-i"], "mito run: error: argument -i/--inventory: expected one argument\n"],
    [[], "mito run: error: the following arguments are required: playbook\n"],
  ];
  for (const [args, stderr] of cases) {
    const ours = mito("run", ...args);
    const theirs = runIn(dir, "/usr/bin/ansible-playbook", args);
    assertEquals({ code: ours.code, stderr: ours.stderr, stdout: ours.stdout }, {
      code: theirs.code,
      stderr,
      stdout: "",
    });
  }
});

Deno.test("the other commands: --help exits 0 and lists -h; an unknown flag is one line and exit 2", () => {
  for (const cmd of ["adhoc", "inventory", "vault", "stack", "install-links", "doc"]) {
    const help = mito(cmd, "--help");
    assertEquals(help.code, 0, cmd);
    assert(help.stdout.includes("-h, --help"), `${cmd}: ${help.stdout}`);
    const bad = mito(cmd, "--bogus", "x");
    assertEquals([bad.code, bad.stderr, bad.stdout], [
      2,
      `mito ${cmd}: error: unrecognized arguments: --bogus\n`,
      "",
    ]);
  }
  const top = mito("--help");
  assertEquals(top.code, 0);
  for (const cmd of ["run", "adhoc", "inventory", "vault", "stack", "doc", "install-links"]) {
    assert(top.stdout.includes(`\n  ${cmd} `), cmd);
  }
  const unknown = mito("frobnicate");
  assertEquals([unknown.code, unknown.stderr], [
    2,
    "mito: error: unknown command 'frobnicate'; see 'mito --help'\n",
  ]);
});
