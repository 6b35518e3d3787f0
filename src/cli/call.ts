import { tap } from 'rxjs';
import { cascaded } from '../../pipelines/cascaded.js';
import { MULAW_8K } from '../audio/format.js';
import { createCascadedProviders } from '../providers/defaults.js';
import type { PipelineEvent } from '../events.js';
import { resolveEndpoints, describeEndpoints } from '../providers/env.js';
import { startSandbox, type CalleeScript, type Sandbox } from '../sandbox/index.js';
import { callControlTools, serve } from '../server/index.js';
import { UsageError } from './errors.js';
import type { ParsedOptions } from './main.js';
import { choiceOption, stringOption } from './options.js';

/** What the sandbox callee says, and the model's answer: a short call the agent ends itself. */
const SANDBOX_CALL = {
  utterances: [{ transcript: 'Hello?' }, { transcript: "Thanks, that's all. Bye." }],
  replies: [
    { match: 'bye', toolCall: { name: 'end_call', arguments: {} }, afterTool: 'Goodbye!' },
    { match: 'hello', reply: 'Hi, this is the rxvoice agent calling. How are you today?' },
  ],
};
const SANDBOX_ACCOUNT = 'AC00000000000000000000000000000000';
const E164 = /^\+[1-9][0-9]{6,14}$/;

/**
 * `rxvoice call <number>`: an outbound phone call with the cascaded agent. With TWILIO_ACCOUNT_SID and
 * TWILIO_AUTH_TOKEN it calls for real through Twilio (the server must be reachable at --public-url);
 * otherwise the sandbox places it and a simulated callee answers (a person, or a voicemail greeting).
 * Prints the conversation; ends when the call does (the agent has an `end_call` tool) or after --max-seconds.
 */
export async function callCommand(number: string | undefined, opts: ParsedOptions): Promise<number> {
  if (!number || !E164.test(number)) throw new UsageError(`call needs a number in E.164 form, e.g. rxvoice call +15005550006 (got '${number ?? ''}')`);
  const from = stringOption(opts, 'from') ?? process.env.TWILIO_FROM ?? '+15005550006';
  if (!E164.test(from)) throw new UsageError(`--from must be an E.164 number (got '${from}')`);
  const callee = choiceOption(opts, 'callee', ['person', 'voicemail'] as const, 'person');
  const maxSeconds = Number(stringOption(opts, 'max-seconds') ?? 60);
  if (!Number.isFinite(maxSeconds) || maxSeconds <= 0) throw new UsageError('--max-seconds must be a positive number');
  const onMachine = opts['on-machine'] === undefined ? undefined : choiceOption(opts, 'on-machine', ['hangup', 'leave-message'] as const, 'hangup');
  const message = stringOption(opts, 'message');
  if (onMachine === 'leave-message' && !message?.trim()) throw new UsageError('--on-machine leave-message needs --message "..."');
  const realTwilio = process.env.TWILIO_ACCOUNT_SID && process.env.TWILIO_AUTH_TOKEN;
  const publicUrl = stringOption(opts, 'public-url');
  if (realTwilio && !publicUrl) throw new UsageError('a real Twilio call needs --public-url wss://... (where Twilio reaches this machine)');

  let sandbox: Sandbox | undefined;
  const needsSandbox = !realTwilio || !hasProviderKeys();
  if (needsSandbox) {
    const script: CalleeScript = callee === 'voicemail' ? { kind: 'voicemail' } : { kind: 'person', says: ['Hello?', "Thanks, that's all. Bye."], gapMs: 4000 };
    sandbox = await startSandbox({ profile: 'instant', scenario: SANDBOX_CALL, twilio: { callees: { [number]: script } } });
  }
  const endpoints = resolveEndpoints(process.env, sandbox?.url);
  const accountSid = realTwilio ? process.env.TWILIO_ACCOUNT_SID! : SANDBOX_ACCOUNT;
  const authToken = realTwilio ? process.env.TWILIO_AUTH_TOKEN! : 'sandbox-auth-token';
  let ended!: () => void;
  const done = new Promise<void>((resolve) => (ended = resolve));
  const print = (line: string) => process.stdout.write(`${line}\n`);
  const server = await serve({
    staticDir: false,
    allow: { pipelines: ['cascaded'] },
    twilio: { accountSid, authToken, ...(realTwilio ? {} : { apiBaseUrl: sandbox!.url }), ...(publicUrl ? { publicBaseUrl: publicUrl } : {}) },
    ...(onMachine
      ? {
          answeringMachine: {
            onMachine,
            ...(message ? { message } : {}),
            onDecision: (d) => {
              print(`        [answering machine: ${d.answeredBy}, ${d.reason} at ${d.atMs} ms${d.beepAtMs !== undefined ? `, beep at ${d.beepAtMs} ms` : ''}]`);
              if (d.action === 'leave-message') print(`left a message: ${message}`);
              if (d.action === 'hangup') print('        [hung up on the machine]');
            },
          },
        }
      : {}),
    pipelineFactory: (choice) => {
      const chain = cascaded({
        providers: createCascadedProviders(endpoints, { callId: choice.sessionId }),
        outputFormat: MULAW_8K,
        playback: choice.playback,
        keypad: { dtmf: choice.dtmf },
        ...(choice.call ? { tools: callControlTools(choice.call) } : {}),
        // While answering-machine detection listens, a greeting's pauses must not end turns on their words
        // (a voicemail reads complete sentence by sentence): the vad's fixed silence decides.
        ...(onMachine ? { turnDetection: false } : {}),
      });
      return (source) =>
        source.pipe(
          chain,
          tap({
            next: (event: PipelineEvent) => {
              if (event.type === 'transcript' && event.final) print(`callee: ${event.text}`);
              if (event.type === 'assistant.done' && event.text) print(`agent:  ${event.text}`);
              if (event.type === 'tool.call') print(`        [${event.name}]`);
            },
            finalize: () => ended(),
          }),
        );
    },
  });
  print(`${describeEndpoints(endpoints)}${sandbox ? ` (sandbox at ${sandbox.url}; Twilio: sandbox, callee: ${callee})` : ''}`);
  try {
    const call = await server.placeCall({ to: number, from, ...(opts.amd === true ? { machineDetection: true } : {}) });
    print(`calling ${number} from ${from} (${call.sid})`);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, maxSeconds * 1000)))]);
    clearTimeout(timer);
    print(`call ended (${sandbox?.twilio.call(call.sid)?.status ?? 'stream closed'})`);
    return 0;
  } finally {
    await server.close(2000);
    await sandbox?.close();
  }
}

function hasProviderKeys(): boolean {
  try {
    resolveEndpoints(process.env, undefined);
    return true;
  } catch {
    return false;
  }
}
