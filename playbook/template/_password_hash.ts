// The password_hash filter as ansible-core runs it through passlib: the algorithm names it maps, the
// settings passlib checks (salt_size, rounds) and the errors each refusal surfaces as.
import { TemplateError } from "./_errors.ts";
import { isInt, num, pyStr, pyTypeName, truthy, unwrap } from "./_py.ts";
import { md5Crypt, randomSalt, sha256Crypt, sha512Crypt } from "./_crypt.ts";
import { pyInt } from "../py/int_parse.ts";

/** Ansible's short names for passlib's hashes. */
const ALIASES: Record<string, string> = {
  md5: "md5_crypt",
  blowfish: "bcrypt",
  sha256: "sha256_crypt",
  sha512: "sha512_crypt",
};

/** The hashes mito computes itself, with passlib's bounds and Ansible's default rounds. */
const HASHES: Record<
  string,
  { maxSalt: number; rounds?: number; make: (pw: string, salt: string, r: number) => string }
> = {
  sha512_crypt: { maxSalt: 16, rounds: 656000, make: sha512Crypt },
  sha256_crypt: { maxSalt: 16, rounds: 535000, make: sha256Crypt },
  md5_crypt: { maxSalt: 8, make: (pw, salt) => md5Crypt(pw, salt) },
};

/** passlib 1.7's hash names beside those: known to it, not made by mito. */
const PASSLIB_OTHERS = new Set(
  ("apr_md5_crypt argon2 atlassian_pbkdf2_sha1 bcrypt bcrypt_sha256 bigcrypt bsd_nthash bsdi_crypt cisco_asa " +
    "cisco_pix cisco_type7 crypt16 cta_pbkdf2_sha1 des_crypt django_argon2 django_bcrypt django_bcrypt_sha256 " +
    "django_des_crypt django_disabled django_pbkdf2_sha1 django_pbkdf2_sha256 django_salted_md5 django_salted_sha1 " +
    "dlitz_pbkdf2_sha1 fshp grub_pbkdf2_sha512 hex_md4 hex_md5 hex_sha1 hex_sha256 hex_sha512 htdigest ldap_bcrypt " +
    "ldap_bsdi_crypt ldap_des_crypt ldap_hex_md5 ldap_hex_sha1 ldap_md5 ldap_md5_crypt ldap_pbkdf2_sha1 " +
    "ldap_pbkdf2_sha256 ldap_pbkdf2_sha512 ldap_plaintext ldap_salted_md5 ldap_salted_sha1 ldap_salted_sha256 " +
    "ldap_salted_sha512 ldap_sha1 ldap_sha1_crypt ldap_sha256_crypt ldap_sha512_crypt lmhash msdcc msdcc2 mssql2000 " +
    "mssql2005 mysql323 mysql41 nthash oracle10 oracle11 pbkdf2_sha1 pbkdf2_sha256 pbkdf2_sha512 phpass plaintext " +
    "postgres_md5 roundup_plaintext scram scrypt sha1_crypt sun_md5_crypt unix_disabled unix_fallback").split(
      " ",
    ),
);

/** Ansible's AnsibleFilterError around an AnsibleError: the message is said twice. */
const filterError = (msg: string) => new TemplateError(`${msg}. ${msg}`);

/** An integer setting as passlib reads it: text through int(), a number as it is, anything else a TypeError. */
function setting(value: unknown, typeError: (type: string) => string): number {
  const v = unwrap(value);
  if (typeof v === "string") {
    try {
      return Number(pyInt(v));
    } catch (e) {
      throw filterError(`Could not hash the secret.. ${(e as Error).message}`);
    }
  }
  if (typeof v === "boolean" || isInt(v)) return num(v);
  throw new TypeError(typeError(pyTypeName(value)));
}

export interface PasswordHashOptions {
  hashtype?: unknown;
  salt?: unknown;
  salt_size?: unknown;
  rounds?: unknown;
}

/** password_hash(secret, hashtype, salt, salt_size, rounds) for the crypt hashes mito makes. */
export function passwordHash(secret: string, o: PasswordHashOptions): string {
  const given = pyStr(o.hashtype ?? "sha512");
  const name = ALIASES[given] ?? given;
  const hash = HASHES[name];
  if (!hash) {
    if (PASSLIB_OTHERS.has(name)) {
      throw new TemplateError(
        `${given} is not in the list of supported passlib algorithms: md5, sha256, sha512`,
      );
    }
    throw filterError(`passlib does not support '${name}' algorithm`);
  }
  let saltSize = hash.maxSalt;
  if (truthy(o.salt_size ?? null)) {
    saltSize = setting(o.salt_size, (t) => `'<' not supported between instances of '${t}' and 'int'`);
    const bound = saltSize < 0 ? `below min_salt_size (0)` : `above max_salt_size (${hash.maxSalt})`;
    if (saltSize < 0 || saltSize > hash.maxSalt) {
      throw filterError(`Could not hash the secret.. ${name}: salt_size (${saltSize}) ${bound}`);
    }
  }
  let rounds = hash.rounds ?? 0;
  if (hash.rounds !== undefined && truthy(o.rounds ?? null)) {
    rounds = setting(o.rounds, (t) => `min_desired_rounds must be integer, not ${t}`);
    if (rounds < 1000) {
      throw filterError(
        `Could not hash the secret.. ${name}: min_desired_rounds (${rounds}) is too low, must be at least 1000`,
      );
    }
  }
  const salt = truthy(o.salt ?? null) ? pyStr(o.salt) : randomSalt(saltSize);
  return hash.make(secret, salt, rounds);
}
