// Log records written on the target reach the operator's stderr as Mitogen forwards them: warnings
// always, INFO from -vvv, DEBUG from -vvvv, each naming the context and the logger; the warnings of
// libraries that warn in normal operation (dnf, boto) only with DEBUG.
import * as path from "node:path";
import { assertEquals } from "./_assert.ts";
import { mitoIn, ROOT } from "./_run.ts";

const DIR = path.join(ROOT, "tests/remote");

/** The forwarded records among what mito wrote on stderr. */
function forwarded(verbosity: string[]): string[] {
  const m = mitoIn(DIR, ["-i", "hosts.ini", "log_records.yml", ...verbosity], { MITO_MODULES: "ansible" });
  assertEquals(m.code, 0, m.stdout + m.stderr);
  return m.stderr.split("\n").filter((l) => l.includes(" log_records: ") || l.includes(" dnf.base: "));
}

Deno.test("a target's warnings are shown at every verbosity", () => {
  assertEquals(forwarded([]), ["[context 1] log_records: warning from the target"]);
});

Deno.test("-vvv adds the target's INFO records, -vvvv its DEBUG records", () => {
  assertEquals(forwarded(["-vvv"]), [
    "[context 1] log_records: info from the target",
    "[context 1] log_records: warning from the target",
  ]);
  assertEquals(forwarded(["-vvvv"]), [
    "[context 1] log_records: debug from the target",
    "[context 1] log_records: info from the target",
    "[context 1] log_records: warning from the target",
    "[context 1] dnf.base: already installed",
  ]);
});
