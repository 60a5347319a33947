// Behaviours seen to part from ansible-core 2.14 in real playbooks (issue 19), side by side with
// ansible-playbook on tests/fixtures/conformance_fixes: the same stdout, stderr and exit code.
import * as fs from "node:fs";
import * as os from "node:os";
import { join } from "node:path";
import { assertEquals, assertMatch, assertStringIncludes } from "./_assert.ts";
import { DENO, mitoIn, type Ran, ROOT, runIn } from "./_run.ts";
import { assertSameAsAnsible, type SideBySide } from "./_side_by_side.ts";

const DIR = join(ROOT, "tests/fixtures/conformance_fixes");

function same(name: string, argv: string[], code: number, o: SideBySide = {}): void {
  Deno.test(`${name}, as ansible-playbook`, () => {
    assertSameAsAnsible(DIR, ["-i", "hosts.ini", ...argv], code, o);
  });
}

same(
  "delegate_to naming the loop item: each item on its own delegate (label, result, ansible_delegated_vars, " +
    "delegate_facts), a task failing before its items labelled with the delegate as written",
  ["delegate_loop.yml"],
  0,
  { expect: "ok: [localhost -> h1(127.0.0.1)] => (item=h1)" },
);

for (const verbosity of [[], ["-v"]]) {
  same(
    `add_host and group_by in a loop${
      verbosity.length ? " at -v" : ""
    }: a line per item, changed where the inventory changed`,
    [...verbosity, "in_loop.yml"],
    0,
    { expect: "ok: [localhost] => (item=again)" },
  );
}

/** `cmd args` in the fixture folder with stderr merged into stdout, to compare where warnings fall. */
function merged(cmd: string, args: string[]): Ran {
  return runIn(DIR, "/bin/sh", ["-c", 'exec "$@" 2>&1', "sh", cmd, ...args]);
}

Deno.test("a reserved variable name's warning comes before the play's banner, as ansible-playbook", () => {
  const argv = ["-i", "hosts.ini", "reserved.yml"];
  const a = merged("/usr/bin/ansible-playbook", argv);
  const m = merged(DENO, ["run", "-A", join(ROOT, "cli/main.ts"), "run", ...argv]);
  assertStringIncludes(
    a.stdout,
    "[WARNING]: Found variable using reserved name: environment\n\nPLAY [localhost]",
  );
  assertEquals(m.stdout, a.stdout);
  assertEquals([m.code, a.code], [0, 0]);
});

// Each kind of refused -e, with Ansible's exit code and error (its usage text on stdout and the inventory
// warnings before the error are not compared: mito has neither).
for (
  const [spec, code] of [
    ["[1, 2]", 5],
    ["@empty_vars.yml", 5],
    ["./vars.yml", 5],
    ["@missing.yml", 1],
    ["@.", 4],
  ] as const
) {
  Deno.test(`-e '${spec}' is refused with ansible-playbook's error and exit code ${code}`, () => {
    const argv = ["-i", "hosts.ini", "reserved.yml", "-e", spec];
    const a = runIn(DIR, "/usr/bin/ansible-playbook", argv);
    const m = mitoIn(DIR, argv);
    const error = (r: Ran) => r.stderr.slice(r.stderr.indexOf("ERROR!"));
    assertEquals(a.code, code, a.stderr);
    assertEquals(error(m), error(a));
    assertEquals(m.code, code);
  });
}

same(
  "the old include's file is its tasks' _raw_params; a looped include's tasks see their item's label",
  ["raw_params.yml"],
  0,
  { expect: "raw_params_tasks.yml for localhost => (item=L1)" },
);

Deno.test("copy, template and file results at -v are ansible-playbook's (the written file's src a temporary path)", () => {
  const tmp = fs.mkdtempSync(join(os.tmpdir(), "mito-files-results-"));
  try {
    const run = (name: string, tool: (dir: string, argv: string[]) => Ran): Ran => {
      const dir = join(tmp, name);
      fs.cpSync(join(DIR, "files_results"), dir, { recursive: true });
      return tool(dir, ["-v", "-i", "hosts.ini", "play.yml"]);
    };
    const a = run("ansible", (dir, argv) => runIn(dir, "/usr/bin/ansible-playbook", argv));
    const m = run("mito", mitoIn);
    // where the written content came from is a temporary file of each tool's own: its name is not compared
    const srcs = (r: Ran) => [...r.stdout.matchAll(/"src": ("[^"]*"|null)/g)].map((x) => x[1]);
    const masked = (r: Ran) => r.stdout.replaceAll(/"src": "[^"]*"/g, '"src": "…"');
    assertEquals(a.code, 0, a.stdout + a.stderr);
    assertEquals(srcs(a).length, 4);
    for (const src of srcs(m)) {
      assertMatch(src, new RegExp(`^"${join(tmp, "mito", "out")}/\\.mito_tmp_\\w+"$`));
    }
    assertEquals(masked(m), masked(a));
    assertEquals([m.stderr, m.code], [a.stderr, 0]);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
