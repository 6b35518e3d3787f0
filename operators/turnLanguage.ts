import { Observable, type OperatorFunction } from 'rxjs';
import type { Conversation } from '../src/conversation.js';
import type { PipelineEvent } from '../src/events.js';
import { detectLanguage } from '../src/text/language.js';

export interface TurnLanguageOptions {
  /** The history `llmStream` reads: its system prompt gets a note saying which language to answer in. */
  readonly conversation?: Conversation;
  /** Names for the note; default English names of en, fr, de, es (others: the code). */
  readonly names?: Readonly<Record<string, string>>;
}

const NAMES: Readonly<Record<string, string>> = { en: 'English', fr: 'French', de: 'German', es: 'Spanish' };

/**
 * The language of each caller turn, from what was said: a final transcript gets `language` from the text
 * (`detectLanguage`; the transcriber's own guess stays when the text does not tell). With `conversation`,
 * the system prompt says, before the model is asked, which language the caller is speaking now, so the
 * reply follows a caller who switches mid-call; `tts` with `followLanguage` speaks it in that language.
 * Place it before `llmStream`.
 *
 * ```
 * in:  --T1(en)------T2("Bonjour, ...")--
 * out: --T1(en)------T2(fr)--------------      and the system prompt ends with the French note before T2 passes
 * ```
 */
export function turnLanguage(options: TurnLanguageOptions = {}): OperatorFunction<PipelineEvent, PipelineEvent> {
  const names = { ...NAMES, ...options.names };
  return (source) =>
    new Observable<PipelineEvent>((subscriber) => {
      const base = options.conversation?.systemPrompt;
      return source.subscribe({
        next: (event) => {
          if (event.type !== 'transcript' || !event.final || event.text.trim() === '') return subscriber.next(event);
          const language = detectLanguage(event.text)?.language ?? event.language;
          if (language && options.conversation) {
            const note = `The caller is speaking ${names[language] ?? language} now: reply in ${names[language] ?? language}.`;
            options.conversation.systemPrompt = base ? `${base}\n\n${note}` : note;
          }
          subscriber.next(language ? { ...event, language } : event);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}
