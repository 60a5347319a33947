// ssh(1) flag parsing for ssh_args / ssh_common_args / ssh_extra_args.
import { assertEquals, assertThrows } from "./_assert.ts";
import { parseSshArgs, splitShellWords, splitSshOption, SshArgsError } from "../transports/_ssh_args.ts";

Deno.test("splitShellWords follows shell quoting without expansion", () => {
  assertEquals(
    splitShellWords(`-o ControlMaster=auto  -o 'ProxyCommand=ssh -W %h:%p b' -o "X=a\\"b" c\\ d`),
    [
      "-o",
      "ControlMaster=auto",
      "-o",
      "ProxyCommand=ssh -W %h:%p b",
      "-o",
      'X=a"b',
      "c d",
    ],
  );
  assertEquals(splitShellWords("  "), []);
  assertEquals(splitShellWords("''"), [""]);
  assertThrows(() => splitShellWords("-o 'oops"), SshArgsError, "unterminated single quote");
});

Deno.test("splitSshOption accepts Key=Value and Key Value", () => {
  assertEquals(splitSshOption("ControlPersist=60s"), { key: "controlpersist", value: "60s" });
  assertEquals(splitSshOption("ProxyCommand ssh -W %h:%p bastion"), {
    key: "proxycommand",
    value: "ssh -W %h:%p bastion",
  });
  assertEquals(splitSshOption("Compression = yes"), { key: "compression", value: "yes" });
  assertThrows(() => splitSshOption("novalue"), SshArgsError, "expected Option=value");
});

Deno.test("ansible's default ssh_args are forwarded unchanged", () => {
  const p = parseSshArgs("-C -o ControlMaster=auto -o ControlPersist=60s");
  assertEquals(p.forward, ["-C", "-o", "ControlMaster=auto", "-o", "ControlPersist=60s"]);
  assertEquals(p.problems, []);
  assertEquals([...p.options], [["controlmaster", "auto"], ["controlpersist", "60s"]]);
});

Deno.test("port, user and identities are extracted from flags and -o options; first value wins", () => {
  const p = parseSshArgs("-p2222 -l alice -i ~/.ssh/a", [
    "-o",
    "Port=2200",
    "-oUser=bob",
    "-o",
    "IdentityFile=/k/b",
  ]);
  assertEquals(p.port, 2222);
  assertEquals(p.user, "alice");
  assertEquals(p.identityFiles, ["~/.ssh/a", "/k/b"]);
  assertEquals(p.forward, []);
  assertEquals(p.problems, []);
});

Deno.test("bundled flags, agent forwarding, ProxyJump and verbosity", () => {
  const p = parseSshArgs("-AC -vvv -J bastion -o ProxyJump=other", "-4");
  assertEquals(p.forward, ["-A", "-C", "-v", "-v", "-v", "-J", "bastion", "-o", "ProxyJump=other", "-4"]);
  assertEquals(p.verbosity, 3);
  assertEquals(p.options.get("proxyjump"), "other");
});

Deno.test("flags that break the protocol are reported with the reason", () => {
  const p = parseSshArgs("-t -n -N -f -W host:22 -o RequestTTY=force -o RequestTTY=no -T");
  assertEquals(p.problems.map((x) => [x.severity, x.flag]), [
    ["error", "-t"],
    ["error", "-n"],
    ["error", "-N"],
    ["error", "-f"],
    ["error", "-W host:22"],
    ["error", "-o RequestTTY=force"],
  ]);
  assertEquals(p.problems[0].message, "-t forces a remote TTY, which would corrupt the binary protocol");
  assertEquals(p.forward, ["-o", "RequestTTY=no"]);
});

Deno.test("non-flags, unknown flags, bad ports and missing arguments are errors", () => {
  const p = parseSshArgs(["host.example", "-Z", "-p", "99999", "-o", "Port=x", "-i"]);
  assertEquals(p.problems.map((x) => x.message), [
    'unexpected argument "host.example": ssh arguments may only hold flags; the host and remote command are chosen by mito',
    "-Z is not an ssh(1) flag",
    "-p 99999: not a TCP port number",
    "-o Port=x: not a TCP port number",
    "-i needs an argument",
  ]);
});
