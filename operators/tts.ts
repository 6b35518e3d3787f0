import { asyncScheduler, Observable, ReplaySubject, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { AudioFrame, SampleRate } from '../src/audio/frame.js';
import { RxVoiceError, toRxVoiceError } from '../src/errors.js';
import { errorEvent, type PipelineEvent } from '../src/events.js';
import { PlaybackClock } from '../src/playback.js';
import { PCM16_16K, type AudioFormat } from '../src/audio/format.js';
import type { SynthesisChunk, Synthesizer, VoiceStyle } from '../src/providers/types.js';
import { heardLength, type TimedChar } from '../src/text/heard.js';

/** `whole`: speak the reply's full text at `assistant.done` (the seed). `streamed`: speak segments as they come. */
export type TtsMode = 'whole' | 'streamed';

export interface TtsOptions {
  /** The provider; its model is chosen where it is built, not here. */
  readonly synthesizer: Synthesizer;
  /** The provider's voice id; omitted: the synthesizer's default voice. */
  readonly voiceId?: string;
  /** Default PCM16 at 16 kHz (`{ encoding: 'mulaw', sampleRate: 8000 }` for telephony). */
  readonly outputFormat?: AudioFormat;
  readonly language?: string;
  readonly voiceStyle?: VoiceStyle;
  /** Default `streamed`. */
  readonly mode?: TtsMode;
  /**
   * Streamed mode: open the turn's synthesis at its final transcript, before the reply's first text exists,
   * so a stream-input socket's connect (TLS, upgrade) overlaps the model's first token. Default false.
   */
  readonly openEarly?: boolean;
  /**
   * Speak each reply in its caller turn's language (the final transcript's `language`), with that
   * language's voice from `voices` when there is one; replies of their own (idle prompts) take the last
   * turn's. Off by default: `language` and `voiceId` hold for the call.
   */
  readonly followLanguage?: boolean;
  /** Voice id per ISO-639-1 language, for `followLanguage`. */
  readonly voices?: Readonly<Record<string, string>>;
  /** Ask the synthesizer to read numbers, dates... out itself (`SynthesisRequest.normalizeText`); omitted: its default. */
  readonly normalizeText?: boolean;
  /** Output frame length in ms. Default 20. */
  readonly frameMs?: number;
  /** Where emitted reply audio is recorded; share it with `bargeIn` and the sink. */
  readonly playback?: PlaybackClock;
  readonly scheduler?: SchedulerLike;
}

/** One reply being (or waiting to be) spoken. */
interface Reply {
  readonly turnId: string;
  /** The text handed to the synthesizer so far. */
  text: string;
  /** Streamed mode: the reply's text pieces; replayed to the synthesis when it starts. */
  readonly input?: ReplaySubject<string>;
  state: 'queued' | 'running' | 'finished';
  subscription?: Subscription;
  requestAt: number;
  /** Opened at the transcript, before any text: the first-byte clock starts at the first text. */
  early?: boolean;
  firstByte: boolean;
  /** Audio received, in samples (alignment offsets). */
  samplesIn: number;
  /** Audio emitted as frames, in samples. */
  samplesOut: number;
  seq: number;
  sampleRate?: SampleRate;
  pending: Int16Array;
  readonly timeline: TimedChar[];
  /** Timeline entries before this index start before the audio emitted so far (no later frame has them). */
  timelineDone: number;
  /** For a resumed reply: what was heard before the cut, and how long it played. */
  readonly heardBefore: string;
  readonly playedBefore: number;
  /** Set on a resumed reply: the caller turn whose false interruption it resumes after. */
  readonly resumedBy?: string;
}

/**
 * Text to speech: turns a reply's text into `assistant.audio` frames through a `Synthesizer`.
 *
 * ```
 * streamed:  --s1----s2---D-----------     s* assistant.text segments (from `sentences`), D assistant.done
 *            --s1-m-aaa-s2-aaa-D-aa--      m metric tts_first_byte, a assistant.audio frames
 * whole:     --t--t--D-----------
 *            --t--t--D--m-aaaaaa--
 * cancel:    --s1--aaa--C---------         C reply.cancel for the turn
 *            --s1--aaa--(CI)------         I interruption {playedMs, heardText}; the synthesis is unsubscribed
 * ```
 *
 * - `streamed` (default): at a turn's first `assistant.text`, ONE synthesis opens with an Observable of the
 *   turn's text pieces (so a stream-input socket serves the whole turn); `assistant.done` completes it.
 *   Put `sentences()` before it so pieces end where speech can start. `whole`: at `assistant.done`, one
 *   synthesis of the full text.
 * - Frames are `frameMs` long (the last one of a reply may be shorter), `seq`/`startMs` continuous per turn
 *   from 0, at the synthesizer's rate; `text` is the aligned characters that start in the frame.
 *   Every frame is recorded in the PlaybackClock; the clock is told when a reply's audio is all out
 *   (`markComplete`) so `bargeIn` knows when the reply is over.
 * - Replies are spoken one after another, never interleaved: a new turn's synthesis waits for the previous.
 * - `openEarly`: a turn's streamed synthesis opens at its final transcript, so the socket is up when the
 *   first text comes; a turn that produces no text closes it unused (at its empty `assistant.done`, an
 *   `llm` error, or the next turn's text).
 * - `metric` tts_first_byte: valueMs = ms from the synthesis request to its first audio, `atMs` = then.
 * - `reply.cancel` (passed on first): the turn's synthesis is unsubscribed at once (HTTP aborted, socket
 *   closed) and an `interruption` follows with what was played (PlaybackClock) and heard (alignment, else
 *   proportional), also when nothing was played yet. Later text for a cancelled turn is ignored.
 * - `reply.resume` (false interruption): the unheard rest of the last interrupted reply is spoken again
 *   under the same turn id; when that ends, an `interruption` with `resumed: true` gives all that was heard
 *   (or, if cut again, the new cut's report does).
 * - Errors become an `error` event (stage `tts`, the turn's id); the next reply is spoken as usual.
 */
export function tts(options: TtsOptions): OperatorFunction<PipelineEvent, PipelineEvent> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const mode = options.mode ?? 'streamed';
  const frameMs = options.frameMs ?? 20;
  const outputFormat = options.outputFormat ?? PCM16_16K;
  if (!(frameMs > 0)) throw new RxVoiceError({ code: 'internal', stage: 'tts', message: `frameMs must be positive, got ${frameMs}` });

  return (source) =>
    new Observable<PipelineEvent>((subscriber) => {
      const playback = options.playback ?? new PlaybackClock(scheduler);
      const replies = new Map<string, Reply>();
      const queue: Reply[] = [];
      const cancelled = new Set<string>();
      let active: Reply | undefined;
      let sourceDone = false;
      let lastCut: { turnId: string; rest: string; heard: string; playedMs: number; by: string } | undefined;
      // followLanguage: each caller turn's language (a few recent ones), and the last one heard.
      const languages = new Map<string, string>();
      let lastLanguage: string | undefined;
      const voiceOf = (turnId: string): { language?: string; voiceId?: string } => {
        const language = options.followLanguage ? (languages.get(turnId) ?? lastLanguage ?? options.language) : options.language;
        const voiceId = (language && options.followLanguage ? options.voices?.[language] : undefined) ?? options.voiceId;
        return { ...(language ? { language } : {}), ...(voiceId ? { voiceId } : {}) };
      };

      const newReply = (
        turnId: string,
        text: string,
        streamed: boolean,
        before?: { heard: string; playedMs: number; by: string },
      ): Reply => {
        const reply: Reply = {
          turnId,
          text,
          ...(streamed ? { input: new ReplaySubject<string>() } : {}),
          state: 'queued',
          requestAt: 0,
          firstByte: false,
          samplesIn: 0,
          samplesOut: 0,
          seq: 0,
          pending: new Int16Array(0),
          timeline: [],
          timelineDone: 0,
          heardBefore: before?.heard ?? '',
          playedBefore: before?.playedMs ?? 0,
          ...(before ? { resumedBy: before.by } : {}),
        };
        replies.set(turnId, reply);
        if (replies.size > 64) replies.delete(replies.keys().next().value as string);
        queue.push(reply);
        return reply;
      };

      const emitFrame = (reply: Reply, samples: Int16Array): void => {
        const rate = reply.sampleRate!;
        const startMs = (reply.samplesOut * 1000) / rate;
        const endMs = ((reply.samplesOut + samples.length) * 1000) / rate;
        const frame: AudioFrame = { samples, sampleRate: rate, startMs, seq: reply.seq++ };
        reply.samplesOut += samples.length;
        // Characters that start in this frame. Frames only move forward, so the prefix of the timeline
        // that starts before this frame's end is never needed again: skip it (was a filter over the
        // whole reply's timeline per frame).
        const timeline = reply.timeline;
        let text = '';
        for (let i = reply.timelineDone; i < timeline.length; i++) {
          const c = timeline[i]!;
          if (c.startMs >= startMs && c.startMs < endMs) text += c.char;
        }
        while (reply.timelineDone < timeline.length && timeline[reply.timelineDone]!.startMs < endMs) reply.timelineDone++;
        playback.emitted(reply.turnId, endMs - startMs);
        subscriber.next({ type: 'assistant.audio', turnId: reply.turnId, frame, ...(text ? { text } : {}) });
      };

      const onChunk = (reply: Reply, chunk: SynthesisChunk): void => {
        if (chunk.samples.length === 0 && !chunk.alignment) return;
        reply.sampleRate ??= chunk.sampleRate;
        if (chunk.sampleRate !== reply.sampleRate) {
          throw new RxVoiceError({ code: 'protocol', stage: 'tts', message: `sample rate changed mid-reply (${reply.sampleRate} -> ${chunk.sampleRate})` });
        }
        const rate = reply.sampleRate;
        if (!reply.firstByte && chunk.samples.length > 0) {
          reply.firstByte = true;
          const now = scheduler.now();
          subscriber.next({
            type: 'metric',
            turnId: reply.turnId,
            name: 'tts_first_byte',
            valueMs: now - reply.requestAt,
            stage: 'tts',
            atMs: now,
            detail: { mode, synthesizer: options.synthesizer.name, sinceRequest: true },
          });
        }
        const offsetMs = (reply.samplesIn * 1000) / rate;
        const a = chunk.alignment;
        if (a) {
          for (let i = 0; i < a.chars.length; i++) {
            const start = offsetMs + (a.charStartMs[i] ?? 0);
            reply.timeline.push({ char: a.chars[i]!, startMs: start, endMs: start + (a.charDurationMs[i] ?? 0) });
          }
        }
        reply.samplesIn += chunk.samples.length;
        const frameSamples = Math.max(1, Math.round((rate * frameMs) / 1000));
        let pending = concat(reply.pending, chunk.samples);
        while (pending.length >= frameSamples) {
          emitFrame(reply, pending.slice(0, frameSamples));
          pending = pending.subarray(frameSamples);
        }
        reply.pending = pending.slice();
      };

      const heardOf = (reply: Reply | undefined, playedMs: number): number =>
        reply
          ? heardLength(reply.text, playedMs, {
              timeline: reply.timeline,
              ...(reply.state === 'finished' && reply.sampleRate ? { totalMs: (reply.samplesOut * 1000) / reply.sampleRate } : {}),
            })
          : 0;

      const finish = (reply: Reply, completed: boolean): void => {
        if (reply.pending.length > 0 && reply.sampleRate) emitFrame(reply, reply.pending);
        reply.pending = new Int16Array(0);
        reply.state = 'finished';
        playback.markComplete(reply.turnId);
        if (active === reply) active = undefined;
        if (completed && reply.resumedBy !== undefined) {
          // The resumed rest is all out: history should keep the whole reply again.
          subscriber.next({
            type: 'interruption',
            turnId: reply.turnId,
            byTurnId: reply.resumedBy,
            playedMs: reply.playedBefore + (reply.samplesOut * 1000) / (reply.sampleRate ?? 1000),
            heardText: joinHeard(reply.heardBefore, reply.text),
            resumed: true,
          });
        }
        pump();
      };

      const start = (reply: Reply): void => {
        active = reply;
        reply.state = 'running';
        reply.requestAt = scheduler.now();
        let ended = false;
        const subscription = options.synthesizer
          .synthesize({
            text: reply.input ? reply.input.asObservable() : reply.text,
            outputFormat,
            ...voiceOf(reply.turnId),
            ...(options.voiceStyle ? { voiceStyle: options.voiceStyle } : {}),
            ...(options.normalizeText === undefined ? {} : { normalizeText: options.normalizeText }),
            turnId: reply.turnId,
          })
          .subscribe({
            next: (chunk) => {
              try {
                onChunk(reply, chunk);
              } catch (err) {
                fail(reply, err);
              }
            },
            error: (err: unknown) => {
              ended = true;
              fail(reply, err);
            },
            complete: () => {
              ended = true;
              finish(reply, true);
            },
          });
        if (ended || reply.state !== 'running') subscription.unsubscribe();
        else reply.subscription = subscription;
      };

      const fail = (reply: Reply, err: unknown): void => {
        if (reply.state !== 'running') return;
        reply.subscription?.unsubscribe();
        const e = toRxVoiceError(err, 'tts', 'provider_error');
        subscriber.next(errorEvent({ code: e.code, stage: 'tts', message: e.message, retryable: e.retryable }, reply.turnId));
        reply.pending = new Int16Array(0);
        finish(reply, false);
      };

      const pump = (): void => {
        while (!active && queue.length > 0) start(queue.shift()!);
        if (sourceDone && !active && queue.length === 0) subscriber.complete();
      };

      const cancel = (turnId: string, byTurnId: string): void => {
        cancelled.add(turnId);
        if (cancelled.size > 256) cancelled.delete(cancelled.values().next().value as string);
        const reply = replies.get(turnId);
        const wasPlaying = playback.isPlaying(turnId);
        if (reply && reply.state === 'finished' && !wasPlaying) return; // fully heard: nothing was cut
        if (reply?.state === 'running') {
          reply.subscription?.unsubscribe();
          reply.input?.complete();
          active = undefined;
        }
        if (reply?.state === 'queued') queue.splice(queue.indexOf(reply), 1);
        const playedMs = playback.cut(turnId);
        const heard = heardOf(reply, playedMs);
        const text = reply?.text ?? '';
        if (reply) reply.state = 'finished';
        const heardText = joinHeard(reply?.heardBefore ?? '', text.slice(0, heard).trimEnd());
        const totalPlayed = (reply?.playedBefore ?? 0) + playedMs;
        lastCut = { turnId, rest: text.slice(heard).trimStart(), heard: heardText, playedMs: totalPlayed, by: byTurnId };
        subscriber.next({
          type: 'interruption',
          turnId,
          byTurnId,
          playedMs: totalPlayed,
          heardText,
          ...(reply?.resumedBy !== undefined ? { resumed: true } : {}),
        });
        pump();
      };

      /** An early synthesis of another turn that never got text (its turn produced no reply): close it. */
      const closeUnusedEarly = (turnId: string): void => {
        for (const reply of replies.values()) {
          if (reply.early && reply.turnId !== turnId && reply.text === '' && reply.state !== 'finished') reply.input?.complete();
        }
      };

      const resume = (turnId: string): void => {
        if (lastCut?.turnId !== turnId || lastCut.rest.trim() === '') return;
        const { rest, heard, playedMs, by } = lastCut;
        lastCut = undefined;
        cancelled.delete(turnId);
        playback.forget(turnId); // the rest is a fresh stretch of audio for the clock's estimate
        newReply(turnId, rest, false, { heard, playedMs, by });
        pump();
      };

      const endReply = (turnId: string, fullText: string | undefined): void => {
        const reply = replies.get(turnId);
        if (reply?.input && reply.state !== 'finished') {
          reply.input.complete();
          return;
        }
        if (reply) return;
        if (fullText && fullText.trim() !== '') {
          newReply(turnId, fullText, false);
          pump();
        } else playback.markComplete(turnId);
      };

      const subscription = source.subscribe({
        next: (event) => {
          subscriber.next(event);
          switch (event.type) {
            case 'transcript':
              if (options.followLanguage && event.final && event.language) {
                languages.set(event.turnId, event.language);
                lastLanguage = event.language;
                if (languages.size > 16) languages.delete(languages.keys().next().value as string);
              }
              // The reply to this turn is coming: connect now (a turn with no reply closes it unused).
              if (!options.openEarly || mode !== 'streamed' || !event.final || event.text.trim() === '') return;
              if (replies.has(event.turnId) || cancelled.has(event.turnId)) return;
              closeUnusedEarly(event.turnId);
              newReply(event.turnId, '', true).early = true;
              pump();
              return;
            case 'assistant.text': {
              if (mode !== 'streamed' || cancelled.has(event.turnId) || event.delta === '') return;
              let reply = replies.get(event.turnId);
              if (reply && reply.state === 'finished') return;
              closeUnusedEarly(event.turnId);
              if (!reply) reply = newReply(event.turnId, '', true);
              if (reply.early && reply.text === '' && reply.state === 'running') reply.requestAt = scheduler.now();
              reply.text += event.delta;
              reply.input?.next(event.delta);
              pump();
              return;
            }
            case 'assistant.done':
              if (!cancelled.has(event.turnId)) endReply(event.turnId, event.text);
              return;
            case 'error':
              // The reply's text stopped coming: speak what came, and let the clock know it ends there.
              if (event.turnId !== undefined && event.stage === 'llm' && !cancelled.has(event.turnId)) endReply(event.turnId, undefined);
              return;
            case 'reply.cancel':
              cancel(event.turnId, event.byTurnId);
              return;
            case 'reply.resume':
              resume(event.turnId);
              return;
            default:
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          for (const reply of replies.values()) if (reply.state !== 'finished') reply.input?.complete();
          pump();
        },
      });

      return () => {
        subscription.unsubscribe();
        active?.subscription?.unsubscribe();
        active = undefined;
        queue.length = 0;
      };
    });
}

function concat(a: Int16Array, b: Int16Array): Int16Array {
  if (a.length === 0) return b;
  const out = new Int16Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function joinHeard(before: string, after: string): string {
  if (before === '') return after;
  if (after === '') return before;
  return `${before.trimEnd()} ${after.trimStart()}`;
}
