import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { redactSecrets } from '../errors.js';
import { UsageError } from './errors.js';

const HELP: Record<string, string> = {
  main: `rxvoice: real-time voice agents as RxJS operator chains

Usage: rxvoice <command> [options]

Commands:
  demo        the main job: a demo call through the cascaded and realtime chains, with a latency comparison
  run         play a WAV file into a pipeline and print the conversation and per-turn latencies
  sandbox     start the local provider sandbox (OpenAI, Azure OpenAI, ElevenLabs wire protocols)
  serve       serve pipelines over WebSocket (rxvoice protocol, Twilio Media Streams) and a browser page
  call        place an outbound phone call with the agent (Twilio, or the sandbox's simulated callee)
  eval        run scenario files (caller turns + expectations) through an agent; replay recorded calls

Run 'rxvoice <command> --help' for a command's options.
Providers: real OpenAI / Azure OpenAI / ElevenLabs when their keys are in the environment
(OPENAI_API_KEY, AZURE_OPENAI_API_KEY + AZURE_OPENAI_ENDPOINT, ELEVENLABS_API_KEY); the sandbox otherwise.
`,
  run: `Usage: rxvoice run --in call.wav [options]

  --pipeline cascaded|realtime   which chain (default cascaded)
  --in FILE                      caller audio: a PCM or mu-law WAV, or mp3/ogg/m4a/... through ffmpeg (required)
  --out FILE                     write the assistant's audio, placed on the call's timeline, to a WAV
  --scenario FILE                sandbox scenario (transcripts, replies, faults) as JSON
  --profile NAME                 sandbox latency profile: typical (varies per request), typical-fixed
                                 (its medians, constant) or instant (default typical)
  --mode streaming|seed          cascaded: stream everything (default) or the original whole-text TTS
  --tts final|streamed|model     realtime: who speaks and when (default streamed)
  --fast                         feed the audio as fast as possible instead of at real time
  --timeline FILE.html|FILE.svg  draw each turn's stages as a waterfall
  --json FILE                    write the per-turn report as JSON
`,
  demo: `Usage: rxvoice demo [options]

Plays the shipped multi-turn call (fixtures/demo-call.wav) through three chains: the original
cascaded design (each reply spoken once its whole text is written), the streaming cascaded chain and the
realtime chain, then prints the three conversations and the latency comparison.

  --profile NAME                 sandbox latency profile: typical (varies per request), typical-fixed
                                 (its medians, constant) or instant (default typical)
  --timeline FILE.html           also draw the turns as waterfalls
`,
  sandbox: `Usage: rxvoice sandbox [options]

  --port N                       port to listen on (default 8787; 0 picks a free one)
  --host HOST                    address to bind (default 127.0.0.1)
  --profile NAME                 latency profile: typical (varies per request), typical-fixed (its
                                 medians, constant) or instant (default typical)
  --seed N                       seed of the per-request delays (default 1: runs repeat exactly)
  --scenario FILE                scenario JSON (transcripts, reply rules, faults)
  --api-key KEY                  accept only this key (default: any non-empty key)
  --cheap                        for load tests: speech synthesised and encoded once per (text, voice,
                                 format) and served from memory; same wire protocol and latency
`,
  serve: `Usage: rxvoice serve [options]

  --port N                       port to listen on (default 8080)
  --host HOST                    address to bind (default 127.0.0.1)
  --token TOKEN                  require this bearer token (or RXVOICE_TOKEN); browsers then connect only
                                 from the server's own page unless --allow-origin adds others
  --allow-origin A,B             browser origins allowed to open sockets (e.g. https://app.example.com)
  --profile NAME                 sandbox latency profile when no provider keys are set: typical,
                                 typical-fixed or instant (default typical)
  --scenario FILE                sandbox scenario JSON
  --record DIR                   record each call (two-channel WAV + turn log) into DIR
  --workers N                    worker processes sharing the port (default: number of cores)
  --max-lag-ms N                 /readyz answers 503 above this event-loop p99 delay (default 200)
  --drain-seconds N              on SIGTERM, let live calls finish this long before closing them (default 10)
  --max-sessions N               live calls per worker before new ones get 503 (default 100)
  --public-url wss://HOST        the URL Twilio dials, when behind a proxy (its signatures cover it)
  --max-call-usd N               end a call politely once it has cost N US dollars (list prices)
  --log-level L                  debug|info|warn|error|silent (default info); JSON lines on stderr,
                                 readable ones on a terminal
`,
  call: `Usage: rxvoice call <number> [options]

Places an outbound call with the cascaded agent and prints the conversation. Without TWILIO_ACCOUNT_SID
and TWILIO_AUTH_TOKEN the sandbox places it and a simulated callee answers.

  --from NUMBER                  caller id (default TWILIO_FROM or +15005550006)
  --callee person|voicemail      sandbox: who answers (default person)
  --public-url wss://HOST        real Twilio: where Twilio reaches this machine's server
  --max-seconds N                hang up after N seconds at most (default 60)
  --on-machine hangup|leave-message
                                 when a voicemail answers: hang up, or leave --message after the beep
  --message TEXT                 the voicemail message (spoken by Twilio's <Say>)
  --amd                          also ask Twilio's own answering-machine detection (billed by Twilio)
`,
};

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === '--version' || command === '-v' || command === 'version') {
      process.stdout.write(`${packageVersion()}\n`);
      return 0;
    }
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(HELP.main!);
      return command === undefined ? 2 : 0;
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      const help = command === 'eval' ? (await import('./eval.js')).EVAL_HELP : HELP[command];
      if (!help) throw new UsageError(`unknown command '${command}'. Commands: demo, run, sandbox, serve, call, eval`);
      process.stdout.write(help);
      return 0;
    }
    switch (command) {
      case 'run': {
        const { runCommand } = await import('./run.js');
        return await runCommand(parse(rest, RUN_OPTIONS));
      }
      case 'demo': {
        const { demoCommand } = await import('./demo.js');
        return await demoCommand(parse(rest, DEMO_OPTIONS));
      }
      case 'sandbox': {
        const { sandboxCommand } = await import('./sandbox.js');
        return await sandboxCommand(parse(rest, SANDBOX_OPTIONS));
      }
      case 'call': {
        const { callCommand } = await import('./call.js');
        const [number, ...flags] = rest;
        return await callCommand(number, parse(flags, CALL_OPTIONS));
      }
      case 'serve': {
        const { serveCommand } = await import('./serve.js');
        return await serveCommand(parse(rest, SERVE_OPTIONS));
      }
      case 'eval': {
        const { evalCommand } = await import('./eval.js');
        return await evalCommand(rest);
      }
      default:
        throw new UsageError(`unknown command '${command}'. Commands: demo, run, sandbox, serve, call, eval (see 'rxvoice --help')`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`rxvoice: ${err.message}\n`);
      return 2;
    }
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      const { port } = err as { port?: number };
      const what = code === 'EADDRINUSE' ? 'is already in use' : 'needs privileges';
      process.stderr.write(`rxvoice: port ${port ?? '?'} ${what}: stop what holds it or pick another --port\n`);
      return 1;
    }
    process.stderr.write(`rxvoice: ${redactSecrets(err instanceof Error ? err.message : String(err))}\n`);
    return 1;
  }
}

type OptionSpec = Record<string, { type: 'string' | 'boolean' }>;
const RUN_OPTIONS: OptionSpec = {
  pipeline: { type: 'string' },
  in: { type: 'string' },
  out: { type: 'string' },
  scenario: { type: 'string' },
  profile: { type: 'string' },
  mode: { type: 'string' },
  tts: { type: 'string' },
  fast: { type: 'boolean' },
  timeline: { type: 'string' },
  json: { type: 'string' },
};
const DEMO_OPTIONS: OptionSpec = { profile: { type: 'string' }, timeline: { type: 'string' } };
const SANDBOX_OPTIONS: OptionSpec = {
  port: { type: 'string' },
  cheap: { type: 'boolean' },
  seed: { type: 'string' },
  host: { type: 'string' },
  profile: { type: 'string' },
  scenario: { type: 'string' },
  'api-key': { type: 'string' },
};
const SERVE_OPTIONS: OptionSpec = {
  port: { type: 'string' },
  host: { type: 'string' },
  token: { type: 'string' },
  profile: { type: 'string' },
  scenario: { type: 'string' },
  record: { type: 'string' },
  'drain-seconds': { type: 'string' },
  workers: { type: 'string' },
  'max-lag-ms': { type: 'string' },
  'allow-origin': { type: 'string' },
  'max-sessions': { type: 'string' },
  'public-url': { type: 'string' },
  'log-level': { type: 'string' },
  'max-call-usd': { type: 'string' },
};

const CALL_OPTIONS: OptionSpec = {
  from: { type: 'string' },
  callee: { type: 'string' },
  'public-url': { type: 'string' },
  'max-seconds': { type: 'string' },
  'on-machine': { type: 'string' },
  message: { type: 'string' },
  amd: { type: 'boolean' },
};

export type ParsedOptions = Record<string, string | boolean | undefined>;

function parse(args: string[], options: OptionSpec): ParsedOptions {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as ParsedOptions;
  } catch (err) {
    throw new UsageError(`${err instanceof Error ? err.message : String(err)} (see --help)`);
  }
}

// Run when executed directly (tsx or node on the compiled file), not when imported by bin/rxvoice.js.
const invokedPath = process.argv[1] ?? '';
if (/[\\/]cli[\\/]main\.[jt]s$/.test(invokedPath)) {
  await exitWith(await main(process.argv.slice(2)));
}

/** A failed command exits at once: servers it opened before failing (e.g. the sandbox) must not keep it alive. */
export async function exitWith(code: number): Promise<void> {
  if (code === 0) process.exitCode = 0;
  else process.exit(code);
}

/** The version in rxvoice's package.json (dist/src/cli/ and src/cli/ both sit three levels below it, or two). */
function packageVersion(): string {
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'rxvoice' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return 'unknown';
}
