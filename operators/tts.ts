import { asyncScheduler, Observable, type OperatorFunction } from 'rxjs';
import { RxVoiceError, toRxVoiceError } from '../src/errors.js';
import { errorEvent, type PipelineEvent } from '../src/events.js';
import { PlaybackClock } from '../src/playback.js';
import { PCM16_16K } from '../src/audio/format.js';
import type { SynthesisChunk } from '../src/providers/types.js';
import type { TtsOptions } from '../src/tts/options.js';
import { heardLength } from '../src/text/heard.js';
import { createReply, cutFrame, joinHeard, takeAudio, type Reply } from '../src/tts/reply.js';

export type { TtsMode, TtsOptions } from '../src/tts/options.js';

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
        const reply = createReply(turnId, text, streamed, before);
        replies.set(turnId, reply);
        if (replies.size > 64) replies.delete(replies.keys().next().value as string);
        queue.push(reply);
        return reply;
      };

      const emitFrame = (reply: Reply, samples: Int16Array): void => {
        const { frame, text, durationMs } = cutFrame(reply, samples);
        playback.emitted(reply.turnId, durationMs);
        // Per frame: one event object (a conditional spread would build a second one).
        subscriber.next(text ? { type: 'assistant.audio', turnId: reply.turnId, frame, text } : { type: 'assistant.audio', turnId: reply.turnId, frame });
      };

      const onChunk = (reply: Reply, chunk: SynthesisChunk): void => {
        if (chunk.samples.length === 0 && !chunk.alignment) return;
        reply.sampleRate ??= chunk.sampleRate;
        if (chunk.sampleRate !== reply.sampleRate) {
          throw new RxVoiceError({ code: 'protocol', stage: 'tts', message: `sample rate changed mid-reply (${reply.sampleRate} -> ${chunk.sampleRate})` });
        }
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
        for (const samples of takeAudio(reply, chunk, frameMs)) emitFrame(reply, samples);
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
