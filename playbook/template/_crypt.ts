// crypt(3) password hashes for password_hash: SHA-512/SHA-256 crypt (Drepper) and MD5 crypt.
import { createHash, randomInt } from "node:crypto";

const ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export function randomSalt(size: number): string {
  let s = "";
  for (let i = 0; i < size; i++) s += ITOA64[randomInt(0, 64)];
  return s;
}

function b64From24(b2: number, b1: number, b0: number, n: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = "";
  for (let i = 0; i < n; i++) {
    out += ITOA64[w & 0x3f];
    w >>= 6;
  }
  return out;
}

function repeatTo(digest: Buffer, len: number): Buffer {
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i += digest.length) digest.copy(out, i, 0, Math.min(digest.length, len - i));
  return out;
}

function shaCrypt(
  algo: "sha512" | "sha256",
  pw: string,
  saltIn: string,
  rounds: number,
  showRounds: boolean,
): string {
  const P = Buffer.from(pw, "utf8");
  const S = Buffer.from(saltIn.slice(0, 16), "utf8");
  rounds = Math.min(Math.max(rounds, 1000), 999999999);
  const H = () => createHash(algo);
  const size = algo === "sha512" ? 64 : 32;
  const B = H().update(P).update(S).update(P).digest();
  const a = H().update(P).update(S);
  let i = P.length;
  for (; i > size; i -= size) a.update(B);
  a.update(B.subarray(0, i));
  for (let n = P.length; n > 0; n >>= 1) a.update(n & 1 ? B : P);
  let C = a.digest();
  const dp = H();
  for (let n = 0; n < P.length; n++) dp.update(P);
  const Pp = repeatTo(dp.digest(), P.length);
  const ds = H();
  for (let n = 0; n < 16 + C[0]; n++) ds.update(S);
  const Sp = repeatTo(ds.digest(), S.length);
  for (let r = 0; r < rounds; r++) {
    const h = H();
    h.update(r & 1 ? Pp : C);
    if (r % 3) h.update(Sp);
    if (r % 7) h.update(Pp);
    h.update(r & 1 ? C : Pp);
    C = h.digest();
  }
  let enc = "";
  if (algo === "sha512") {
    const order = [
      [0, 21, 42],
      [22, 43, 1],
      [44, 2, 23],
      [3, 24, 45],
      [25, 46, 4],
      [47, 5, 26],
      [6, 27, 48],
      [28, 49, 7],
      [50, 8, 29],
      [9, 30, 51],
      [31, 52, 10],
      [53, 11, 32],
      [12, 33, 54],
      [34, 55, 13],
      [56, 14, 35],
      [15, 36, 57],
      [37, 58, 16],
      [59, 17, 38],
      [18, 39, 60],
      [40, 61, 19],
      [62, 20, 41],
    ];
    for (const [x, y, z] of order) enc += b64From24(C[x], C[y], C[z], 4);
    enc += b64From24(0, 0, C[63], 2);
  } else {
    const order = [
      [0, 10, 20],
      [21, 1, 11],
      [12, 22, 2],
      [3, 13, 23],
      [24, 4, 14],
      [15, 25, 5],
      [6, 16, 26],
      [27, 7, 17],
      [18, 28, 8],
      [9, 19, 29],
    ];
    for (const [x, y, z] of order) enc += b64From24(C[x], C[y], C[z], 4);
    enc += b64From24(0, C[31], C[30], 3);
  }
  const id = algo === "sha512" ? "6" : "5";
  return `$${id}$${showRounds ? `rounds=${rounds}$` : ""}${S.toString("utf8")}$${enc}`;
}

/** SHA-512 crypt ("$6$"); showRounds prints "rounds=N$" as passlib does. */
export function sha512Crypt(pw: string, salt: string, rounds = 5000, showRounds = rounds !== 5000): string {
  return shaCrypt("sha512", pw, salt, rounds, showRounds);
}

export function sha256Crypt(pw: string, salt: string, rounds = 5000, showRounds = rounds !== 5000): string {
  return shaCrypt("sha256", pw, salt, rounds, showRounds);
}

/** MD5 crypt ("$1$"). */
export function md5Crypt(pw: string, saltIn: string): string {
  const P = Buffer.from(pw, "utf8");
  const S = Buffer.from(saltIn.slice(0, 8), "utf8");
  const H = () => createHash("md5");
  const fin = H().update(P).update(S).update(P).digest();
  const ctx = H().update(P).update("$1$").update(S);
  for (let pl = P.length; pl > 0; pl -= 16) ctx.update(fin.subarray(0, Math.min(16, pl)));
  for (let i = P.length; i; i >>= 1) ctx.update(i & 1 ? Buffer.from([0]) : P.subarray(0, 1));
  let f = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const h = H();
    h.update(i & 1 ? P : f);
    if (i % 3) h.update(S);
    if (i % 7) h.update(P);
    h.update(i & 1 ? f : P);
    f = h.digest();
  }
  let enc = "";
  for (const [a, b, c] of [[0, 6, 12], [1, 7, 13], [2, 8, 14], [3, 9, 15], [4, 10, 5]]) {
    enc += b64From24(f[a], f[b], f[c], 4);
  }
  enc += b64From24(0, 0, f[11], 2);
  return `$1$${S.toString("utf8")}$${enc}`;
}
