// OpenSSH known_hosts checking for the in-process ssh2 transport (pure apart from HMAC): parse the file,
// match a host (plain, wildcard, negated and hashed "|1|salt|hmac" entries, "[host]:port" for ports other
// than 22), and judge a presented host key. @cert-authority lines are skipped: ssh2 cannot verify host
// certificates.
import { Buffer } from "node:buffer";
import { createHmac, randomBytes } from "node:crypto";

export interface KnownHost {
  marker?: "revoked" | "cert-authority";
  /** The comma-separated host patterns, or one hashed entry. */
  patterns: string;
  keyType: string;
  /** The key blob, base64 as in the file. */
  key: string;
  /** Where the entry was read, for messages naming file and line. */
  file: string;
  line: number;
}

export type HostKeyVerdict =
  | { status: "known"; file: string; line: number }
  | { status: "unknown" }
  | { status: "changed"; file: string; line: number }
  | { status: "revoked"; file: string; line: number };

export function parseKnownHosts(text: string, file = "known_hosts"): KnownHost[] {
  const out: KnownHost[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const fields = line.split(/\s+/);
    let marker: KnownHost["marker"];
    if (fields[0].startsWith("@")) {
      const m = fields.shift()!;
      if (m !== "@revoked" && m !== "@cert-authority") return;
      marker = m.slice(1) as KnownHost["marker"];
    }
    if (fields.length < 3) return;
    out.push({ marker, patterns: fields[0], keyType: fields[1], key: fields[2], file, line: i + 1 });
  });
  return out;
}

/** How known_hosts names a host: "name" on port 22, "[name]:port" otherwise. */
export function hostToken(host: string, port = 22): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "i");
}

/** Whether an entry's patterns name the host (OpenSSH: any positive match and no negated match). */
export function entryMatches(patterns: string, host: string, port = 22): boolean {
  const token = hostToken(host, port);
  if (patterns.startsWith("|1|")) {
    const [, , salt, hash] = patterns.split("|");
    return !!salt && !!hash && hostHmac(token, Buffer.from(salt, "base64")) === hash;
  }
  let matched = false;
  for (const p of patterns.split(",")) {
    const negated = p.startsWith("!");
    const glob = negated ? p.slice(1) : p;
    if (globToRegExp(glob).test(token)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** The key type name at the start of an SSH wire-format public key blob. */
export function keyTypeOf(blob: Uint8Array): string {
  if (blob.length < 4) return "";
  const n = new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getUint32(0);
  return new TextDecoder().decode(blob.subarray(4, 4 + n));
}

/**
 * Judges a presented key as ssh(1) does: only entries whose patterns name the host count; a revoked key
 * wins over everything; a matching key is known; same type, other key: changed. On a port other than 22
 * an unknown key is looked up once more under the bare host name, and counts as known if found there.
 */
export function checkHostKey(
  entries: KnownHost[],
  host: string,
  port: number,
  blob: Uint8Array,
): HostKeyVerdict {
  const verdict = judge(entries, host, port, blob);
  if (verdict.status !== "unknown" || port === 22) return verdict;
  const bare = judge(entries, host, 22, blob);
  return bare.status === "known" ? bare : verdict;
}

function judge(entries: KnownHost[], host: string, port: number, blob: Uint8Array): HostKeyVerdict {
  const b64 = Buffer.from(blob).toString("base64");
  const type = keyTypeOf(blob);
  const mine = entries.filter((e) => e.marker !== "cert-authority" && entryMatches(e.patterns, host, port));
  const revoked = mine.find((e) => e.marker === "revoked" && e.key === b64);
  if (revoked) return { status: "revoked", file: revoked.file, line: revoked.line };
  const plain = mine.filter((e) => e.marker === undefined);
  const known = plain.find((e) => e.key === b64);
  if (known) return { status: "known", file: known.file, line: known.line };
  const changed = plain.find((e) => e.keyType === type);
  if (changed) return { status: "changed", file: changed.file, line: changed.line };
  return { status: "unknown" };
}

/** The line recorded for a new host; `hashed` (HashKnownHosts) hides the name behind a salted HMAC. */
export function knownHostsLine(host: string, port: number, blob: Uint8Array, hashed = false): string {
  const token = hostToken(host, port);
  const name = hashed ? hashedName(token, randomBytes(20)) : token;
  return `${name} ${keyTypeOf(blob)} ${Buffer.from(blob).toString("base64")}\n`;
}

function hashedName(token: string, salt: Uint8Array): string {
  return `|1|${Buffer.from(salt).toString("base64")}|${hostHmac(token, salt)}`;
}

function hostHmac(token: string, salt: Uint8Array): string {
  return createHmac("sha1", salt).update(token).digest("base64");
}

// ssh2's host key algorithms, in its default order.
const HOST_KEY_ALGORITHMS = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
  "ssh-rsa",
];

/**
 * Host key algorithms with those whose keys known_hosts already holds for the host first, as ssh(1) orders
 * them: otherwise a server offering ed25519 would be judged "unknown" when only its RSA key is recorded.
 * Undefined when nothing is recorded (the library's default order stands).
 */
export function preferredHostKeyAlgorithms(
  entries: KnownHost[],
  host: string,
  port: number,
): string[] | undefined {
  const types = new Set(
    entries.filter((e) => e.marker === undefined && entryMatches(e.patterns, host, port)).map((e) =>
      e.keyType
    ),
  );
  if (!types.size) return undefined;
  const known = (alg: string) => types.has(alg.startsWith("rsa-sha2-") ? "ssh-rsa" : alg);
  return [...HOST_KEY_ALGORITHMS.filter(known), ...HOST_KEY_ALGORITHMS.filter((a) => !known(a))];
}
