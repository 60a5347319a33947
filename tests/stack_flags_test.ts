// become_flags/sudo_flags: what is forwarded, dropped or refused for sudo, su and doas.
import { assertEquals, assertThrows } from "./_assert.ts";
import { BecomeFlagError, parseBecomeFlags, shellSplit } from "../playbook/connection/mod.ts";

Deno.test("Ansible's default sudo flags: -H forwarded, -S dropped (mito types on its PTY), -n kept without a password", () => {
  assertEquals(parseBecomeFlags("sudo", "-H -S -n", { hasPassword: false }), {
    args: ["-H", "-n"],
    dropped: [{ flag: "-S", why: "mito types the password on the PTY it allocates" }],
  });
});

Deno.test("with a password -n is dropped so sudo may prompt", () => {
  assertEquals(parseBecomeFlags("sudo", "-HSn", { hasPassword: true }).args, ["-H"]);
});

Deno.test("sudo options with values are forwarded with their value", () => {
  assertEquals(parseBecomeFlags("sudo", "-E -g wheel --role=r -k --set-home", { hasPassword: false }).args, [
    "-E",
    "-g",
    "wheel",
    "-r",
    "r",
    "-k",
    "-H",
  ]);
});

Deno.test("sudo login and shell options are forwarded: the interpreter's command runs through that shell", () => {
  assertEquals(parseBecomeFlags("sudo", "-i --shell", { hasPassword: false }).args, ["-i", "-s"]);
});

Deno.test("sudo options that would change what runs or who runs it are refused by name", () => {
  assertThrows(
    () => parseBecomeFlags("sudo", "-H -b", { hasPassword: false }),
    BecomeFlagError,
    "sudo flag '-b' in become_flags is not supported: a backgrounded interpreter cannot be talked to",
  );
  assertThrows(
    () => parseBecomeFlags("sudo", "--set-home=x", { hasPassword: false }),
    BecomeFlagError,
    "takes no value",
  );
  assertThrows(
    () => parseBecomeFlags("sudo", "-u bob", { hasPassword: false }),
    BecomeFlagError,
    "become_user",
  );
  assertThrows(() => parseBecomeFlags("sudo", "-l", { hasPassword: false }), BecomeFlagError, "'-l'");
  assertThrows(() => parseBecomeFlags("sudo", "-A", { hasPassword: false }), BecomeFlagError, "askpass");
  assertThrows(
    () => parseBecomeFlags("sudo", "-Z", { hasPassword: false }),
    BecomeFlagError,
    "unknown option",
  );
  assertThrows(
    () => parseBecomeFlags("sudo", "-g", { hasPassword: false }),
    BecomeFlagError,
    "needs a value",
  );
});

Deno.test("su: environment and login flags forwarded, commands and shells refused", () => {
  assertEquals(parseBecomeFlags("su", "-m -g staff -", { hasPassword: true }).args, [
    "-m",
    "-g",
    "staff",
    "-",
  ]);
  assertEquals(parseBecomeFlags("su", "-l", { hasPassword: true }).args, ["-l"]);
  assertThrows(
    () => parseBecomeFlags("su", "-s /bin/zsh", { hasPassword: true }),
    BecomeFlagError,
    "su flag '-s'",
  );
  assertThrows(() => parseBecomeFlags("su", "-c id", { hasPassword: true }), BecomeFlagError, "command");
});

Deno.test("doas: -n forwarded, -L, -s and -u refused", () => {
  assertEquals(parseBecomeFlags("doas", "-n", { hasPassword: false }).args, ["-n"]);
  assertThrows(
    () => parseBecomeFlags("doas", "-L", { hasPassword: false }),
    BecomeFlagError,
    "runs no command",
  );
  assertThrows(
    () => parseBecomeFlags("doas", "-u root", { hasPassword: false }),
    BecomeFlagError,
    "become_user",
  );
  assertThrows(() => parseBecomeFlags("doas", "-s", { hasPassword: false }), BecomeFlagError, "shell");
});

Deno.test("shellSplit follows shlex: quotes, escapes, empty strings", () => {
  assertEquals(shellSplit(`-o 'ProxyCommand=ssh -W %h:%p b' -o "User=a b" x\\ y ''`), [
    "-o",
    "ProxyCommand=ssh -W %h:%p b",
    "-o",
    "User=a b",
    "x y",
    "",
  ]);
  assertThrows(() => shellSplit(`-o 'open`), Error, "unterminated");
});

Deno.test("shellSplit: words without quotes or escapes are the runs between any whitespace", () => {
  assertEquals(shellSplit(" -C\t-o  ControlMaster=auto\n-o ControlPersist=60s "), [
    "-C",
    "-o",
    "ControlMaster=auto",
    "-o",
    "ControlPersist=60s",
  ]);
  assertEquals(shellSplit(""), []);
  assertEquals(shellSplit(" \t "), []);
  // one quote anywhere takes the shlex path for the whole line
  assertEquals(shellSplit("-o a=b -o 'c d'"), ["-o", "a=b", "-o", "c d"]);
});
