// meta clear_host_errors and the hosts it brings back (issue 19, special_vars_hosts), side by side with
// ansible-playbook on the playbooks of tests/fixtures/conformance_host_errors: an unreachable host keeps
// its place in the play and takes it up from there, as Ansible's play iterator keeps it.
import { join } from "node:path";
import { ROOT } from "./_run.ts";
import { assertSameAsAnsible } from "./_side_by_side.ts";

const DIR = join(ROOT, "tests/fixtures/conformance_host_errors");

/** One fork: results come in the same order under both tools. */
function same(name: string, playbook: string, code: number, expect: string): void {
  Deno.test(`${name}, as ansible-playbook`, () => {
    assertSameAsAnsible(DIR, ["-i", "hosts.ini", "-f", "1", playbook], code, { expect });
  });
}

same(
  "an unreachable host cleared in its play runs on from the task after the one it missed, behind the " +
    "others; cleared hosts stay out of ansible_play_hosts until the play ends",
  "resume.yml",
  0,
  "\"msg\": \"gone after clear: ['good'] ['good']\"",
);

same(
  "a host that failed in an earlier play, cleared in a play it sits out, is back in the next",
  "earlier_failed.yml",
  0,
  "\"msg\": \"['good', 'bad'] ['good', 'bad']\"",
);

same(
  "a host unreachable in an earlier play, cleared, runs the play from its start and is unreachable " +
    "again in the next",
  "earlier_unreachable.yml",
  4,
  "\"msg\": \"first ['good'] ['good']\"\n}\n\nTASK [meta]",
);
