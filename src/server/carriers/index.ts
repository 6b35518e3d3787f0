import type { IncomingMessage } from 'node:http';
import { isValidTwilioSignature } from '../security.js';
import type { CallControl } from '../call-control.js';
import type { ServeOptions } from '../types.js';
import { twilioCallControl } from './twilio/control.js';
import { twilioRest } from './twilio/rest.js';
import { CONTROL_PATHS, httpBase, requestWsBase, twilioStreamTwiml } from './webhooks.js';
import { exotelCallControl } from './exotel/control.js';
import { plivoCallControl } from './plivo/control.js';
import { telnyxCallControl } from './telnyx/control.js';
import { vonageCallControl } from './vonage/control.js';
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
export { answerCarrierWebhook, CONTROL_PATHS, WEBHOOK_PATHS } from './webhooks.js';
export { carrierRequest, type CarrierRequest } from './rest-request.js';
export { telnyxCallControl, type TelnyxControlOptions } from './telnyx/control.js';
export { plivoCallControl, type PlivoControlOptions } from './plivo/control.js';
export { vonageCallControl, type VonageControlOptions } from './vonage/control.js';
export { vonageApplicationJwt } from './vonage/jwt.js';
export { exotelCallControl } from './exotel/control.js';
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
  /**
   * Call control over the carrier's REST API for the call that just started, when configured. `session`
   * ends this call's stream (Exotel hangs up that way).
   */
  control?(req: IncomingMessage, options: ServeOptions, start: Extract<CarrierMessage, { kind: 'start' }>, session: CarrierSessionControl): CallControl | undefined;
}

/** What a route's call control may do to the session itself. */
export interface CarrierSessionControl {
  /** Ends the stream in order (the reply in progress is heard out), then closes it with 1000. */
  endStream(): Promise<void>;
}

/** An `https://` URL on this server, as the carrier reaches it, with `query`. */
function controlUrl(req: IncomingMessage, publicBaseUrl: string | undefined, path: string, query: Record<string, string>): string {
  return `${httpBase(requestWsBase(req, publicBaseUrl))}${path}?${new URLSearchParams(query).toString()}`;
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
      return twilioCallControl(
        rest,
        start.callId,
        () => twilioStreamTwiml(base, options, start.customParameters, start.callId),
        (summary) => controlUrl(req, options.twilio?.publicBaseUrl, CONTROL_PATHS.twilioWhisper, { summary }),
      );
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
    control(_req, options, start) {
      const { apiKey, apiBaseUrl } = options.telnyx ?? {};
      if (!apiKey || !start.callId) return undefined;
      return telnyxCallControl({ apiKey, ...(apiBaseUrl ? { baseUrl: apiBaseUrl } : {}) }, start.callId);
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
    control(req, options, start) {
      const { authId, authToken, apiBaseUrl, publicBaseUrl } = options.plivo ?? {};
      if (!authId || !authToken || !start.callId) return undefined;
      return plivoCallControl({ authId, authToken, ...(apiBaseUrl ? { baseUrl: apiBaseUrl } : {}) }, start.callId, (query) => controlUrl(req, publicBaseUrl, CONTROL_PATHS.plivoTransfer, query));
    },
  },
  {
    // Vonage signs its webhooks, not the WebSocket: the server's general auth (e.g. a signed `?token=`
    // in the NCCO's `uri`) guards it.
    name: 'vonage',
    path: '/vonage',
    create: () => vonageSerializer(),
    authorize: () => 'default',
    control(req, options, start) {
      const { applicationId, privateKey, apiBaseUrl, publicBaseUrl } = options.vonage ?? {};
      if (!applicationId || !privateKey || !start.callId) return undefined;
      // The answer webhook put the call's `to` (our Vonage number) in the stream's headers: the transfer's caller id.
      return vonageCallControl(
        { applicationId, privateKey, ...(apiBaseUrl ? { baseUrl: apiBaseUrl } : {}) },
        start.callId,
        (summary) => controlUrl(req, publicBaseUrl, CONTROL_PATHS.vonageWhisper, { summary }),
        start.customParameters.to,
      );
    },
  },
  {
    name: 'exotel',
    path: '/exotel',
    create: (url) => exotelSerializer(url),
    authorize(req, _url, options) {
      const { username, password } = options.exotel ?? {};
      return username !== undefined && password !== undefined ? checked(isValidBasicAuth(username, password, req), 'invalid basic auth') : 'default';
    },
    // No REST API for a Voicebot call: hanging up closes the stream, the flow's next applet follows.
    control: (_req, _options, start, session) => exotelCallControl(start.callId ?? start.streamId, () => session.endStream()),
  },
];

export function carrierRoute(pathname: string): CarrierRoute | undefined {
  return CARRIER_ROUTES.find((route) => route.path === pathname);
}
