import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../http/body.js';
import { sendJson } from '../errors.js';
import { calleeAudio, CalleeStream, DEFAULT_PERSON, type CalleeScript, type StreamRecord } from './callee.js';

export { DEFAULT_VOICEMAIL_GREETING, calleeAudio, type CalleeScript, type StreamRecord } from './callee.js';
export { AMD_FIXTURES, type AmdFixture } from './amd-fixtures.js';

/** A call the sandbox holds, with what happened to it (for tests). */
export interface SandboxTwilioCall {
  readonly sid: string;
  readonly accountSid: string;
  readonly to: string;
  readonly from: string;
  readonly direction: 'outbound-api' | 'inbound';
  status: 'queued' | 'ringing' | 'in-progress' | 'completed' | 'canceled' | 'failed';
  /** Every TwiML document the call ran, in order (the create's, then updates'). */
  readonly twiml: string[];
  /** DTMF the call played (`<Play digits>`). */
  readonly digitsPlayed: string[];
  /** Where a `<Dial>` sent the call (a transfer). */
  transferredTo?: string;
  /**
   * A warm transfer's whisper: the TwiML the sandbox fetched from `<Number url>` / `<Sip url>` (signed,
   * as Twilio does) once the person taking over "answered", or `error: ...` when the fetch failed.
   */
  whisper?: string;
  /** What `<Say>` spoke into the call (e.g. a voicemail message). */
  readonly said: string[];
  /** The asynchronous AMD verdict the sandbox posted (`AsyncAmd=true`), once posted. */
  answeredBy?: string;
  readonly streams: StreamRecord[];
}

export interface TwilioSandboxOptions {
  /** Who answers a number (`To`); default: a person saying "Hello?". */
  readonly callees?: Readonly<Record<string, CalleeScript>>;
}

const TWILIO = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls(?:\/([^/]+))?\.json$/;
/** Calls the sandbox keeps; the oldest are forgotten beyond this. */
const MAX_CALLS = 256;

const error = (status: number, code: number, message: string) => ({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
const twilioDate = (d: Date) => d.toUTCString().replace('GMT', '+0000');
const sid = (prefix: string) => `${prefix}${randomBytes(16).toString('hex')}`;
const unxml = (s: string) => s.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** `<Connect><Stream url>` and its `<Parameter>`s, when the TwiML has one. */
function streamOf(twiml: string): { url: string; parameters: Record<string, string> } | undefined {
  const stream = /<Connect>\s*<Stream\s+[^>]*url="([^"]+)"[^>]*>([\s\S]*?)<\/Stream>|<Connect>\s*<Stream\s+[^>]*url="([^"]+)"[^>]*\/>/.exec(twiml);
  if (!stream) return undefined;
  const parameters: Record<string, string> = {};
  for (const p of (stream[2] ?? '').matchAll(/<Parameter\s+name="([^"]*)"\s+value="([^"]*)"\s*\/>/g)) parameters[unxml(p[1]!)] = unxml(p[2]!);
  return { url: unxml(stream[1] ?? stream[3]!), parameters };
}

/** The longest whisper TwiML the sandbox reads; Twilio fetches it within this long. */
const MAX_WHISPER_BYTES = 64 * 1024;
const WHISPER_TIMEOUT_MS = 5000;

/**
 * Fetches a `<Number url>` whisper as Twilio does for the answered party: POST, form fields of the new
 * (child) call, `X-Twilio-Signature` over the URL and the sorted fields with the auth token.
 */
async function fetchWhisper(url: string, call: SandboxTwilioCall, authToken: string): Promise<string> {
  if (!/^https?:\/\//.test(url)) return 'error: whisper url must be http(s)';
  const fields: Record<string, string> = { AccountSid: call.accountSid, CallSid: sid('CA'), ParentCallSid: call.sid, CallStatus: 'in-progress', Direction: 'outbound-dial', To: call.transferredTo ?? '', From: call.from };
  const signed = url + Object.keys(fields).sort().map((k) => k + fields[k]).join('');
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': createHmac('sha1', authToken).update(signed).digest('base64') },
      body: new URLSearchParams(fields).toString(),
      signal: AbortSignal.timeout(WHISPER_TIMEOUT_MS),
    });
    const text = (await res.text()).slice(0, MAX_WHISPER_BYTES);
    return res.ok ? text : `error: ${res.status} ${text.slice(0, 200)}`;
  } catch (err) {
    return `error: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** Posts an asynchronous AMD verdict as Twilio does: form fields, `X-Twilio-Signature`. */
async function postAmd(url: string, call: SandboxTwilioCall, answeredBy: string, authToken: string): Promise<void> {
  if (!/^https?:\/\//.test(url)) return;
  const fields: Record<string, string> = { AccountSid: call.accountSid, CallSid: call.sid, AnsweredBy: answeredBy, MachineDetectionDuration: '2400' };
  const signed = url + Object.keys(fields).sort().map((k) => k + fields[k]).join('');
  call.answeredBy = answeredBy;
  await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': createHmac('sha1', authToken).update(signed).digest('base64') },
    body: new URLSearchParams(fields).toString(),
    signal: AbortSignal.timeout(WHISPER_TIMEOUT_MS),
  }).catch(() => undefined);
}

/**
 * Twilio's REST API for calls (2010-04-01, form-encoded, HTTP Basic with the account SID): create, fetch,
 * update (new `Twiml`/`Url`, or `Status=completed`). A call whose TwiML connects a `<Stream>` gets a
 * simulated callee: the sandbox opens the stream to that URL and plays the callee's script as Twilio
 * would (see `CalleeStream`). `<Dial>` ends the stream (a transfer; a `<Number url>` whisper is fetched), `<Play digits>` is recorded, and
 * `Status=completed` sends `stop` and closes the stream.
 */
export function createTwilioHandler(options: TwilioSandboxOptions = {}) {
  const calls = new Map<string, SandboxTwilioCall>();
  const live = new Map<string, CalleeStream>();

  const resource = (call: SandboxTwilioCall) => ({
    account_sid: call.accountSid,
    answered_by: null,
    api_version: '2010-04-01',
    date_created: twilioDate(new Date()),
    date_updated: twilioDate(new Date()),
    direction: call.direction,
    from: call.from,
    sid: call.sid,
    status: call.status,
    to: call.to,
    uri: `/2010-04-01/Accounts/${call.accountSid}/Calls/${call.sid}.json`,
  });

  const runTwiml = async (call: SandboxTwilioCall, twiml: string, authToken: string, amdCallback?: string): Promise<void> => {
    call.twiml.push(twiml);
    live.get(call.sid)?.stop();
    live.delete(call.sid);
    for (const say of twiml.matchAll(/<Say[^>]*>([^<]*)<\/Say>/g)) call.said.push(unxml(say[1]!));
    if (/<Hangup\s*\/>/.test(twiml)) call.status = 'completed';
    for (const play of twiml.matchAll(/<Play\s+[^>]*digits="([^"]*)"/g)) call.digitsPlayed.push(play[1]!);
    const dial = /<Dial[^>]*>\s*(?:<(?:Number|Sip)([^>]*)>)?\s*([^<\s]+)/.exec(twiml);
    if (dial) {
      call.transferredTo = unxml(dial[2]!);
      const whisper = /\surl="([^"]+)"/.exec(dial[1] ?? '');
      if (whisper) call.whisper = await fetchWhisper(unxml(whisper[1]!), call, authToken);
    }
    const stream = streamOf(twiml);
    if (!stream) return;
    call.status = 'in-progress';
    const script = options.callees?.[call.to] ?? DEFAULT_PERSON;
    const audio = await calleeAudio(script);
    const callee = new CalleeStream(stream.url, { accountSid: call.accountSid, callSid: call.sid, authToken, parameters: stream.parameters }, audio);
    call.streams.push(callee.record);
    live.set(call.sid, callee);
    if (amdCallback) {
      // Twilio's DetectMessageEnd answers `human` a little after a short greeting, `machine_end_beep`
      // once a voicemail greeting and its beep are over.
      const answeredBy = script.kind === 'voicemail' ? 'machine_end_beep' : 'human';
      const afterMs = script.kind === 'voicemail' ? audio.length / 8 + 200 : Math.min(audio.length / 8, 2500);
      const timer = setTimeout(() => void postAmd(amdCallback, call, answeredBy, authToken), afterMs);
      void callee.closed.then(() => clearTimeout(timer));
    }
    void callee.closed.then(() => {
      if (live.get(call.sid) === callee) live.delete(call.sid);
    });
  };

  async function handleHttp(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const match = TWILIO.exec(url.pathname);
    if (!match) return false;
    const [, accountSid, callSid] = match;
    const auth = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
    const [user, password] = auth ? Buffer.from(auth[1]!, 'base64').toString('utf8').split(':') : [];
    if (!user || !password || (user !== accountSid && !user.startsWith('SK'))) {
      req.resume();
      sendJson(res, 401, error(401, 20003, 'Authenticate'), { 'www-authenticate': 'Basic realm="Twilio API"' });
      return true;
    }
    let raw = '';
    try {
      raw = req.method === 'POST' ? (await readBody(req, 64 * 1024)).toString('utf8') : '';
    } catch {
      sendJson(res, 413, error(413, 20001, 'Request body too large'), { connection: 'close' });
      return true;
    }
    const form = Object.fromEntries(new URLSearchParams(raw));
    if (!callSid) {
      if (req.method !== 'POST') return void sendJson(res, 405, error(405, 20004, 'Method not allowed')), true;
      if (!form.To) return void sendJson(res, 400, error(400, 21201, "No 'To' number is specified")), true;
      if (!form.From) return void sendJson(res, 400, error(400, 21213, "No 'From' number is specified")), true;
      if (!form.Twiml && !form.Url) return void sendJson(res, 400, error(400, 21205, 'Url parameter is required')), true;
      const call: SandboxTwilioCall = { sid: sid('CA'), accountSid: accountSid!, to: form.To, from: form.From, direction: 'outbound-api', status: 'queued', twiml: [], digitsPlayed: [], streams: [], said: [] };
      calls.set(call.sid, call);
      if (calls.size > MAX_CALLS) calls.delete(calls.keys().next().value as string);
      sendJson(res, 201, resource(call));
      const amdCallback = form.AsyncAmd === 'true' && form.MachineDetection && form.AsyncAmdStatusCallback ? form.AsyncAmdStatusCallback : undefined;
      if (form.Twiml) void runTwiml(call, form.Twiml, password, amdCallback).catch(() => (call.status = 'failed'));
      return true;
    }
    const call = calls.get(callSid);
    if (!call || call.accountSid !== accountSid) {
      sendJson(res, 404, error(404, 20404, `The requested resource /2010-04-01/Accounts/${accountSid}/Calls/${callSid}.json was not found`));
      return true;
    }
    if (req.method === 'POST') {
      if (form.Status === 'completed' || form.Status === 'canceled') {
        call.status = form.Status;
        live.get(call.sid)?.stop();
        live.delete(call.sid);
      } else if (form.Twiml) {
        await runTwiml(call, form.Twiml, password);
      }
    }
    sendJson(res, 200, resource(call));
    return true;
  }

  return {
    handleHttp,
    calls: (): readonly SandboxTwilioCall[] => [...calls.values()],
    call: (callSid: string): SandboxTwilioCall | undefined => calls.get(callSid),
    async close(): Promise<void> {
      for (const stream of live.values()) stream.stop();
      await Promise.all([...live.values()].map((s) => s.closed));
    },
  };
}

export type TwilioHandler = ReturnType<typeof createTwilioHandler>;
