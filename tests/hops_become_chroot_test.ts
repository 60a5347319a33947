// become without a terminal: a chroot without /dev/pts (no PTY can be opened there) where sudo needs no
// password. ansible-playbook runs sudo there on pipes; mito must too, with the same output.
import { join } from "node:path";
import { assertEquals, assertStringIncludes } from "./_assert.ts";
import { ROOT } from "./_run.ts";
import { inRoot, rootPair } from "./_root_copies.ts";

const DIR = join(ROOT, "tests/fixtures/roots");

Deno.test("sudo in a chroot without /dev/pts: become works on pipes, as with ansible-playbook", () => {
  const pair = rootPair("trixie", (root) => {
    inRoot(root, ["apt-get", "update", "-q"]);
    inRoot(root, ["apt-get", "install", "-y", "-q", "sudo"]);
  });
  try {
    // The premise: no PTY in there.
    const probe = inRoot(pair.mitoRoot, [
      "/usr/bin/python3",
      "-c",
      "import os\ntry:\n  os.openpty(); print('pty')\nexcept OSError as e:\n  print(e.errno)",
    ]);
    assertEquals(probe.trim(), "19");
    const a = pair.same(DIR, ["become_sudo.yml"]);
    assertStringIncludes(a.stdout, '"n.stdout": "nobody"');
  } finally {
    pair.remove();
  }
});
