/** Per-carrier server options (`serve({ telnyx, plivo, exotel })`); Twilio's are `TwilioOptions`. */

export interface TelnyxOptions {
  /**
   * The streaming auth token set on the stream (`stream_auth_token`): Telnyx sends it as the
   * `x-telnyx-streaming-auth-token` header of the WebSocket upgrade, and a mismatch is refused.
   */
  readonly streamingAuthToken?: string;
  /** Telnyx's public key (portal, base64): `POST /telnyx/voice` must carry a valid `telnyx-signature-ed25519`. */
  readonly publicKey?: string;
  /** The public URL Telnyx reaches the server at (`wss://host`), for the stream URL the webhook answers. */
  readonly publicBaseUrl?: string;
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

export interface VonageOptions {
  /** The account's signature secret: `/vonage/answer` must carry a valid signed-webhook JWT (HS256). */
  readonly signatureSecret?: string;
  /** The public URL Vonage reaches the server at (`wss://host`), for the NCCO's websocket `uri`. */
  readonly publicBaseUrl?: string;
}
