// known_hosts parsing and host key verdicts for the in-process ssh2 transport.
import { Buffer } from "node:buffer";
import { assertEquals } from "./_assert.ts";
import {
  checkHostKey,
  entryMatches,
  hostToken,
  keyTypeOf,
  knownHostsLine,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
} from "../transports/_ssh_known_hosts.ts";

const KEY_A = "AAAAC3NzaC1lZDI1NTE5AAAAIOGyzAuUb7Ghf+ViF1fZt7vIDCojiLX7a4LcOgkaEqSX";
const KEY_B = "AAAAC3NzaC1lZDI1NTE5AAAAIAPMl0jooRPGEna4SxVKFQ3cuvGiUIQt954HbbmJlUB9";
const blob = (b64: string) => new Uint8Array(Buffer.from(b64, "base64"));

Deno.test("host tokens use [host]:port except on port 22", () => {
  assertEquals(hostToken("web1"), "web1");
  assertEquals(hostToken("127.0.0.1", 2222), "[127.0.0.1]:2222");
});

Deno.test("patterns: lists, wildcards, negation and hashed entries (ssh-keygen -H output)", () => {
  assertEquals(entryMatches("web1,web2", "web2"), true);
  assertEquals(entryMatches("*.example.com,!bad.example.com", "a.example.com"), true);
  assertEquals(entryMatches("*.example.com,!bad.example.com", "bad.example.com"), false);
  assertEquals(entryMatches("web?", "web10"), false);
  assertEquals(entryMatches("[127.0.0.1]:42222", "127.0.0.1", 42222), true);
  assertEquals(entryMatches("127.0.0.1", "127.0.0.1", 42222), false);
  const hashed = "|1|gl/DDPp/IAaB+AJ8gp48tJlJN9s=|QbUVSxd/WO9k7r4HVfqqepvJ0BM=";
  assertEquals(entryMatches(hashed, "127.0.0.1", 42222), true);
  assertEquals(entryMatches(hashed, "127.0.0.1", 22), false);
});

Deno.test("verdicts: known, changed, unknown and revoked", () => {
  const entries = parseKnownHosts([
    "# comment",
    `[127.0.0.1]:42222 ssh-ed25519 ${KEY_A} root@vm`,
    `@cert-authority *.corp ssh-ed25519 ${KEY_B}`,
    `@revoked * ssh-ed25519 ${KEY_B}`,
    "garbage",
    "",
  ].join("\n"));
  assertEquals(entries.map((e) => [e.marker, e.patterns, e.line]), [
    [undefined, "[127.0.0.1]:42222", 2],
    ["cert-authority", "*.corp", 3],
    ["revoked", "*", 4],
  ]);
  assertEquals(checkHostKey(entries, "127.0.0.1", 42222, blob(KEY_A)), { status: "known", line: 2 });
  assertEquals(checkHostKey(entries, "127.0.0.1", 42223, blob(KEY_A)), { status: "unknown" });
  assertEquals(checkHostKey(entries, "127.0.0.1", 42222, blob(KEY_B)), { status: "revoked", line: 4 });
  const noRevoked = entries.filter((e) => e.marker !== "revoked");
  assertEquals(checkHostKey(noRevoked, "127.0.0.1", 42222, blob(KEY_B)), { status: "changed", line: 2 });
});

Deno.test("key type and the line accept mode appends", () => {
  assertEquals(keyTypeOf(blob(KEY_A)), "ssh-ed25519");
  assertEquals(knownHostsLine("h", 2200, blob(KEY_A)), `[h]:2200 ssh-ed25519 ${KEY_A}\n`);
});

Deno.test("host key algorithms put the types known_hosts records for the host first", () => {
  const entries = parseKnownHosts(`[h]:2222 ssh-rsa AAAA\nother ecdsa-sha2-nistp256 AAAA\n`);
  assertEquals(preferredHostKeyAlgorithms(entries, "h", 2222), [
    "rsa-sha2-512",
    "rsa-sha2-256",
    "ssh-rsa",
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
  ]);
  assertEquals(preferredHostKeyAlgorithms(entries, "nobody", 22), undefined);
});
