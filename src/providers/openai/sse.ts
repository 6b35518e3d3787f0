import { createParser } from 'eventsource-parser';

/**
 * Reads a `text/event-stream` body and hands each event's `data` to `onData` as it arrives. `onData`
 * returns `true` to stop reading (e.g. at `[DONE]`). Resolves when the body ends or reading stopped.
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
    parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    if (stop) return;
  }
}
