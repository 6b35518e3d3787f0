import { createParser } from 'eventsource-parser';

/**
 * Reads a `text/event-stream` body and hands each event's `data` to `onData` as it arrives. `onData`
 * returns `true` to stop handing on events (e.g. at `[DONE]`); the rest of the body is still drained so the
 * connection goes back to the pool instead of being destroyed. Resolves when the body ends.
 */
export async function readSse(body: AsyncIterable<Uint8Array | string>, onData: (data: string) => boolean | void): Promise<void> {
  let stop = false;
  const parser = createParser({
    onEvent: (event) => {
      if (!stop && onData(event.data) === true) stop = true;
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    if (!stop) parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
  }
}
