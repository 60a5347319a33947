// Node stream ⇄ web stream glue for the transports: a pausable web ReadableStream over a Node Readable
// (backpressure reaches the pipe or SSH window), waiting for a first byte without consuming it, and a
// ByteChannel-shaped writer over a Node Writable.
import type { Readable, Writable } from "node:stream";

export function webReadable(stream: Readable, highWaterMark = 16): ReadableStream<Uint8Array> {
  let done = false;
  return new ReadableStream<Uint8Array>({
    start(ctrl) {
      stream.on("data", (d: Uint8Array) => {
        if (done) return;
        ctrl.enqueue(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
        if ((ctrl.desiredSize ?? 1) <= 0) stream.pause();
      });
      const finish = () => {
        if (!done) {
          done = true;
          ctrl.close();
        }
      };
      stream.on("end", finish);
      stream.on("close", finish);
      stream.on("error", (err: Error) => {
        if (!done) {
          done = true;
          ctrl.error(err);
        }
      });
    },
    pull() {
      stream.resume();
    },
    cancel() {
      done = true;
      stream.resume();
    },
  }, { highWaterMark });
}

/**
 * Resolves true once `stream` holds at least one byte, false if it ends first; nothing is consumed, so a
 * webReadable() made afterwards yields every byte without an extra stream layer on the hot path.
 */
export function firstData(stream: Readable): Promise<boolean> {
  return new Promise((resolve) => {
    const check = () => {
      if (stream.readableLength > 0) finish(true);
      else if (stream.readableEnded || stream.destroyed) finish(false);
      else stream.read(0); // pulls from the pipe into the buffer without taking anything out
    };
    const finish = (got: boolean) => {
      stream.off("readable", check);
      stream.off("end", ended);
      stream.off("close", ended);
      resolve(got);
    };
    const ended = () => finish(stream.readableLength > 0);
    stream.on("readable", check);
    stream.once("end", ended);
    stream.once("close", ended);
  });
}

/** write/closeWrite as ByteChannel wants them: resolve when accepted, wait for 'drain' on backpressure. */
export function nodeWriter(w: Writable, what: string): {
  write(chunk: Uint8Array): Promise<void>;
  closeWrite(): Promise<void>;
} {
  return {
    write: (chunk) =>
      new Promise<void>((resolve, reject) => {
        if (w.destroyed || w.writableEnded) return reject(new Error(`${what} is closed`));
        if (w.write(chunk)) resolve();
        else w.once("drain", () => resolve());
      }),
    closeWrite: () =>
      new Promise<void>((resolve) => {
        if (w.writableEnded || w.destroyed) return resolve();
        w.end(() => resolve());
      }),
  };
}
