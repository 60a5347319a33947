// `mito stack HOST`: the hops as mitogen_get_stack-shaped JSON, compared with expected files.
import * as fs from "node:fs";
import * as path from "node:path";
import { assertEquals, assertStringIncludes, assertThrows } from "./_assert.ts";
import { DENO, ROOT, runIn } from "./_run.ts";
import { parseStackArgs } from "../cli/cmd_stack.ts";
import { UsageError } from "../cli/errors.ts";

const DIR = path.join(ROOT, "tests/fixtures/stack");
const mitoStack = (...args: string[]) =>
  runIn(DIR, DENO, ["run", "-A", path.join(ROOT, "cli/bin.ts"), "stack", ...args]);
const expected = (name: string) => JSON.parse(fs.readFileSync(path.join(DIR, name), "utf8"));

const CASES: [string[], string][] = [
  [["web1", "-i", "hosts.yml"], "expected_web1.json"],
  [["deep", "-i", "hosts.yml", "-b"], "expected_deep_become.json"],
  [["ctr", "-i", "hosts.yml"], "expected_ctr.json"],
  [
    ["local1", "-i", "hosts.yml", "-b", "--become-method", "su", "--become-user", "postgres"],
    "expected_local_su.json",
  ],
  [["bastion", "-i", "hosts.yml", "-c", "docker", "-e", "ansible_user=root"], "expected_bastion_docker.json"],
  // The implicit localhost: local, with the controller's python, and the task's become.
  [["web1", "-i", "hosts.yml", "--delegate-to", "localhost", "-b"], "expected_delegate_localhost.json"],
];

for (const [args, file] of CASES) {
  Deno.test(`mito stack ${args.join(" ")} prints ${file}`, () => {
    const r = mitoStack(...args);
    assertEquals(r.stderr, "");
    assertEquals(r.code, 0);
    assertEquals(JSON.parse(r.stdout), expected(file));
    assertEquals(r.stdout.includes("s3cret") || r.stdout.includes("innerpw"), false);
  });
}

Deno.test("mito stack --show-passwords prints the intermediary's become password from its own variables", () => {
  const r = mitoStack("deep", "-i", "hosts.yml", "--show-passwords");
  assertEquals(r.code, 0);
  const hops = JSON.parse(r.stdout) as { kwargs: Record<string, unknown>; method: string }[];
  assertEquals(hops.map((h) => h.method), ["ssh", "ssh", "su", "docker"]);
  assertEquals(hops[2].kwargs.password, "innerpw");
});

Deno.test("a mitogen_via loop exits 1 naming the chain", () => {
  const r = mitoStack("loop_a", "-i", "hosts.yml");
  assertEquals(r, {
    code: 1,
    stdout: "",
    stderr: "mito: error: mitogen_via loop: loop_a -> loop_b -> loop_a\n",
  });
});

Deno.test("an unknown host is a usage error", () => {
  const r = mitoStack("nowhere", "-i", "hosts.yml");
  assertEquals(r.code, 5);
  assertStringIncludes(r.stderr, "'nowhere' must name exactly one inventory host");
});

Deno.test("parseStackArgs maps the options to play keywords", () => {
  assertEquals(
    parseStackArgs(["h", "-b", "--become-user", "u", "-c", "local", "-u", "me", "--delegate-to", "d"]),
    {
      host: "h",
      inventory: [],
      extraVars: [],
      keywords: { connection: "local", remote_user: "me", become: true, become_user: "u", delegate_to: "d" },
      showPasswords: false,
      vaultPasswordFiles: [],
      vaultIds: [],
    },
  );
  assertEquals(parseStackArgs(["--help"]), undefined);
  assertThrows(() => parseStackArgs([]), UsageError, "exactly one HOST");
});
