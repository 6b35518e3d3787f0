import type { TimedEvent, TurnReport } from '../runner/report.js';
import { formatTable, ms } from '../runner/report.js';

export interface Output {
  write(text: string): void;
}

/** Prints the conversation as it happens: caller transcripts, the assistant's words as they stream. */
export function livePrinter(out: Output, label = ''): (timed: TimedEvent) => void {
  let speaking: string | undefined;
  const prefix = label ? `[${label}] ` : '';
  const endLine = (): void => {
    if (speaking !== undefined) out.write('\n');
    speaking = undefined;
  };
  return ({ event }) => {
    switch (event.type) {
      case 'transcript':
        if (event.final && event.text) {
          endLine();
          out.write(`${prefix}caller   : ${event.text}${event.language ? `  (${event.language})` : ''}\n`);
        }
        break;
      case 'assistant.text':
        if (event.segment === undefined || event.segment) {
          if (speaking !== event.turnId) {
            endLine();
            out.write(`${prefix}assistant: `);
            speaking = event.turnId;
          }
          out.write(event.delta);
        }
        break;
      case 'tool.call':
        endLine();
        out.write(`${prefix}  [tool] ${event.name}(${event.arguments})\n`);
        break;
      case 'interruption':
        endLine();
        out.write(`${prefix}  [interrupted by ${event.byTurnId} after ${Math.round(event.playedMs)} ms: heard "${event.heardText}"]\n`);
        break;
      case 'error':
        endLine();
        out.write(`${prefix}  [error ${event.stage}/${event.code}${event.turnId ? ` in ${event.turnId}` : ''}] ${event.message}\n`);
        break;
      case 'assistant.done':
        endLine();
        break;
      default:
        break;
    }
  };
}

/** The per-turn table: end of speech -> transcript -> first token -> first audio, and what each turn cost. */
export function turnTable(turns: readonly TurnReport[]): string {
  const table = formatTable(
    ['turn', 'caller said', 'end-of-turn wait', 'transcript', 'first token', 'first audio', 'cost'],
    turns.map((t) => [
      t.turnId,
      truncate(t.transcript || '(none)', 40),
      ms(t.endpointMs),
      ms(t.transcriptMs),
      ms(t.firstTokenMs),
      ms(t.firstAudioMs),
      usd(t.costUsd),
    ]),
  );
  const priced = turns.filter((t) => t.costUsd !== undefined);
  if (priced.length === 0) return table;
  const total = priced.reduce((sum, t) => sum + t.costUsd!, 0);
  return `${table}\ncall cost: ${usd(total)} at list prices (${priced.length} turn${priced.length === 1 ? '' : 's'})`;
}

/** US dollars to a tenth of a cent's hundredth: voice turns cost fractions of a cent. */
export function usd(value: number | undefined): string {
  return value === undefined ? '-' : `$${value.toFixed(5)}`;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A one-line progress bar on stderr when it is a terminal. */
export function progressBar(
  totalMs: number,
  stream: NodeJS.WriteStream = process.stderr,
): { update(ms: number): void; clear(): void; done(): void } {
  if (!stream.isTTY || totalMs <= 0) return { update: () => {}, clear: () => {}, done: () => {} };
  let last = -1;
  let shown = false;
  return {
    update(atMs: number) {
      const pct = Math.min(100, Math.floor((atMs / totalMs) * 100));
      if (pct === last) return;
      last = pct;
      const filled = Math.round(pct / 5);
      stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(20 - filled)}] ${pct}% of ${(totalMs / 1000).toFixed(1)} s`);
      shown = true;
    },
    /** Erases the bar (it is drawn again at the next update), so other output starts at column 0. */
    clear() {
      if (!shown) return;
      stream.write('\r\x1b[K');
      shown = false;
      last = -1;
    },
    done() {
      stream.write('\r\x1b[K');
    },
  };
}
