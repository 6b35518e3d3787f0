/** Per-carrier server options (`serve({ telnyx, plivo, exotel })`); Twilio's are `TwilioOptions`. */

export interface TelnyxOptions {
  /**
   * The streaming auth token set on the stream (`stream_auth_token`): Telnyx sends it as the
   * `x-telnyx-streaming-auth-token` header of the WebSocket upgrade, and a mismatch is refused.
   */
  readonly streamingAuthToken?: string;
}

export interface PlivoOptions {
  /** The account's auth token: the upgrade must carry a valid `X-Plivo-Signature-V3` (HMAC-SHA256). */
  readonly authToken?: string;
  /** The public URL Plivo used (scheme + host), behind a proxy; default `wss://` + Host header. */
  readonly publicBaseUrl?: string;
}

export interface ExotelOptions {
  /**
   * Basic auth the Voicebot applet sends (`wss://<user>:<password>@host/exotel` in the applet becomes an
   * `Authorization: Basic` header); a missing or wrong one is refused.
   */
  readonly username?: string;
  readonly password?: string;
}
