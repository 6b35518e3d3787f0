import { Observable, type OperatorFunction } from 'rxjs';
import type { PipelineEvent } from '../src/events.js';
import { speakableNormalizer, type TextNormalizer } from '../src/text/speakable/index.js';

export interface SpeakableOptions {
  /** Default the built-in `speakableNormalizer()` (en, fr, de, es). */
  readonly normalizer?: TextNormalizer;
  /**
   * The reply's language. Default: the language of the turn's final transcript when the transcription
   * detected one, else `en`. A fixed string wins over the transcript's.
   */
  readonly language?: string;
}

/**
 * Rewrites each reply segment into words the text-to-speech reads right before it is spoken: "$5.10" is
 * spoken "five dollars and ten cents". The event keeps the model's text in `original`; the history is
 * written upstream by `llmStream`, so it keeps "$5.10", and `heardOriginal` (after `tts`) maps what the
 * caller heard back onto the original before the history is cut. Place it right before `tts`.
 *
 * ```
 * in:  --T--a--b--D--      T transcript (language fr), a "Ça fait 5 €." b " Merci !" D done
 * out: --T--A--b--D--      A "Ça fait cinq euros." with original "Ça fait 5 €."; b unchanged
 * ```
 * A normaliser that throws leaves the text as written.
 */
export function speakable(options: SpeakableOptions = {}): OperatorFunction<PipelineEvent, PipelineEvent> {
  const normalizer = options.normalizer ?? speakableNormalizer();
  return (source) =>
    new Observable<PipelineEvent>((subscriber) => {
      // Detected language per caller turn (a few kept: a reply belongs to a recent turn).
      const languages = new Map<string, string>();
      let lastLanguage: string | undefined;
      return source.subscribe({
        next: (event) => {
          if (event.type === 'transcript' && event.final && event.language) {
            languages.set(event.turnId, event.language);
            lastLanguage = event.language;
            if (languages.size > 16) languages.delete(languages.keys().next().value as string);
          }
          if (event.type !== 'assistant.text' || event.delta.trim() === '' || event.original !== undefined) {
            subscriber.next(event);
            return;
          }
          const language = options.language ?? languages.get(event.turnId) ?? lastLanguage ?? 'en';
          let spoken = event.delta;
          try {
            spoken = normalizer.normalize(event.delta, language);
          } catch {
            spoken = event.delta;
          }
          subscriber.next(typeof spoken === 'string' && spoken !== event.delta ? { ...event, delta: spoken, original: event.delta } : event);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}
