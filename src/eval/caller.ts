import { asyncScheduler, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import type { AudioFrame, SampleRate } from '../audio/frame.js';
import type { PipelineEvent } from '../events.js';
import type { TurnStart } from './scenario.js';

/** One caller turn, ready to play: its audio at the caller's rate and when it starts. */
export interface CallerTurnAudio {
  readonly samples: Int16Array;
  readonly start: TurnStart;
}

export interface ScriptedCallerOptions {
  readonly sampleRate: SampleRate;
  readonly turns: readonly CallerTurnAudio[];
  readonly frameMs?: number;
  /** A turn whose reply never comes (or never ends) starts anyway this long after the previous speech ended. */
  readonly maxWaitMs?: number;
  /** Silence after the last reply has played, before the caller hangs up. */
  readonly tailMs?: number;
  /** Reply audio that stopped arriving this long ago counts as complete. */
  readonly quietMs?: number;
  /** A reply done without any audio yet: how long to wait for its audio before the caller speaks again. */
  readonly silentReplyWaitMs?: number;
  readonly scheduler?: SchedulerLike;
}

/** Where a turn's audio was placed on the call (audio ms), and which pipeline turns its speech became. */
export interface PlacedTurn {
  readonly index: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly pipelineTurnIds: readonly string[];
}

interface ReplyState {
  firstAudioAt?: number;
  lastAudioAt?: number;
  audioMs: number;
  doneAt?: number;
}

/**
 * A caller who listens: plays each turn's audio at real time, with silence in between, and decides when
 * to speak from what the agent does (`observe` every event that leaves the chain). A turn starts after the
 * previous reply has played out plus a pause, or, for a barge-in, a set time into that reply's audio.
 * Reply audio is taken as played from its first frame at real time, as the chain's `PlaybackClock`
 * estimates it without a transport.
 *
 * ```
 * frames:  s s [turn 1 audio] s s s s s s s s s [turn 2 audio] s s ... (s = 20 ms of silence)
 * agent:                        speech.ended ... audio ---- played out + pauseMs ─┘
 * ```
 */
export class ScriptedCaller {
  readonly frames: Observable<AudioFrame>;
  private readonly placed: { index: number; startMs: number; endMs: number; turnIds: string[] }[] = [];
  private readonly replies: ReplyState[] = [];
  private readonly turnOwner = new Map<string, number>();
  private readonly scheduler: SchedulerLike;
  private readonly frameMs: number;
  private readonly frameSamples: number;

  constructor(private readonly options: ScriptedCallerOptions) {
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.frameMs = options.frameMs ?? 20;
    this.frameSamples = Math.round((options.sampleRate * this.frameMs) / 1000);
    this.frames = new Observable<AudioFrame>((subscriber) => {
      const t0 = this.scheduler.now();
      let seq = 0;
      let turn = 0; // the next (or current) turn
      let offset = -1; // sample position in the current turn; -1 while waiting for it to start
      let waitingSince = t0; // when the previous turn's speech ended (or the call opened)
      let tailFrom: number | undefined;
      let pending: Subscription | undefined;
      const step = (): void => {
        const now = this.scheduler.now();
        while (t0 + (seq + 1) * this.frameMs <= now) {
          const startMs = seq * this.frameMs;
          const samples = new Int16Array(this.frameSamples);
          if (turn < options.turns.length && offset < 0 && this.mayStart(turn, now, waitingSince)) {
            offset = 0;
            this.placed.push({ index: turn, startMs, endMs: startMs, turnIds: [] });
          }
          if (turn < options.turns.length && offset >= 0) {
            const audio = options.turns[turn]!.samples;
            const n = Math.min(this.frameSamples, audio.length - offset);
            samples.set(audio.subarray(offset, offset + n));
            offset += n;
            if (offset >= audio.length) {
              this.placed[this.placed.length - 1]!.endMs = startMs + (n * 1000) / options.sampleRate;
              turn++;
              offset = -1;
              waitingSince = now;
            }
          } else if (turn >= options.turns.length) {
            if (tailFrom === undefined && this.mayStart(turn, now, waitingSince, { kind: 'after_reply', pauseMs: 0 })) tailFrom = now;
            if (tailFrom !== undefined && now - tailFrom >= (options.tailMs ?? 1000)) {
              subscriber.complete();
              return;
            }
          }
          subscriber.next({ samples, sampleRate: options.sampleRate, startMs, seq });
          seq++;
        }
        pending = this.scheduler.schedule(step, Math.max(0, t0 + (seq + 1) * this.frameMs - this.scheduler.now()));
      };
      pending = this.scheduler.schedule(step, this.frameMs);
      return () => pending?.unsubscribe();
    });
  }

  /** Feed every event the chain emits: the caller listens for its replies. */
  observe(event: PipelineEvent): void {
    const now = this.scheduler.now();
    if (event.type === 'speech.started') {
      // The speech belongs to the turn being spoken (or the last one spoken: an echo, a trailing word).
      const owner = this.placed.length - 1;
      if (owner >= 0) {
        this.turnOwner.set(event.turnId, owner);
        this.placed[owner]!.turnIds.push(event.turnId);
      }
      return;
    }
    if (!('turnId' in event) || event.turnId === undefined) return;
    const owner = this.turnOwner.get(event.turnId);
    if (owner === undefined) return;
    const reply = (this.replies[owner] ??= { audioMs: 0 });
    if (event.type === 'assistant.audio') {
      reply.firstAudioAt ??= now;
      reply.lastAudioAt = now;
      reply.audioMs += (event.frame.samples.length * 1000) / event.frame.sampleRate;
    } else if (event.type === 'assistant.done' || (event.type === 'error' && event.stage !== 'tts')) {
      reply.doneAt ??= now;
    } else if (event.type === 'interruption') {
      // A cut reply plays no further.
      reply.doneAt ??= now;
      reply.audioMs = Math.min(reply.audioMs, event.playedMs);
    }
  }

  /** Each played turn: where it sits on the call and the pipeline turns its speech started. */
  get placements(): readonly PlacedTurn[] {
    return this.placed.map((p) => ({ index: p.index, startMs: p.startMs, endMs: p.endMs, pipelineTurnIds: [...p.turnIds] }));
  }

  private mayStart(turn: number, now: number, waitingSince: number, start = this.options.turns[turn]!.start): boolean {
    if (turn === 0) return start.kind === 'after_reply' ? now - waitingSince >= start.pauseMs : true;
    if (now - waitingSince >= (this.options.maxWaitMs ?? 15_000)) return true;
    const reply = this.replies[turn - 1];
    if (start.kind === 'during_reply') return reply?.firstAudioAt !== undefined && now - reply.firstAudioAt >= start.afterAudioMs;
    if (reply?.doneAt === undefined) return false;
    // Done but silent so far: the speech may still be on its way (TTS first byte), so give it time.
    if (reply.firstAudioAt === undefined) return now - reply.doneAt >= Math.max(start.pauseMs, this.options.silentReplyWaitMs ?? 3000);
    const quiet = now - reply.lastAudioAt! >= (this.options.quietMs ?? 400);
    return quiet && now >= reply.firstAudioAt + reply.audioMs + start.pauseMs;
  }
}
