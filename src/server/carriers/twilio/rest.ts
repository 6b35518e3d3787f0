/**
 * The few Twilio REST calls a phone agent needs (Twilio API 2010-04-01, "Call resource",
 * twilio.com/docs/voice/api/call-resource): create a call (`POST /2010-04-01/Accounts/{AccountSid}/Calls.json`
 * with `To`, `From` and `Twiml` or `Url`), update one (`POST .../Calls/{CallSid}.json` with `Twiml`, `Url` or
 * `Status=completed`), fetch one. Bodies are form-encoded, auth is HTTP Basic (account SID, or an API key
 * SID, and its secret), answers are JSON.
 */

import type { ServeOptions } from '../../types.js';

export interface TwilioRestOptions {
  readonly accountSid: string;
  /** The auth token, or an API key's secret with `username` = the key's SID. */
  readonly authToken: string;
  readonly username?: string;
  /** Default `https://api.twilio.com`; the sandbox's URL offline. */
  readonly baseUrl?: string;
  readonly fetch?: typeof fetch;
}

/** The fields of Twilio's call resource this project reads. */
export interface TwilioCall {
  readonly sid: string;
  readonly status: string;
  readonly to: string;
  readonly from: string;
  readonly direction?: string;
  readonly answered_by?: string | null;
}

export class TwilioRestError extends Error {
  constructor(
    readonly status: number,
    /** Twilio's error code (e.g. 20003 authenticate, 20404 not found, 21201 no To). */
    readonly code: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'TwilioRestError';
  }
}

export class TwilioRest {
  private readonly base: string;
  private readonly doFetch: typeof fetch;

  constructor(private readonly options: TwilioRestOptions) {
    this.base = `${(options.baseUrl ?? 'https://api.twilio.com').replace(/\/$/, '')}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}`;
    this.doFetch = options.fetch ?? fetch;
  }

  /** Places a call; Twilio runs `twiml` (or fetches `url`) once it is answered. */
  createCall(params: {
    to: string;
    from: string;
    twiml?: string;
    url?: string;
    statusCallback?: string;
    machineDetection?: 'Enable' | 'DetectMessageEnd';
    asyncAmd?: boolean;
    asyncAmdStatusCallback?: string;
  }): Promise<TwilioCall> {
    return this.request('/Calls.json', {
      To: params.to,
      From: params.from,
      ...(params.twiml ? { Twiml: params.twiml } : {}),
      ...(params.url ? { Url: params.url } : {}),
      ...(params.statusCallback ? { StatusCallback: params.statusCallback } : {}),
      ...(params.machineDetection ? { MachineDetection: params.machineDetection } : {}),
      ...(params.asyncAmd ? { AsyncAmd: 'true' } : {}),
      ...(params.asyncAmdStatusCallback ? { AsyncAmdStatusCallback: params.asyncAmdStatusCallback, AsyncAmdStatusCallbackMethod: 'POST' } : {}),
    });
  }

  /** Redirects a live call to new TwiML (a transfer), or ends it (`status: 'completed'`). */
  updateCall(callSid: string, params: { twiml?: string; url?: string; status?: 'completed' | 'canceled' }): Promise<TwilioCall> {
    return this.request(`/Calls/${encodeURIComponent(callSid)}.json`, {
      ...(params.twiml ? { Twiml: params.twiml } : {}),
      ...(params.url ? { Url: params.url } : {}),
      ...(params.status ? { Status: params.status } : {}),
    });
  }

  fetchCall(callSid: string): Promise<TwilioCall> {
    return this.request(`/Calls/${encodeURIComponent(callSid)}.json`);
  }

  private async request(path: string, form?: Record<string, string>): Promise<TwilioCall> {
    const credentials = Buffer.from(`${this.options.username ?? this.options.accountSid}:${this.options.authToken}`).toString('base64');
    const res = await this.doFetch(`${this.base}${path}`, {
      method: form ? 'POST' : 'GET',
      headers: { authorization: `Basic ${credentials}`, accept: 'application/json', ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON: reported below by status
    }
    if (!res.ok) {
      throw new TwilioRestError(res.status, typeof body.code === 'number' ? body.code : undefined, `Twilio ${res.status}: ${typeof body.message === 'string' ? body.message : res.statusText}`);
    }
    return body as unknown as TwilioCall;
  }
}

/** Twilio's REST client from the server options, when they hold API credentials. */
export function twilioRest(options: ServeOptions): TwilioRest | undefined {
  const { accountSid, authToken, apiKeySid, apiBaseUrl } = options.twilio ?? {};
  if (!accountSid || !authToken) return undefined;
  return new TwilioRest({ accountSid, authToken, ...(apiKeySid ? { username: apiKeySid } : {}), ...(apiBaseUrl ? { baseUrl: apiBaseUrl } : {}) });
}
