// The role benchmark's pure parts: its play parses and checks what it installs, and its section of
// docs/benchmarks.md replaces itself without touching the others.
import { assertEquals } from "../../tests/_assert.ts";
import { parseYaml } from "../../playbook/yaml/mod.ts";
import { roleFiles, withSection } from "./role.ts";

Deno.test("bench role: every YAML file of the play parses, and the play checks the three packages", () => {
  const files = roleFiles();
  for (const [name, text] of Object.entries(files)) {
    if (name.endsWith(".yml")) parseYaml(text, { file: name });
  }
  const play = parseYaml(files["playbook.yml"], { file: "playbook.yml" }) as Record<string, unknown>[];
  const post = play[0].post_tasks as Record<string, Record<string, string[]>>[];
  assertEquals(post[1].assert.that, [
    "'mito-web' in ansible_facts.packages",
    "'mito-cache' in ansible_facts.packages",
    "'mito-db' in ansible_facts.packages",
  ]);
});

Deno.test("bench role: its section is replaced in place, or added at the end", () => {
  const doc = "# b\n\n## rpc\nx\n\n## role on a chroot root\nold\n\n## playbooks\ny\n";
  assertEquals(
    withSection(doc, "## role on a chroot root\nnew\n"),
    "# b\n\n## rpc\nx\n\n## role on a chroot root\nnew\n\n## playbooks\ny\n",
  );
  assertEquals(
    withSection("# b\n\n## rpc\nx\n", "## role on a chroot root\nnew"),
    "# b\n\n## rpc\nx\n\n## role on a chroot root\nnew\n",
  );
});
