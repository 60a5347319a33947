// Lookups, filters and tests whose results and refusals mito once gave differently from ansible-core 2.14
// (issue 19), side by side with ansible-playbook on the playbooks of tests/fixtures/conformance_lookups:
// the same stdout, stderr and exit code.
import { join } from "node:path";
import { ROOT } from "./_run.ts";
import { assertSameAsAnsible } from "./_side_by_side.ts";

const DIR = join(ROOT, "tests/fixtures/conformance_lookups");

function same(name: string, playbook: string, code: number, env: Record<string, string> = {}): void {
  Deno.test(`${name}, as ansible-playbook`, () => {
    assertSameAsAnsible(DIR, ["-i", "hosts.ini", playbook], code, { env });
  });
}

same(
  "sequence: the end-only shortcut and every other form, numbers read as int(x, 0), Ansible's refusals",
  "sequence.yml",
  0,
);

same(
  "subelements: the walked list taken out of the paired item, skipped items, skip_missing, Ansible's refusals",
  "subelements.yml",
  0,
);

same(
  "vars: a name that is no text refused with Ansible's message, defaults, templated values",
  "vars.yml",
  0,
);

same(
  "filters refusing input as Ansible does: strftime's epoch, regex_escape's types, shuffle of no list, " +
    "password_hash's settings as passlib reads them, to_uuid's namespace as uuid.UUID reads it, the " +
    "subelements filter's walk and refusals, path_join of what is no text or sequence",
  "filters.yml",
  0,
);

same(
  "mathstuff filters: unique's fallback and its refusal of case_sensitive=False or attribute, the math " +
    "filters and human_readable on what is no number",
  "mathstuff.yml",
  0,
);
