import { AnsweringMachineDetector, type AmdDecision, type AmdOptions } from '../../amd/index.js';
import type { CallControl } from '../call-control.js';

/** `serve({ answeringMachine })`: what to do when a machine answers a call the agent placed. */
export interface AnsweringMachineOptions {
  /**
   * `hangup`: end the call at once. `leave-message`: wait for the beep (or `beepTimeoutMs` without one),
   * then speak `message` with the carrier's text-to-speech and hang up (`CallControl.leaveMessage`; a
   * carrier without it hangs up instead, and the log says so).
   */
  readonly onMachine: 'hangup' | 'leave-message';
  /** The voicemail message (required for `leave-message`). */
  readonly message?: string;
  /** Which calls: `outbound` (default: those with the `Direction=outbound` parameter `placeCall` sets) or `all`. */
  readonly calls?: 'outbound' | 'all';
  /** After a machine verdict without a beep heard yet, leave the message anyway after this much more audio (default 6000 ms). */
  readonly beepTimeoutMs?: number;
  /** The local detector's tuning. */
  readonly detector?: AmdOptions;
  /** Told every decision (and what was done), e.g. for a CRM. Errors thrown here are ignored. */
  readonly onDecision?: (decision: AmdDecision & { readonly action: 'none' | 'hangup' | 'leave-message'; readonly beepAtMs?: number }, call: CallControl) => void;
}

/**
 * Runs answering-machine detection on one call and acts on a machine: the local detector on the callee's
 * audio, with the carrier's verdict (when it reports one) winning. Acts once. Audio time only, so it is
 * deterministic on a fixture; memory is constant.
 */
export class AnsweringMachineAction {
  private readonly detector: AnsweringMachineDetector;
  private decided: AmdDecision | undefined;
  private acted = false;
  private audioMs = 0;
  private machineAtMs: number | undefined;

  constructor(
    private readonly options: AnsweringMachineOptions,
    private readonly call: CallControl,
    private readonly log: (line: string, level?: 'warn') => void,
  ) {
    this.detector = new AnsweringMachineDetector(options.detector);
  }

  /** The callee's audio, from the answer on. */
  push(samples: Int16Array, sampleRate: number): void {
    if (this.acted) return;
    this.audioMs += (samples.length * 1000) / sampleRate;
    const decision = this.detector.push(samples, sampleRate);
    if (decision) this.onDecision(decision);
    if (this.decided?.answeredBy === 'machine' && this.options.onMachine === 'leave-message') {
      const beepHeard = this.detector.beepAtMs !== undefined;
      const waitedOut = this.audioMs - (this.machineAtMs ?? this.audioMs) >= (this.options.beepTimeoutMs ?? 6000);
      if (beepHeard || waitedOut) this.act('leave-message');
    }
  }

  /** The carrier's own verdict (Twilio `AnsweredBy`): it wins over the local one if that has not acted yet. */
  carrier(answeredBy: string): void {
    if (this.acted) return;
    const decision = this.detector.carrier(answeredBy);
    if (!decision) return;
    this.decided = undefined; // the carrier's verdict replaces a local one
    this.onDecision(decision);
    // Twilio's `machine_end_beep` (DetectMessageEnd) means the beep has played: the message can start.
    if (decision.answeredBy === 'machine' && this.options.onMachine === 'leave-message' && /^machine_end/.test(answeredBy)) this.act('leave-message');
  }

  private onDecision(decision: AmdDecision): void {
    if (this.decided) return;
    this.decided = decision;
    if (decision.answeredBy !== 'machine') {
      this.report('none');
      return;
    }
    this.machineAtMs = this.audioMs;
    if (this.options.onMachine === 'hangup') this.act('hangup');
  }

  private act(action: 'hangup' | 'leave-message'): void {
    if (this.acted) return;
    this.acted = true;
    const message = this.options.message?.trim();
    const leave = action === 'leave-message' && message && this.call.capabilities.leaveMessage;
    if (action === 'leave-message' && !leave) this.log(`answering machine: ${this.call.carrier} cannot leave a message here (or none set); hanging up`, 'warn');
    this.report(leave ? 'leave-message' : 'hangup');
    const done = leave ? this.call.leaveMessage(message) : this.call.endCall();
    done.catch((err: unknown) => this.log(`answering machine: ${leave ? 'leaving the message' : 'hanging up'} failed: ${err instanceof Error ? err.message : String(err)}`, 'warn'));
  }

  private report(action: 'none' | 'hangup' | 'leave-message'): void {
    const decision = this.decided!;
    const beepAtMs = this.detector.beepAtMs;
    this.log(`answering machine: ${decision.answeredBy} (${decision.reason} at ${decision.atMs} ms), ${action}`);
    try {
      this.options.onDecision?.({ ...decision, action, ...(beepAtMs !== undefined ? { beepAtMs } : {}) }, this.call);
    } catch {
      // the application's callback must not break the call
    }
  }
}
