// Ansible Vault's AES256 envelope: PBKDF2-HMAC-SHA256 (10000 rounds, 80 bytes) gives an AES-256-CTR
// key, an HMAC-SHA256 key and the counter block; the body is hex of "hex(salt)\nhmac\nhex(cipher)".
import * as crypto from "node:crypto";
import { Buffer } from "node:buffer";

const ITERATIONS = 10000;

function deriveKeys(password: Uint8Array, salt: Uint8Array) {
  const dk = crypto.pbkdf2Sync(password, salt, ITERATIONS, 80, "sha256");
  return { aesKey: dk.subarray(0, 32), hmacKey: dk.subarray(32, 64), iv: dk.subarray(64, 80) };
}

function hexLines(hex: string): string {
  const lines: string[] = [];
  for (let i = 0; i < hex.length; i += 80) lines.push(hex.slice(i, i + 80));
  return lines.join("\n");
}

/** Encrypts and returns the body lines (without header), 80 columns each. */
export function encryptBody(plain: Uint8Array, password: Uint8Array, salt?: Uint8Array): string {
  const s = salt ?? crypto.randomBytes(32);
  const { aesKey, hmacKey, iv } = deriveKeys(password, s);
  // Ansible pads to the AES block size with PKCS#7 even though CTR mode would not need it.
  const pad = 16 - (plain.length % 16);
  const padded = Buffer.concat([Buffer.from(plain), Buffer.alloc(pad, pad)]);
  const cipher = crypto.createCipheriv("aes-256-ctr", aesKey, iv);
  const ct = Buffer.concat([cipher.update(padded), cipher.final()]);
  const mac = crypto.createHmac("sha256", hmacKey).update(ct).digest("hex");
  const inner = `${Buffer.from(s).toString("hex")}\n${mac}\n${ct.toString("hex")}`;
  return hexLines(Buffer.from(inner, "ascii").toString("hex"));
}

/** Decrypts a body (hex lines, whitespace ignored); undefined when the password does not match. */
export function decryptBody(body: string, password: Uint8Array): Uint8Array | undefined {
  const hex = body.replace(/\s+/g, "");
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 2) throw new Error("vault body is not hexadecimal");
  const parts = Buffer.from(hex, "hex").toString("ascii").split("\n");
  if (parts.length !== 3) throw new Error("vault body does not hold salt, HMAC and ciphertext");
  const [saltHex, macHex, ctHex] = parts;
  const salt = Buffer.from(saltHex, "hex");
  const ct = Buffer.from(ctHex, "hex");
  const { aesKey, hmacKey, iv } = deriveKeys(password, salt);
  const mac = crypto.createHmac("sha256", hmacKey).update(ct).digest();
  const want = Buffer.from(macHex, "hex");
  if (want.length !== mac.length || !crypto.timingSafeEqual(mac, want)) return undefined;
  const decipher = crypto.createDecipheriv("aes-256-ctr", aesKey, iv);
  const padded = Buffer.concat([decipher.update(ct), decipher.final()]);
  const pad = padded.length ? padded[padded.length - 1] : 0;
  if (pad < 1 || pad > 16 || pad > padded.length) throw new Error("vault plaintext has bad padding");
  return padded.subarray(0, padded.length - pad);
}
