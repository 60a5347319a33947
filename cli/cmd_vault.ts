// `mito vault encrypt|decrypt|view|edit|create|encrypt_string|rekey`: ansible-vault's subcommands, reading and
// writing the same envelopes, with in-place writes done atomically (temp file + rename, mode kept).
import { parseArgs } from "node:util";
import * as fs from "node:fs";
import * as path from "node:path";
import * as os from "node:os";
import process from "node:process";
import { Buffer } from "node:buffer";
import * as childProcess from "node:child_process";
import { UsageError } from "./errors.ts";
import { parseArgsError } from "./_options.ts";
import {
  decryptVaultBytes,
  decryptVaultWith,
  encryptVault,
  isVaultText,
  promptLine,
  VaultError,
  vaultIdOf,
  VaultSecrets,
} from "../playbook/vault/mod.ts";
import { type Config, ConfigError, loadConfig } from "../playbook/config/mod.ts";

const USAGE = `usage: mito vault <encrypt|decrypt|view|edit|create|encrypt_string|rekey> [options] [files...]

options:
  --vault-password-file F, --vault-pass-file F   a file (or executable script) holding the password
  --vault-id [ID@]SOURCE       a vault id with a password file, script or 'prompt'
  -J, --ask-vault-pass         prompt for the password (needs a terminal)
  --encrypt-vault-id ID        which vault id to encrypt with when several are given
  --output F                   write to F ('-' for stdout) instead of in place
  --new-vault-password-file F, --new-vault-id ID    (rekey) the new password
  encrypt_string: -n/--name NAME (one per string), --stdin-name NAME, -p/--prompt
  -v, --verbose                more details (repeatable)
  -h, --help                   show this help and exit
`;

const SPEC = {
  "vault-password-file": { type: "string", multiple: true },
  "vault-pass-file": { type: "string", multiple: true },
  "vault-id": { type: "string", multiple: true },
  "ask-vault-pass": { type: "boolean", short: "J" },
  "ask-vault-password": { type: "boolean" },
  "encrypt-vault-id": { type: "string" },
  "new-vault-password-file": { type: "string" },
  "new-vault-id": { type: "string" },
  output: { type: "string" },
  name: { type: "string", short: "n", multiple: true },
  "stdin-name": { type: "string" },
  prompt: { type: "boolean", short: "p" },
  verbose: { type: "boolean", short: "v", multiple: true },
  help: { type: "boolean", short: "h" },
} as const;

function readStdin(): Buffer {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(65536);
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(0, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EAGAIN") continue;
      if ((e as NodeJS.ErrnoException).code === "EOF") break;
      throw e;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks);
}

/** Replaces `file` atomically: a temp file beside it, the old mode kept, then rename. */
export function writeAtomic(file: string, data: string | Uint8Array): void {
  let mode = 0o600;
  try {
    mode = fs.statSync(file).mode & 0o7777;
  } catch {
    // a new file: owner-only, as ansible-vault creates them
  }
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.mito-${process.pid}-${Date.now()}.tmp`);
  try {
    fs.writeFileSync(tmp, data, { mode });
    fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // nothing was written
    }
    throw e;
  }
}

function emit(output: string | undefined, file: string | undefined, data: string | Uint8Array) {
  if (output === "-" || (output === undefined && file === undefined)) process.stdout.write(data);
  else writeAtomic(output ?? file!, data);
}

function secretsFrom(
  values: Record<string, unknown>,
  cfg: Config,
): VaultSecrets {
  const files = [
    ...((values["vault-password-file"] as string[] | undefined) ?? []),
    ...((values["vault-pass-file"] as string[] | undefined) ?? []),
  ];
  const ids = [...cfg.vaultIdentityList, ...((values["vault-id"] as string[] | undefined) ?? [])];
  const ask = Boolean(values["ask-vault-pass"] || values["ask-vault-password"] || cfg.askVaultPass);
  const fromCfg = !files.length && !ids.length && !ask ? cfg.vaultPasswordFiles : [];
  return VaultSecrets.fromOptions({
    passwordFiles: [...fromCfg, ...files],
    vaultIds: ids,
    askVaultPass: ask,
  });
}

/**
 * Lets the user edit `plain` in $EDITOR (default vi) through a private temp file named like `file`
 * (so the editor picks the right syntax), then overwrites and removes that file.
 */
function runEditor(file: string, plain: Uint8Array): Uint8Array {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-vault-"));
  fs.chmodSync(dir, 0o700);
  const tmp = path.join(dir, path.basename(file));
  try {
    fs.writeFileSync(tmp, plain, { mode: 0o600 });
    const editor = shellSplit(process.env.EDITOR || "vi");
    const r = childProcess.spawnSync(editor[0], [...editor.slice(1), tmp], { stdio: "inherit" });
    if (r.error) {
      throw new VaultError(
        `Unable to execute the command "${[...editor, tmp].join(" ")}": ${r.error.message}`,
      );
    }
    return fs.readFileSync(tmp);
  } finally {
    try {
      // Overwrite before unlinking so the plaintext does not linger in freed blocks as easily.
      fs.writeFileSync(tmp, Buffer.alloc(fs.statSync(tmp).size));
    } catch {
      // the editor may have removed it
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Splits $EDITOR like a shell would for simple words and quotes (`code --wait`, `"my editor" -f`). */
function shellSplit(s: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const m of s.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/** Formats an encrypt_string result as ansible-vault prints it. */
export function formatVaultString(envelope: string, name?: string): string {
  const body = envelope.trimEnd().split("\n").map((l) => "          " + l).join("\n");
  return `${name !== undefined ? `${name}: ` : ""}!vault |\n${body}`;
}

export function vault(argv: string[], prog = "mito vault"): Promise<number> {
  return Promise.resolve(vaultSync(argv, prog));
}

function vaultSync(argv: string[], prog: string): number {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: SPEC, allowPositionals: true, strict: true });
  } catch (e) {
    throw parseArgsError(e);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    process.stdout.write(USAGE.replace("mito vault", prog));
    return values.help ? 0 : 5;
  }
  const [action, ...files] = positionals;
  if (!["encrypt", "decrypt", "view", "encrypt_string", "rekey", "create", "edit"].includes(action)) {
    throw new UsageError(`unknown vault action '${action}'; see 'mito vault --help'`);
  }
  const env = process.env as Record<string, string | undefined>;
  try {
    const cfg = loadConfig({ env, cwd: process.cwd(), home: os.homedir() });
    const secrets = secretsFrom(values, cfg);
    if (values.output !== undefined && files.length > 1 && action !== "encrypt_string") {
      throw new UsageError("At most one input file may be used with the --output option");
    }
    if (secrets.size === 0) {
      throw new VaultError(
        "A vault password is required: give --vault-password-file, --vault-id or --ask-vault-pass",
      );
    }
    const encId = (values["encrypt-vault-id"] as string | undefined) ?? cfg.vaultEncryptIdentity;
    const enc = () => secrets.forEncryption(encId);
    switch (action) {
      case "encrypt": {
        const s = enc();
        const targets: (string | undefined)[] = files.length ? files : [undefined];
        for (const f of targets) {
          const data = f === undefined ? readStdin() : fs.readFileSync(f);
          if (isVaultText(data.subarray(0, 64).toString("latin1"))) {
            throw new VaultError(`input is already encrypted${f ? `: ${f}` : ""}`);
          }
          emit(values.output, f, encryptVault(data, s.password, s.id));
        }
        process.stderr.write("Encryption successful\n");
        return 0;
      }
      case "decrypt":
      case "view": {
        const targets: (string | undefined)[] = files.length ? files : [undefined];
        for (const f of targets) {
          const text = (f === undefined ? readStdin() : fs.readFileSync(f)).toString("utf8");
          const src = f ?? "<stdin>";
          if (!isVaultText(text)) {
            throw new VaultError(
              `input is not vault encrypted data. ${src} is not a vault encrypted file for ${src}`,
            );
          }
          const plain = decryptVaultBytes(text, secrets, src);
          if (action === "view") process.stdout.write(plain);
          else emit(values.output, f, plain);
        }
        if (action === "decrypt") process.stderr.write("Decryption successful\n");
        return 0;
      }
      case "create":
      case "edit": {
        if (files.length !== 1) throw new UsageError(`${action} takes exactly one file`);
        const f = files[0];
        if (action === "create") {
          if (fs.existsSync(f)) throw new VaultError(`${f} exists, please use 'edit' instead`);
          const s = enc();
          const typed = runEditor(f, new Uint8Array());
          writeAtomic(f, encryptVault(typed, s.password, s.id));
          return 0;
        }
        const text = fs.readFileSync(f, "utf8");
        if (!isVaultText(text)) {
          throw new VaultError(
            `input is not vault encrypted data. ${f} is not a vault encrypted file for ${f}`,
          );
        }
        const { plain, secret } = decryptVaultWith(text, secrets, f);
        const edited = runEditor(f, plain);
        if (!Buffer.from(edited).equals(Buffer.from(plain))) {
          writeAtomic(f, encryptVault(edited, secret.password, vaultIdOf(text) ?? secret.id));
        }
        return 0;
      }
      case "rekey": {
        const newFile = values["new-vault-password-file"] as string | undefined;
        if (!newFile) throw new UsageError("rekey needs --new-vault-password-file");
        const newId = (values["new-vault-id"] as string | undefined) ?? "default";
        const fresh = VaultSecrets.fromOptions({ vaultIds: [`${newId}@${newFile}`] }).forEncryption();
        for (const f of files) {
          const plain = decryptVaultBytes(fs.readFileSync(f, "utf8"), secrets, f);
          writeAtomic(f, encryptVault(plain, fresh.password, fresh.id));
        }
        process.stderr.write("Rekey successful\n");
        return 0;
      }
      default: {
        const s = enc();
        const names = (values.name as string[] | undefined) ?? [];
        const items: { name?: string; text: string }[] = [];
        if (values.prompt) {
          const name = promptLine("Variable name (enter for no name): ", { visible: true });
          const text = promptLine("String to encrypt (hidden): ");
          if (text === "") {
            throw new VaultError("The plaintext provided from the prompt was empty, not encrypting");
          }
          items.push({ name: name || undefined, text });
        } else if (files.length === 0 || files[0] === "-") {
          if (process.stdin.isTTY) {
            process.stderr.write(
              "Reading plaintext input from stdin. (ctrl-d to end input, twice if your content does not already have a newline)\n",
            );
          }
          items.push({
            name: (values["stdin-name"] as string | undefined) ?? names[0],
            text: readStdin().toString("utf8"),
          });
        } else {
          files.forEach((t, i) => items.push({ name: names[i], text: t }));
        }
        const out = items.map((it) => formatVaultString(encryptVault(it.text, s.password, s.id), it.name));
        process.stdout.write(out.join("\n") + "\n");
        process.stderr.write("Encryption successful\n");
        return 0;
      }
    }
  } catch (e) {
    if (e instanceof VaultError || e instanceof ConfigError) {
      process.stderr.write(`ERROR! ${e.message}\n`);
      return 1;
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EACCES" || code === "EISDIR") {
      process.stderr.write(`ERROR! ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
}

export { vault as run };
