import type { IncomingMessage, ServerResponse } from 'node:http';
import { isValidTwilioSignature, signToken } from '../security.js';
import type { ServeOptions } from '../types.js';
import { MAX_MESSAGE_CHARS, MAX_SUMMARY_CHARS, TRANSFER_TARGET } from '../call-control.js';
import { isValidBasicAuth, isValidPlivoSignature } from './auth.js';
import { reportCarrierAmd } from './amd-results.js';
import { MAX_PARAMETER_VALUE_CHARS } from './parse.js';
import { isValidTelnyxWebhook, isValidVonageWebhook } from './webhook-auth.js';

/** Webhook bodies are small form posts; anything larger is refused (413). */
export const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;
/** The signed `?token=` put in a stream URL lives this long: the carrier connects within seconds. */
export const STREAM_TOKEN_TTL_MS = 5 * 60_000;

/** The answer webhooks: the carrier asks what to do with a call, the server connects it to its stream. */
export const WEBHOOK_PATHS = {
  twilio: '/twilio/voice',
  telnyx: '/telnyx/voice',
  plivo: '/plivo/answer',
  vonage: '/vonage/answer',
  exotel: '/exotel/voice',
} as const;

/**
 * The URLs a carrier fetches during call control: the whisper of a warm transfer (Twilio `<Number url>`,
 * Vonage `onAnswer`) and Plivo's transfer XML (`aleg_url`). Each checks the carrier's signature like
 * the answer webhooks, so only the carrier can have the server speak or dial.
 */
export const CONTROL_PATHS = {
  twilioWhisper: '/twilio/whisper',
  vonageWhisper: '/vonage/whisper',
  plivoTransfer: '/plivo/transfer',
  plivoWhisper: '/plivo/whisper',
  twilioAmd: '/twilio/amd',
} as const;

const xml = (value: string): string =>
  value.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_WEBHOOK_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Form fields (last value wins), values bounded. */
function formFields(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(body.toString('utf8'))) out[name] = value.slice(0, MAX_PARAMETER_VALUE_CHARS);
  return out;
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
};

/** `wss://host` (or the configured public base): where the carrier reaches the server's WebSockets. */
export function wsBase(req: IncomingMessage | undefined, publicBaseUrl: string | undefined): string {
  return (publicBaseUrl ?? `wss://${req?.headers.host ?? 'localhost'}`).replace(/\/$/, '');
}

/**
 * Where a carrier reached this stream: the public base when configured, else the request's own host with
 * `wss://` behind TLS (a TLS socket, or `X-Forwarded-Proto: https`) and `ws://` otherwise.
 */
export function requestWsBase(req: IncomingMessage, publicBaseUrl: string | undefined): string {
  if (publicBaseUrl) return publicBaseUrl.replace(/\/$/, '');
  const tls = (req.socket as { encrypted?: boolean }).encrypted === true || req.headers['x-forwarded-proto'] === 'https';
  return `${tls ? 'wss' : 'ws'}://${req.headers.host ?? 'localhost'}`;
}
/** The same base as the carrier's HTTP webhook URL (`https://`), which the carrier signs. */
export const httpBase = (wsUrl: string): string => wsUrl.replace(/^ws(s?):/, 'http$1:');

/** The stream URL, with a short-lived signed `?token=` when the server's general auth uses query tokens. */
function streamUrl(base: string, path: string, options: ServeOptions, subject: string | undefined): string {
  const secret = options.auth?.tokenSecret;
  if (!secret) return `${base}${path}`;
  const token = signToken(secret, { expiresAt: Date.now() + STREAM_TOKEN_TTL_MS, ...(subject ? { subject: subject.slice(0, 64) } : {}) });
  return `${base}${path}?token=${encodeURIComponent(token)}`;
}

/** Static stream parameters the server adds to every call (e.g. `{ pipeline: 'cascaded' }`), bounded. */
function staticParameters(options: ServeOptions): [string, string][] {
  return Object.entries(options.streamParameters ?? {}).slice(0, 16);
}

type Answer = { status: number; type: string; body: string };
const refuse = (status: number, reason: string): Answer => ({ status, type: 'application/json', body: JSON.stringify({ error: reason }) });

/** Twilio: `<Connect><Stream>` to `/twilio`, the call's From/To/CallSid as `<Parameter>`s. */
function answerTwilio(req: IncomingMessage, body: Buffer, url: URL, options: ServeOptions): Answer {
  const fields = formFields(body);
  const base = wsBase(req, options.twilio?.publicBaseUrl);
  if (options.twilio?.authToken) {
    const signed = `${httpBase(base)}${url.pathname}${url.search}`;
    if (!isValidTwilioSignature(options.twilio.authToken, header(req, 'x-twilio-signature'), signed, fields)) return refuse(401, 'invalid X-Twilio-Signature');
  }
  const params: Record<string, string> = {};
  for (const name of ['CallSid', 'From', 'To', 'Direction']) if (fields[name]) params[name] = fields[name]!;
  return { status: 200, type: 'text/xml', body: twilioStreamTwiml(base, options, params, fields.CallSid) };
}

/** TwiML connecting a call to `/twilio` (`base` = wss://host), with `streamParameters` and `params` as `<Parameter>`s. */
export function twilioStreamTwiml(base: string, options: ServeOptions, params: Readonly<Record<string, string>>, callSid: string | undefined): string {
  const all = [...new Map([...staticParameters(options), ...Object.entries(params).slice(0, 32)])];
  const stream = streamUrl(base, '/twilio', options, callSid);
  const parameters = all.map(([name, value]) => `<Parameter name="${xml(name)}" value="${xml(value)}"/>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="${xml(stream)}">${parameters}</Stream></Connect></Response>`;
}

/** Telnyx TeXML: `<Connect><Stream bidirectionalMode="rtp">` to `/telnyx` (Telnyx TeXML `<Stream>` verb). */
function answerTelnyx(req: IncomingMessage, body: Buffer, options: ServeOptions): Answer {
  const key = options.telnyx?.publicKey;
  if (key && !isValidTelnyxWebhook(key, header(req, 'telnyx-signature-ed25519'), header(req, 'telnyx-timestamp'), body)) return refuse(401, 'invalid telnyx-signature-ed25519');
  const fields = formFields(body);
  const stream = streamUrl(wsBase(req, options.telnyx?.publicBaseUrl), '/telnyx', options, fields.CallSid);
  return {
    status: 200,
    type: 'text/xml',
    body: `<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="${xml(stream)}" bidirectionalMode="rtp" bidirectionalCodec="PCMU"/></Connect></Response>`,
  };
}

/** Plivo: `<Stream bidirectional="true" keepCallAlive="true">` to `/plivo`; extraHeaders allow letters and digits only. */
function answerPlivo(req: IncomingMessage, body: Buffer, url: URL, options: ServeOptions): Answer {
  const fields = formFields(body);
  const base = wsBase(req, options.plivo?.publicBaseUrl);
  if (options.plivo?.authToken && !isValidPlivoSignature(options.plivo.authToken, req, `${httpBase(base)}${url.pathname}${url.search}`, 'POST', fields)) {
    return refuse(401, 'invalid X-Plivo-Signature-V3');
  }
  const extra = staticParameters(options)
    .filter(([name, value]) => /^[A-Za-z0-9]+$/.test(name) && /^[A-Za-z0-9]+$/.test(value))
    .map(([name, value]) => `${name}=${value}`)
    .join(',')
    .slice(0, 512);
  const stream = streamUrl(base, '/plivo', options, fields.CallUUID);
  return {
    status: 200,
    type: 'text/xml',
    body: `<?xml version="1.0" encoding="UTF-8"?><Response><Stream bidirectional="true" keepCallAlive="true" contentType="audio/x-mulaw;rate=8000"${extra ? ` extraHeaders="${xml(extra)}"` : ''}>${xml(stream)}</Stream></Response>`,
  };
}

/** Vonage: an NCCO `connect` to a websocket endpoint at `/vonage`, L16 16 kHz, the call's ids as headers. */
function answerVonage(req: IncomingMessage, body: Buffer, url: URL, options: ServeOptions): Answer {
  const secret = options.vonage?.signatureSecret;
  if (secret && !isValidVonageWebhook(secret, header(req, 'authorization'), body)) return refuse(401, 'invalid signed webhook (JWT)');
  const fields = req.method === 'POST' ? (JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>) : Object.fromEntries(url.searchParams);
  const headers: Record<string, string> = Object.fromEntries(staticParameters(options));
  for (const name of ['uuid', 'conversation_uuid', 'from', 'to']) {
    const value = fields[name];
    if (typeof value === 'string') headers[name] = value.slice(0, 128);
  }
  const stream = streamUrl(wsBase(req, options.vonage?.publicBaseUrl), '/vonage', options, headers.uuid);
  const ncco = [{ action: 'connect', endpoint: [{ type: 'websocket', uri: stream, 'content-type': 'audio/l16;rate=16000', headers }] }];
  return { status: 200, type: 'application/json', body: JSON.stringify(ncco) };
}

/** Exotel's Voicebot applet, given an https URL instead of a wss one, asks it for the stream URL: `{"url": "wss://..."}`. */
function answerExotel(req: IncomingMessage, body: Buffer, url: URL, options: ServeOptions): Answer {
  const { username, password } = options.exotel ?? {};
  if (username !== undefined && password !== undefined && !isValidBasicAuth(username, password, req)) return refuse(401, 'invalid basic auth');
  const fields = req.method === 'POST' ? formFields(body) : Object.fromEntries([...url.searchParams].map(([k, v]) => [k, v.slice(0, MAX_PARAMETER_VALUE_CHARS)]));
  const base = wsBase(req, options.exotel?.publicBaseUrl);
  const stream = new URL(streamUrl(base, '/exotel', options, fields.CallSid));
  // The applet passes up to three custom parameters and the sample rate as the stream URL's query.
  const rate = url.searchParams.get('sample-rate');
  if (rate === '16000' || rate === '24000') stream.searchParams.set('sample-rate', rate);
  return { status: 200, type: 'application/json', body: JSON.stringify({ url: stream.toString() }) };
}

/** The summary a whisper speaks, from its URL; undefined when absent or too long. */
function whisperSummary(url: URL): string | undefined {
  const summary = url.searchParams.get('summary');
  return summary && summary.length <= MAX_SUMMARY_CHARS ? summary : undefined;
}

/** Twilio's `<Number url>` whisper: `<Say>` the summary to the person taking over (signed by Twilio). */
function answerTwilioWhisper(req: IncomingMessage, body: Buffer, url: URL, options: ServeOptions): Answer {
  const fields = formFields(body);
  const token = options.twilio?.authToken;
  if (!token) return refuse(404, 'not found');
  const signed = `${httpBase(requestWsBase(req, options.twilio?.publicBaseUrl))}${url.pathname}${url.search}`;
  if (!isValidTwilioSignature(token, header(req, 'x-twilio-signature'), signed, fields)) return refuse(401, 'invalid X-Twilio-Signature');
  const summary = whisperSummary(url);
  if (!summary) return refuse(400, 'summary missing or too long');
  return { status: 200, type: 'text/xml', body: `<?xml version="1.0" encoding="UTF-8"?><Response><Say>${xml(summary)}</Say></Response>` };
}

/** Twilio's asynchronous AMD verdict (`CallSid`, `AnsweredBy`), signed: handed to the live call. */
function answerTwilioAmd(req: IncomingMessage, body: Buffer, url: URL, options: ServeOptions): Answer {
  const fields = formFields(body);
  const token = options.twilio?.authToken;
  if (!token) return refuse(404, 'not found');
  const signed = `${httpBase(requestWsBase(req, options.twilio?.publicBaseUrl))}${url.pathname}${url.search}`;
  if (!isValidTwilioSignature(token, header(req, 'x-twilio-signature'), signed, fields)) return refuse(401, 'invalid X-Twilio-Signature');
  if (fields.CallSid && fields.AnsweredBy) reportCarrierAmd(fields.CallSid.slice(0, 64), fields.AnsweredBy);
  return { status: 204, type: 'text/plain', body: '' };
}

/** Vonage's connect `onAnswer` NCCO: a `talk` of the summary to the person taking over (signed webhook when configured). */
function answerVonageWhisper(req: IncomingMessage, body: Buffer, url: URL, options: ServeOptions): Answer {
  const secret = options.vonage?.signatureSecret;
  if (secret && !isValidVonageWebhook(secret, header(req, 'authorization'), body)) return refuse(401, 'invalid signed webhook (JWT)');
  if (!options.vonage?.applicationId) return refuse(404, 'not found');
  const summary = whisperSummary(url);
  if (!summary) return refuse(400, 'summary missing or too long');
  return { status: 200, type: 'application/json', body: JSON.stringify([{ action: 'talk', text: summary }]) };
}

/** Plivo signs every request with V3 over the URL it fetched and the POST fields. */
function plivoSigned(req: IncomingMessage, body: Buffer, url: URL, options: ServeOptions): Answer | undefined {
  const token = options.plivo?.authToken;
  if (!token) return refuse(404, 'not found');
  const signed = `${httpBase(requestWsBase(req, options.plivo?.publicBaseUrl))}${url.pathname}${url.search}`;
  return isValidPlivoSignature(token, req, signed, 'POST', formFields(body)) ? undefined : refuse(401, 'invalid X-Plivo-Signature-V3');
}

const plivoXml = (inner: string): Answer => ({ status: 200, type: 'text/xml', body: `<?xml version="1.0" encoding="UTF-8"?><Response>${inner}</Response>` });

/**
 * Plivo's transfer (`aleg_url`): `?to=` dials the target (`confirmSound` = the whisper when `summary` is
 * given), `?message=` speaks a voicemail message and hangs up. Signed by Plivo with the auth token.
 */
function answerPlivoTransfer(req: IncomingMessage, body: Buffer, url: URL, options: ServeOptions): Answer {
  const refused = plivoSigned(req, body, url, options);
  if (refused) return refused;
  const message = url.searchParams.get('message');
  if (message !== null) {
    if (!message.trim() || message.length > MAX_MESSAGE_CHARS) return refuse(400, 'message missing or too long');
    return plivoXml(`<Speak>${xml(message)}</Speak><Hangup/>`);
  }
  const to = url.searchParams.get('to') ?? '';
  if (!TRANSFER_TARGET.test(to)) return refuse(400, 'bad transfer target');
  const summary = url.searchParams.get('summary');
  if (summary !== null && !whisperSummary(url)) return refuse(400, 'summary too long');
  const whisper = summary
    ? ` confirmSound="${xml(`${httpBase(requestWsBase(req, options.plivo?.publicBaseUrl))}${CONTROL_PATHS.plivoWhisper}?${new URLSearchParams({ summary }).toString()}`)}"`
    : '';
  const noun = to.startsWith('sip') ? `<User>${xml(to)}</User>` : `<Number>${xml(to.replace(/^\+/, ''))}</Number>`;
  return plivoXml(`<Dial${whisper}>${noun}</Dial>`);
}

/** Plivo's `confirmSound`: `<Speak>` the summary to the person taking over. */
function answerPlivoWhisper(req: IncomingMessage, body: Buffer, url: URL, options: ServeOptions): Answer {
  const refused = plivoSigned(req, body, url, options);
  if (refused) return refused;
  const summary = whisperSummary(url);
  return summary ? plivoXml(`<Speak>${xml(summary)}</Speak>`) : refuse(400, 'summary missing or too long');
}

type Handler = { methods: readonly string[]; answer(req: IncomingMessage, body: Buffer, url: URL, options: ServeOptions): Answer };
const HANDLERS: Readonly<Record<string, Handler & { name: string }>> = {
  [WEBHOOK_PATHS.twilio]: { name: 'twilio', methods: ['POST'], answer: answerTwilio },
  [WEBHOOK_PATHS.telnyx]: { name: 'telnyx', methods: ['POST'], answer: (req, body, _url, options) => answerTelnyx(req, body, options) },
  [WEBHOOK_PATHS.plivo]: { name: 'plivo', methods: ['POST'], answer: answerPlivo },
  [WEBHOOK_PATHS.vonage]: { name: 'vonage', methods: ['GET', 'POST'], answer: answerVonage },
  [WEBHOOK_PATHS.exotel]: { name: 'exotel', methods: ['GET', 'POST'], answer: answerExotel },
  [CONTROL_PATHS.twilioWhisper]: { name: 'twilio whisper', methods: ['POST'], answer: answerTwilioWhisper },
  [CONTROL_PATHS.vonageWhisper]: { name: 'vonage whisper', methods: ['GET', 'POST'], answer: answerVonageWhisper },
  [CONTROL_PATHS.plivoTransfer]: { name: 'plivo transfer', methods: ['POST'], answer: answerPlivoTransfer },
  [CONTROL_PATHS.plivoWhisper]: { name: 'plivo whisper', methods: ['POST'], answer: answerPlivoWhisper },
  [CONTROL_PATHS.twilioAmd]: { name: 'twilio amd', methods: ['POST'], answer: answerTwilioAmd },
};

/**
 * Answers a carrier's call webhook (or a call-control fetch) when `path` is one (true), else leaves the
 * request alone (false). The signature check runs on the raw body before anything is answered; errors
 * become a 400, never a throw.
 */
export function answerCarrierWebhook(req: IncomingMessage, res: ServerResponse, url: URL, options: ServeOptions, log: (line: string) => void): boolean {
  const handler = Object.hasOwn(HANDLERS, url.pathname) ? HANDLERS[url.pathname] : undefined;
  if (!handler) return false;
  if (!handler.methods.includes(req.method ?? '')) {
    req.resume();
    res.writeHead(405, { allow: handler.methods.join(', '), 'content-type': 'text/plain' }).end('method not allowed');
    return true;
  }
  void readBody(req)
    .then((body) => (body ? handler.answer(req, body, url, options) : refuse(413, 'webhook body too large')))
    .catch((err: unknown) => {
      log(`${handler.name} webhook failed: ${err instanceof Error ? err.message : String(err)}`);
      return refuse(400, 'bad webhook request');
    })
    .then((answer) => {
      if (res.headersSent) return;
      res.writeHead(answer.status, { 'content-type': answer.type, ...(answer.status === 413 ? { connection: 'close' } : {}) }).end(answer.body);
    });
  return true;
}
