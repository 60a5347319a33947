// One line of standard input, read byte by byte with blocking reads (no readline interface, so nothing is
// read past the line): the answer to a password prompt, on a terminal or from a pipe.
import { Buffer } from "node:buffer";
import * as fs from "node:fs";

/** The bytes up to a newline, carriage return or end of input, as UTF-8 text (without the end). */
export function readStdinLine(): string {
  const buf = Buffer.alloc(1);
  const bytes: number[] = [];
  for (;;) {
    let n = 0;
    try {
      n = fs.readSync(0, buf, 0, 1, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EAGAIN") continue;
      throw e;
    }
    if (n === 0 || buf[0] === 10 || buf[0] === 13) break;
    bytes.push(buf[0]);
  }
  return Buffer.from(bytes).toString("utf8");
}
