// --diff for copy and template over ssh prints what ansible-playbook prints: "--- before: dest" and
// "+++ after: source" headers with the unified diff, "--- before" for a new file, "diff skipped" for large
// and binary files, the file's mode change as before/after JSON. Ansible's "after" for a template or a
// content is a random temp file of its own; mito names the template source (or "dynamically
// generated"), and only those two header lines are compared apart.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assertEquals } from "./_assert.ts";
import { testEnv } from "./_testenv.ts";
import { mitoIn, runIn } from "./_run.ts";

const PLAY = `- hosts: target
  gather_facts: false
  tasks:
    - copy: {src: small.txt, dest: "{{ out }}/copy.txt"}
    - template: {src: x.j2, dest: "{{ out }}/tmpl.txt"}
    - copy: {content: "a\\nb\\n", dest: "{{ out }}/content.txt"}
    - copy: {src: large.txt, dest: "{{ out }}/large.txt"}
    - copy: {src: bin.dat, dest: "{{ out }}/bin.dat"}
    - copy: {src: small.txt, dest: "{{ out }}/same.txt", mode: "0600"}
`;

function setUp(): { dir: string; out: string; reset: () => void } {
  const env = testEnv();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-diff-"));
  const out = fs.mkdtempSync(path.join("/var/tmp", "mito-diff-out-"));
  fs.mkdirSync(path.join(dir, "files"));
  fs.mkdirSync(path.join(dir, "templates"));
  fs.writeFileSync(path.join(dir, "files/small.txt"), "hello\nworld\n");
  fs.writeFileSync(path.join(dir, "files/large.txt"), "x".repeat(200_000));
  fs.writeFileSync(path.join(dir, "files/bin.dat"), "a\0b");
  fs.writeFileSync(path.join(dir, "templates/x.j2"), "name={{ inventory_hostname }}\nport=80\n");
  fs.writeFileSync(path.join(dir, "play.yml"), PLAY);
  fs.writeFileSync(path.join(dir, "ansible.cfg"), "[defaults]\nretry_files_enabled = false\n");
  fs.writeFileSync(
    path.join(dir, "hosts"),
    [
      `target ansible_host=${env.sshd.host} ansible_port=${env.sshd.port} ansible_user=root ` +
      `ansible_ssh_private_key_file=${env.clientKey} ansible_python_interpreter=/usr/bin/python3 ` +
      `ansible_ssh_common_args='-o UserKnownHostsFile=${env.sshd.knownHosts} -o StrictHostKeyChecking=yes'`,
      "",
    ].join("\n"),
  );
  const reset = () => {
    fs.rmSync(out, { recursive: true, force: true });
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, "copy.txt"), "hello\nthere\n");
    fs.writeFileSync(path.join(out, "tmpl.txt"), "name=old\nport=80\n");
    fs.writeFileSync(path.join(out, "large.txt"), "small\n");
    fs.writeFileSync(path.join(out, "bin.dat"), "text\n");
    fs.writeFileSync(path.join(out, "same.txt"), "hello\nworld\n", { mode: 0o644 });
    fs.chmodSync(path.join(out, "same.txt"), 0o644);
  };
  return { dir, out, reset };
}

const TASKS_DIFF = (dir: string, out: string, tmplAfter: string, contentAfter: string) =>
  [
    "TASK [copy] ********************************************************************",
    `--- before: ${out}/copy.txt`,
    `+++ after: ${dir}/files/small.txt`,
    "@@ -1,2 +1,2 @@",
    " hello",
    "-there",
    "+world",
    "",
    "changed: [target]",
    "",
    "TASK [template] ****************************************************************",
    `--- before: ${out}/tmpl.txt`,
    `+++ after: ${tmplAfter}`,
    "@@ -1,2 +1,2 @@",
    "-name=old",
    "+name=target",
    " port=80",
    "",
    "changed: [target]",
    "",
    "TASK [copy] ********************************************************************",
    "--- before",
    `+++ after: ${contentAfter}`,
    "@@ -0,0 +1,2 @@",
    "+a",
    "+b",
    "",
    "changed: [target]",
    "",
    "TASK [copy] ********************************************************************",
    "diff skipped: source file size is greater than 104448",
    "changed: [target]",
    "",
    "TASK [copy] ********************************************************************",
    "diff skipped: source file appears to be binary",
    "changed: [target]",
    "",
    "TASK [copy] ********************************************************************",
    "--- before",
    "+++ after",
    "@@ -1,4 +1,4 @@",
    " {",
    '-    "mode": "0644",',
    '+    "mode": "0600",',
    `     "path": "${out}/same.txt"`,
    " }",
    "",
    "changed: [target]",
  ].join("\n");

function tasksPart(stdout: string): string {
  return stdout.slice(stdout.indexOf("TASK ["), stdout.indexOf("\n\nPLAY RECAP"));
}

Deno.test("--diff of copy and template is ansible-playbook's, headers naming dest and source", () => {
  const { dir, out, reset } = setUp();
  try {
    const args = ["-i", "hosts", "play.yml", "--diff", "-e", `out=${out}`];
    for (const check of [false, true]) {
      const extra = check ? ["--check"] : [];
      reset();
      const m = mitoIn(dir, [...args, ...extra], { MITO_MODULES: "builtin" });
      assertEquals(m.code, 0, m.stdout + m.stderr);
      assertEquals(
        tasksPart(m.stdout),
        TASKS_DIFF(dir, out, `${dir}/templates/x.j2`, "dynamically generated"),
      );
      assertEquals(
        fs.readFileSync(path.join(out, "copy.txt"), "utf8"),
        check ? "hello\nthere\n" : "hello\nworld\n",
      );

      reset();
      // A short ControlPersist: the master holds the output pipe open until it exits.
      const a = runIn(dir, "/usr/bin/ansible-playbook", [...args, ...extra], {
        ANSIBLE_SSH_ARGS: "-o ControlMaster=no",
      });
      assertEquals(a.code, 0, a.stdout);
      const tmpl = /\+\+\+ after: (\/\S+\/x\.j2)\n/.exec(a.stdout)?.[1] ?? "(no template header)";
      const content = /--- before\n\+\+\+ after: (\/\S+)\n@@ -0,0/.exec(a.stdout)?.[1] ??
        "(no content header)";
      assertEquals(tasksPart(a.stdout), TASKS_DIFF(dir, out, tmpl, content));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(out, { recursive: true, force: true });
  }
});
