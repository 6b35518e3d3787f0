import type { IncomingMessage } from 'node:http';
import { isValidTwilioSignature } from '../security.js';
import type { CallControl } from '../call-control.js';
import type { ServeOptions } from '../types.js';
import { twilioCallControl } from './twilio/control.js';
import { twilioRest } from './twilio/rest.js';
import { requestWsBase, twilioStreamTwiml } from './webhooks.js';
import { isValidBasicAuth, isValidPlivoSignature, isValidTelnyxStreamToken } from './auth.js';
import { exotelSerializer } from './exotel/serializer.js';
import { plivoSerializer } from './plivo/serializer.js';
import { telnyxSerializer } from './telnyx/serializer.js';
import type { CarrierMessage, CarrierName, CarrierSerializer } from './types.js';
import { twilioSerializer } from './twilio/serializer.js';
import { vonageSerializer } from './vonage/serializer.js';

export { handleCarrierSession } from './session.js';
export type { CarrierFormat, CarrierMessage, CarrierName, CarrierSerializer } from './types.js';
export type { ExotelOptions, PlivoOptions, TelnyxOptions, VonageOptions } from './options.js';
export { answerCarrierWebhook, WEBHOOK_PATHS } from './webhooks.js';
export { placeTwilioCall, type PlaceCallOptions } from './twilio/place-call.js';
export { TwilioRest, TwilioRestError, twilioRest, type TwilioCall, type TwilioRestOptions } from './twilio/rest.js';

/**
 * How the server checks a carrier's upgrade: `'ok'`, a refusal reason (401), or `'default'` when the
 * carrier's own scheme is not configured (the server's general `auth` options then apply).
 */
export type CarrierAuthResult = 'ok' | 'default' | { readonly refused: string };

export interface CarrierRoute {
  readonly name: CarrierName;
  readonly path: string;
  create(url: URL): CarrierSerializer;
  authorize(req: IncomingMessage, url: URL, options: ServeOptions): CarrierAuthResult;
  /** Call control over the carrier's REST API for the call that just started, when configured. */
  control?(req: IncomingMessage, options: ServeOptions, start: Extract<CarrierMessage, { kind: 'start' }>): CallControl | undefined;
}



/** The URL the carrier signed: the public base (behind a proxy) or `wss://` + Host, then path and query. */
export function publicUrl(req: IncomingMessage, url: URL, publicBaseUrl: string | undefined): string {
  const base = publicBaseUrl ?? `wss://${req.headers.host ?? 'localhost'}`;
  return `${base.replace(/\/$/, '')}${url.pathname}${url.search}`;
}

const checked = (valid: boolean, reason: string): CarrierAuthResult => (valid ? 'ok' : { refused: reason });

/** Every carrier's WebSocket path, serializer and upgrade check. */
export const CARRIER_ROUTES: readonly CarrierRoute[] = [
  {
    name: 'twilio',
    path: '/twilio',
    create: () => twilioSerializer(),
    authorize(req, url, options) {
      const token = options.twilio?.authToken;
      if (!token) return 'default';
      const header = req.headers['x-twilio-signature'];
      const signature = typeof header === 'string' ? header : undefined;
      const base = options.twilio?.publicBaseUrl;
      // Without a configured public URL, Twilio may have used wss:// (behind TLS) or ws:// (a plain, local URL).
      const candidates = base ? [base] : [`wss://${req.headers.host ?? 'localhost'}`, `ws://${req.headers.host ?? 'localhost'}`];
      const valid = candidates.some((b) => isValidTwilioSignature(token, signature, publicUrl(req, url, b)));
      return checked(valid, 'invalid X-Twilio-Signature');
    },
    control(req, options, start) {
      const rest = twilioRest(options);
      if (!rest || !start.callId) return undefined;
      // DTMF reconnects the stream where Twilio reached it, with the same parameters.
      const base = requestWsBase(req, options.twilio?.publicBaseUrl);
      return twilioCallControl(rest, start.callId, () => twilioStreamTwiml(base, options, start.customParameters, start.callId));
    },
  },
  {
    name: 'telnyx',
    path: '/telnyx',
    create: () => telnyxSerializer(),
    authorize(req, _url, options) {
      const token = options.telnyx?.streamingAuthToken;
      return token ? checked(isValidTelnyxStreamToken(token, req), 'invalid x-telnyx-streaming-auth-token') : 'default';
    },
  },
  {
    name: 'plivo',
    path: '/plivo',
    create: () => plivoSerializer(),
    authorize(req, url, options) {
      const token = options.plivo?.authToken;
      return token ? checked(isValidPlivoSignature(token, req, publicUrl(req, url, options.plivo?.publicBaseUrl)), 'invalid X-Plivo-Signature-V3') : 'default';
    },
  },
  {
    // Vonage signs its webhooks, not the WebSocket: the server's general auth (e.g. a signed `?token=`
    // in the NCCO's `uri`) guards it.
    name: 'vonage',
    path: '/vonage',
    create: () => vonageSerializer(),
    authorize: () => 'default',
  },
  {
    name: 'exotel',
    path: '/exotel',
    create: (url) => exotelSerializer(url),
    authorize(req, _url, options) {
      const { username, password } = options.exotel ?? {};
      return username !== undefined && password !== undefined ? checked(isValidBasicAuth(username, password, req), 'invalid basic auth') : 'default';
    },
  },
];

export function carrierRoute(pathname: string): CarrierRoute | undefined {
  return CARRIER_ROUTES.find((route) => route.path === pathname);
}
