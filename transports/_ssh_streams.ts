// Node stream ⇄ web stream glue for the ssh transports: a pausable web ReadableStream over a Node Readable
// (backpressure reaches the pipe or SSH window), a stream that first replays bytes already read, and a
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

/** Yields `first` and then whatever `rest` yields. */
export function prepended(
  first: Uint8Array[],
  rest: ReadableStreamDefaultReader<Uint8Array>,
): ReadableStream<Uint8Array> {
  const queue = [...first];
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      const head = queue.shift();
      if (head) return ctrl.enqueue(head);
      const { value, done } = await rest.read();
      if (done) ctrl.close();
      else ctrl.enqueue(value);
    },
    cancel(reason) {
      return rest.cancel(reason);
    },
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
