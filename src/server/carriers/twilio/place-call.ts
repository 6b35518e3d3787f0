import type { ServeOptions } from '../../types.js';
import { CONTROL_PATHS, twilioStreamTwiml } from '../webhooks.js';
import { twilioRest, type TwilioCall } from './rest.js';

export interface PlaceCallOptions {
  /** The number to call (E.164). */
  readonly to: string;
  /** Your Twilio number (E.164), the caller id. */
  readonly from: string;
  /** Extra `<Parameter>`s for the stream (they arrive as `choice.customParameters`). */
  readonly parameters?: Readonly<Record<string, string>>;
  /**
   * Ask Twilio for its own answering-machine detection too (asynchronous AMD, `DetectMessageEnd`): its
   * `AnsweredBy` reaches this server's `/twilio/amd` and the call's `answeringMachine` handling, where it
   * wins over the local detector. Default false (Twilio bills AMD per call).
   */
  readonly machineDetection?: boolean;
}

/**
 * An outbound call: creates it over Twilio's REST API with TwiML that connects the answered call to this
 * server's `/twilio` stream (`Direction`, `To`, `From` as parameters), so the agent runs as on an inbound
 * call. `base` is where Twilio reaches the server (`twilio.publicBaseUrl`, else the given fallback).
 */
export async function placeTwilioCall(options: ServeOptions, call: PlaceCallOptions, fallbackBase: string): Promise<TwilioCall> {
  const rest = twilioRest(options);
  if (!rest) throw new Error('placeCall needs twilio.accountSid and twilio.authToken');
  const base = (options.twilio?.publicBaseUrl ?? fallbackBase).replace(/\/$/, '');
  const twiml = twilioStreamTwiml(base, options, { ...call.parameters, Direction: 'outbound', To: call.to, From: call.from }, undefined);
  // Twilio "Answering Machine Detection" (twilio.com/docs/voice/answering-machine-detection): AsyncAmd lets
  // the stream start at once, the verdict is POSTed to AsyncAmdStatusCallback (CallSid, AnsweredBy).
  const amd = call.machineDetection ? { machineDetection: 'DetectMessageEnd' as const, asyncAmd: true, asyncAmdStatusCallback: `${base.replace(/^ws(s?):/, 'http$1:')}${CONTROL_PATHS.twilioAmd}` } : {};
  return rest.createCall({ to: call.to, from: call.from, twiml, ...amd });
}
