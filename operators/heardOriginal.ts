import { Observable, type OperatorFunction } from 'rxjs';
import type { PipelineEvent } from '../src/events.js';

interface Piece {
  readonly spoken: string;
  readonly original: string;
}

/** Replies remembered at once; older ones are dropped (their interruptions are long past). */
const MAX_TURNS = 16;
/** Pieces kept per reply; past it, new text joins the last piece (mapped by share, like a rewritten piece). */
const MAX_PIECES = 512;

/**
 * Puts an `interruption`'s `heardText` back into the model's words when the reply was rewritten for speech
 * (`speakable`: `assistant.text` events with an `original`). `tts` reports what was heard of the text it
 * spoke ("It costs five dollars"); the history holds what the model wrote ("It costs $5"), so this maps the
 * heard prefix piece by piece: a piece heard whole is its original; a rewritten piece heard in part keeps
 * the same share of its original, to the last whole word. Place it right after `tts`, before the history
 * is cut. Replies with nothing rewritten pass untouched.
 *
 * ```
 * in:  --A--b--I--      A "five dollars." (original "$5.") b " Thanks." I interruption heardText "five dollars."
 * out: --A--b--J--      J heardText "$5."
 * ```
 */
export function heardOriginal(): OperatorFunction<PipelineEvent, PipelineEvent> {
  return (source) =>
    new Observable<PipelineEvent>((subscriber) => {
      const turns = new Map<string, { pieces: Piece[]; rewritten: boolean }>();
      return source.subscribe({
        next: (event) => {
          if (event.type === 'assistant.text' && event.delta !== '') {
            let turn = turns.get(event.turnId);
            if (!turn) {
              turn = { pieces: [], rewritten: false };
              turns.set(event.turnId, turn);
              if (turns.size > MAX_TURNS) turns.delete(turns.keys().next().value as string);
            }
            const piece = { spoken: event.delta, original: event.original ?? event.delta };
            const last = turn.pieces[turn.pieces.length - 1];
            if (turn.pieces.length < MAX_PIECES || !last) turn.pieces.push(piece);
            else turn.pieces[turn.pieces.length - 1] = { spoken: last.spoken + piece.spoken, original: last.original + piece.original };
            if (event.original !== undefined) turn.rewritten = true;
          }
          if (event.type === 'interruption') {
            const turn = turns.get(event.turnId);
            if (turn?.rewritten) {
              subscriber.next({ ...event, heardText: mapHeard(turn.pieces, event.heardText) });
              return;
            }
          }
          subscriber.next(event);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}

const visible = (s: string): number => s.replace(/\s/gu, '').length;

/** The prefix of the originals that the heard prefix of the spoken pieces stands for. */
export function mapHeard(pieces: readonly Piece[], heardText: string): string {
  let budget = visible(heardText);
  let out = '';
  for (const piece of pieces) {
    if (budget <= 0) break;
    const size = visible(piece.spoken);
    if (budget >= size) {
      out += piece.original;
      budget -= size;
      continue;
    }
    const share = piece.original === piece.spoken ? budget : Math.floor((budget / size) * visible(piece.original));
    out += toWordEnd(piece.original, share);
    break;
  }
  return out.trim();
}

/** The start of `text` holding `chars` non-space characters, cut back to the end of its last whole word. */
function toWordEnd(text: string, chars: number): string {
  let seen = 0;
  let i = 0;
  for (; i < text.length && seen < chars; i++) if (!/\s/u.test(text[i]!)) seen++;
  if (i >= text.length || /\s/u.test(text[i]!)) return text.slice(0, i);
  const cut = text.slice(0, i);
  const space = cut.search(/\s\S*$/u);
  return space === -1 ? '' : cut.slice(0, space);
}
