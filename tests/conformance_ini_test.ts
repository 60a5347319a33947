// The ini lookup as ansible-core 2.14's (issue 19: the lookup_ini target): file encodings, Python's
// configparser values and errors, the inline options' errors, side by side with ansible-playbook on
// tests/fixtures/conformance_ini: the same stdout, stderr and exit code.
import { join } from "node:path";
import { ROOT } from "./_run.ts";
import { assertSameAsAnsible } from "./_side_by_side.ts";

const DIR = join(ROOT, "tests/fixtures/conformance_ini");

Deno.test(
  "the ini lookup reads a file in its encoding, interpolates, joins multi-line values, falls back to " +
    "DEFAULT, and fails with configparser's errors (parsing, duplicates, no header, interpolation) and " +
    "the lookup's own, as ansible-playbook",
  () => {
    assertSameAsAnsible(DIR, ["-i", "hosts.ini", "ini.yml"], 0, {
      expect: "Error was a <class 'configparser.ParsingError'>, original message: Source contains parsing " +
        "errors: '<???>'\\n\\t[line  3]: 'skip-locking\\\\n'",
    });
  },
);
