import type WebSocket from 'ws';
import { twilioSerializer } from './carriers/twilio/serializer.js';
import { handleCarrierSession } from './carriers/session.js';
import type { SessionHost } from './session-host.js';

export { MAX_GAP_FILL_MS } from './carriers/session.js';
export { MAX_CUSTOM_PARAMETERS, MAX_PARAMETER_NAME_CHARS, MAX_PARAMETER_VALUE_CHARS } from './carriers/parse.js';

/**
 * One Twilio call over a bidirectional Media Stream: the Twilio serializer on the carrier session that
 * every carrier shares (`carriers/session.ts`). Caller audio: base64 mu-law 8 kHz, gaps in
 * `media.timestamp` filled with silence. Reply audio: `media` chunks of 160 bytes, each followed by a
 * `mark`; `clear` on barge-in; the marks Twilio echoes feed the PlaybackClock.
 */
export function handleTwilioSession(ws: WebSocket, host: SessionHost): void {
  handleCarrierSession(ws, host, twilioSerializer());
}
