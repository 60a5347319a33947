import { assertEquals, assertThrows } from "../tests/_assert.ts";
import { parseRunArgs } from "./run_args.ts";
import { UsageError } from "./errors.ts";

Deno.test("run accepts ansible-playbook's short flags and counts -v", () => {
  const o = parseRunArgs([
    "-i",
    "hosts",
    "-l",
    "web",
    "-e",
    "a=1",
    "-e",
    "@vars.yml",
    "-vvv",
    "-b",
    "-C",
    "site.yml",
  ]);
  assertEquals(o.playbooks, ["site.yml"]);
  assertEquals(o.inventory, ["hosts"]);
  assertEquals(o.limit, ["web"]);
  assertEquals(o.extraVars, ["a=1", "@vars.yml"]);
  assertEquals(o.verbosity, 3);
  assertEquals(o.become, true);
  assertEquals(o.check, true);
});

Deno.test("run splits comma-separated tags and parses --forks", () => {
  const o = parseRunArgs(["-t", "a,b", "--skip-tags", "c", "-f", "50", "p.yml"]);
  assertEquals(o.tags, ["a", "b"]);
  assertEquals(o.skipTags, ["c"]);
  assertEquals(o.forks, 50);
});

Deno.test("run rejects a non-numeric --forks and a missing playbook with usage errors", () => {
  assertThrows(
    () => parseRunArgs(["-f", "many", "p.yml"]),
    UsageError,
    "argument -f/--forks: invalid int value: 'many'",
  );
  assertThrows(() => parseRunArgs(["-v"]), UsageError, "the following arguments are required: playbook");
  assertThrows(() => parseRunArgs(["--no-such-flag", "p.yml"]), UsageError, "no-such-flag");
});
