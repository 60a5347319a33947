// Ansible Vault: secrets from password files, scripts, vault ids and prompts; the 1.1/1.2 AES256
// envelopes for whole files and `!vault` values, interoperable with ansible-vault.
import * as fs from "node:fs";
import * as path from "node:path";
import * as childProcess from "node:child_process";
import { readStdinLine } from "../_stdin.ts";
import process from "node:process";
import { Buffer } from "node:buffer";
import { decryptBody, encryptBody } from "./_cipher.ts";

export class VaultError extends Error {
  override name = "VaultError";
}

export interface VaultSecret {
  id: string;
  password: Uint8Array;
}

export interface VaultSecretsOptions {
  passwordFiles?: string[];
  vaultIds?: string[];
  passwords?: { id?: string; password: string }[];
  /** `--ask-vault-pass`: prompt for the default secret (only possible on a terminal). */
  askVaultPass?: boolean;
  /** Where `prompt` reads from and writes to; defaults to the process's terminal. */
  prompt?: (message: string) => string;
}

const DEFAULT_ID = "default";

/** The passwords a run knows, each with its vault id, in the order Ansible tries them. */
export class VaultSecrets {
  #secrets: VaultSecret[];
  constructor(secrets: VaultSecret[] = []) {
    this.#secrets = secrets;
  }

  static fromOptions(o: VaultSecretsOptions): VaultSecrets {
    const out: VaultSecret[] = [];
    const ask = o.prompt ?? promptOnTerminal;
    for (const p of o.passwords ?? []) {
      out.push({ id: p.id ?? DEFAULT_ID, password: Buffer.from(p.password, "utf8") });
    }
    for (const spec of o.vaultIds ?? []) {
      const at = spec.indexOf("@");
      const id = at >= 0 ? spec.slice(0, at) || DEFAULT_ID : DEFAULT_ID;
      const source = at >= 0 ? spec.slice(at + 1) : spec;
      if (source === "prompt" || source === "prompt_ask_vault_pass") {
        const label = id === DEFAULT_ID ? "Vault password: " : `Vault password (${id}): `;
        out.push({ id, password: nonEmpty(Buffer.from(ask(label), "utf8"), "prompt") });
      } else {
        out.push({ id, password: readPasswordSource(source, id) });
      }
    }
    for (const file of o.passwordFiles ?? []) {
      out.push({ id: DEFAULT_ID, password: readPasswordSource(file, DEFAULT_ID) });
    }
    if (o.askVaultPass) {
      out.push({
        id: DEFAULT_ID,
        password: nonEmpty(Buffer.from(ask("Vault password: "), "utf8"), "prompt"),
      });
    }
    return new VaultSecrets(out);
  }

  get size(): number {
    return this.#secrets.length;
  }

  list(): readonly VaultSecret[] {
    return this.#secrets;
  }

  /** Secrets to try for a payload labelled `vaultId`: the matching ones first, then the others. */
  candidates(vaultId?: string): VaultSecret[] {
    if (!vaultId) return [...this.#secrets];
    const match = this.#secrets.filter((s) => s.id === vaultId);
    return [...match, ...this.#secrets.filter((s) => s.id !== vaultId)];
  }

  /** The secret to encrypt with: the one named, else the only one (ansible-vault's rule). */
  forEncryption(vaultId?: string): VaultSecret {
    if (this.#secrets.length === 0) {
      throw new VaultError("A vault password must be specified to encrypt data");
    }
    if (vaultId !== undefined) {
      const s = this.#secrets.find((x) => x.id === vaultId);
      if (!s) {
        throw new VaultError(`Did not find a match for --encrypt-vault-id=${vaultId} in the known vault-ids`);
      }
      return s;
    }
    const ids = [...new Set(this.#secrets.map((s) => s.id))];
    if (ids.length > 1) {
      throw new VaultError(
        `The vault-ids ${
          ids.join(",")
        } are available to encrypt. Specify the vault-id to encrypt with --encrypt-vault-id`,
      );
    }
    return this.#secrets[0];
  }
}

function nonEmpty(pw: Uint8Array, from: string): Uint8Array {
  if (pw.length === 0) throw new VaultError(`Invalid vault password was provided from ${from}`);
  return pw;
}

function stripNewlines(b: Buffer): Buffer {
  let s = 0, e = b.length;
  while (s < e && (b[s] === 10 || b[s] === 13)) s++;
  while (e > s && (b[e - 1] === 10 || b[e - 1] === 13)) e--;
  return b.subarray(s, e);
}

function stripSpace(b: Buffer): Buffer {
  return Buffer.from(b.toString("latin1").trim(), "latin1");
}

/** A password file is read and stripped; an executable one is run and its stdout is the password. */
function readPasswordSource(file: string, id: string): Uint8Array {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw new VaultError(`The vault password file ${file} was not found (${(e as Error).message})`);
  }
  if (st.isFile() && (st.mode & 0o111) !== 0) {
    const base = path.basename(file).replace(/\.[^.]*$/, "");
    const args = base.endsWith("-client") ? ["--vault-id", id] : [];
    const r = childProcess.spawnSync(file, args, { stdio: ["inherit", "pipe", "inherit"] });
    if (r.error) {
      throw new VaultError(
        `Problem running vault password script ${file} (${r.error.message}). If this is not a script, remove the executable bit from the file.`,
      );
    }
    if (r.status !== 0) {
      throw new VaultError(`Vault password script ${file} returned non-zero (${r.status})`);
    }
    return nonEmpty(stripNewlines(r.stdout), `script (${file})`);
  }
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch (e) {
    throw new VaultError(`Could not read vault password file ${file}: ${(e as Error).message}`);
  }
  return nonEmpty(stripNewlines(stripSpace(data)), `file (${file})`);
}

/** Reads a line from the terminal (echo off unless `visible`); refuses when there is no terminal to ask. */
export function promptLine(message: string, opts: { visible?: boolean } = {}): string {
  if (!process.stdin.isTTY) {
    throw new VaultError(
      `A vault password or secret was asked for (${message.trim()}) but there is no terminal; use --vault-password-file`,
    );
  }
  // Echo goes off before the prompt appears, so nothing typed after it is shown.
  if (!opts.visible) childProcess.spawnSync("stty", ["-echo"], { stdio: "inherit" });
  process.stderr.write(message);
  try {
    return readStdinLine();
  } finally {
    if (!opts.visible) {
      childProcess.spawnSync("stty", ["echo"], { stdio: "inherit" });
      process.stderr.write("\n");
    }
  }
}

function promptOnTerminal(message: string): string {
  return promptLine(message);
}

const HEADER = "$ANSIBLE_VAULT";

/** True when text (after leading whitespace) starts with a vault header. */
export function isVaultText(text: string): boolean {
  return text.trimStart().startsWith(HEADER + ";");
}

interface Envelope {
  version: string;
  cipher: string;
  vaultId?: string;
  body: string;
}

function parseEnvelope(text: string, source?: string): Envelope {
  const lines = text.trim().split(/\r?\n/);
  const header = lines[0].trim().split(";").map((s) => s.trim());
  const where = source ? ` on ${source}` : "";
  if (header[0] !== HEADER || header.length < 3) throw new VaultError(`Invalid vault header${where}`);
  const [, version, cipher, vaultId] = header;
  if (version !== "1.1" && version !== "1.2") {
    throw new VaultError(`Unsupported vault format version ${version}${where}`);
  }
  if (cipher !== "AES256") throw new VaultError(`${cipher} cipher could not be found${where}`);
  return { version, cipher, vaultId: version === "1.2" ? vaultId : undefined, body: lines.slice(1).join("") };
}

/** The vault id named in a 1.2 header, if any. */
export function vaultIdOf(text: string): string | undefined {
  return parseEnvelope(text).vaultId;
}

/** Decrypts to bytes; `source` names the file or value in errors. */
export function decryptVaultBytes(text: string, secrets: VaultSecrets, source?: string): Uint8Array {
  return decryptVaultWith(text, secrets, source).plain;
}

/** Decrypts and says which secret opened it (`mito vault edit` re-encrypts with that one). */
export function decryptVaultWith(
  text: string,
  secrets: VaultSecrets,
  source?: string,
): { plain: Uint8Array; secret: VaultSecret } {
  const env = parseEnvelope(text, source);
  const where = source ? ` on ${source}` : "";
  if (secrets.size === 0) {
    throw new VaultError(`Attempting to decrypt but no vault secrets found${where}`);
  }
  for (const s of secrets.candidates(env.vaultId)) {
    let plain: Uint8Array | undefined;
    try {
      plain = decryptBody(env.body, s.password);
    } catch (e) {
      throw new VaultError(`Vault format unhexlify error: ${(e as Error).message}${where}`);
    }
    if (plain !== undefined) return { plain, secret: s };
  }
  throw new VaultError(`Decryption failed (no vault secrets were found that could decrypt)${where}`);
}

export function decryptVault(text: string, secrets: VaultSecrets, source?: string): string {
  return Buffer.from(decryptVaultBytes(text, secrets, source)).toString("utf8");
}

/** Encrypts to a vault envelope ending in a newline: 1.1, or 1.2 when a non-default vault id is given. */
export function encryptVault(
  plain: string | Uint8Array,
  password: string | Uint8Array,
  vaultId?: string,
): string {
  const pw = typeof password === "string" ? Buffer.from(password, "utf8") : password;
  const data = typeof plain === "string" ? Buffer.from(plain, "utf8") : plain;
  const header = vaultId && vaultId !== DEFAULT_ID
    ? `${HEADER};1.2;AES256;${vaultId}`
    : `${HEADER};1.1;AES256`;
  return `${header}\n${encryptBody(data, pw)}\n`;
}
