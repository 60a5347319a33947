// Templating as ansible-core 2.14 does it (issue 19: the templating, lookup_template, template, tags, omit
// targets), side by side with ansible-playbook on the playbooks of tests/fixtures/conformance_tpl: the
// same stdout, stderr and exit code.
import * as fs from "node:fs";
import * as os from "node:os";
import { join } from "node:path";
import { assertEquals, assertStringIncludes } from "./_assert.ts";
import { mitoIn, ROOT, runIn } from "./_run.ts";

const DIR = join(ROOT, "tests/fixtures/conformance_tpl");

/**
 * Runs `args` (after `-e out=DIR`, a fresh directory per tool for what the playbook writes) under both
 * tools; returns mito's stdout once both agree on everything.
 */
function bothAlike(args: string[], code: number): string {
  const outs = [0, 1].map(() => fs.mkdtempSync(join(os.tmpdir(), "mito-conform-tpl-")));
  try {
    const run = (out: string) => ["-e", `out=${out}`, ...args];
    const a = runIn(DIR, "/usr/bin/ansible-playbook", run(outs[0]));
    const m = mitoIn(DIR, run(outs[1]));
    assertEquals(a.code, code, a.stdout + a.stderr);
    assertEquals([m.code, m.stdout.replaceAll(outs[1], "OUT"), m.stderr], [
      a.code,
      a.stdout.replaceAll(outs[0], "OUT"),
      a.stderr,
    ]);
    return m.stdout;
  } finally {
    for (const d of outs) fs.rmSync(d, { recursive: true, force: true });
  }
}

Deno.test(
  "non-native templating: JSON and Python literals become values in conditionals too; operator tests " +
    "by name; a test or filter named in a string that nothing answers to fails while rendering, " +
    "as ansible-playbook",
  () => {
    const out = bothAlike(["literals.yml"], 0);
    assertStringIncludes(out, '"msg": "dict False str"');
    assertStringIncludes(out, `"msg": "TemplateSyntaxError: Could not load \\"nosuch \\": `);
  },
);

Deno.test(
  "the template action's Jinja2 options (tag strings, trim_blocks, lstrip_blocks, newline_sequence, " +
    "output_encoding) and their checks, a #jinja2: line's tag strings, the template lookup's tag strings " +
    "and convert_data, as ansible-playbook",
  () => {
    const out = bothAlike(["template_options.yml"], 0);
    assertStringIncludes(out, '"X  {{ not a var }} block\\n"');
    assertStringIncludes(out, "UnicodeEncodeError: 'latin-1' codec can't encode character '\\u20ac'");
  },
);

Deno.test(
  "templated tags: --list-tasks and --list-tags show them templated, --tags and --skip-tags select by " +
    "what they name, as ansible-playbook",
  () => {
    const listed = bothAlike(["tags.yml", "--list-tasks"], 0);
    assertStringIncludes(listed, "templated list\tTAGS: [play_tag, tag3, tag4]");
    bothAlike(["tags.yml", "--list-tags", "--skip-tags", "tag5"], 0);
    const ran = bothAlike(["tags.yml", "--tags", "tag3"], 0);
    assertStringIncludes(ran, '"msg": "templated"');
  },
);

Deno.test(
  "a keyword templated to omit is as if unset (the block's or play's become applies), and a run of two " +
    "playbooks prints a recap after each, as ansible-playbook",
  () => {
    const out = bothAlike(["omit.yml", "second.yml"], 0);
    assertEquals(out.match(/^PLAY RECAP/gm)?.length, 2);
  },
);
