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
  /** A Telnyx API key (v2): enables call control (`choice.call`) over the Call Control commands. */
  readonly apiKey?: string;
  /** The REST API's base URL (default `https://api.telnyx.com`; the sandbox's URL offline). */
  readonly apiBaseUrl?: string;
}

export interface PlivoOptions {
  /** The account's auth token: the upgrade must carry a valid `X-Plivo-Signature-V3` (HMAC-SHA256). */
  readonly authToken?: string;
  /** The public URL Plivo used (scheme + host), behind a proxy; default `wss://` + Host header. */
  readonly publicBaseUrl?: string;
  /** The account's auth id: with `authToken`, enables call control (`choice.call`) over Plivo's Call API. */
  readonly authId?: string;
  /** The REST API's base URL (default `https://api.plivo.com`; the sandbox's URL offline). */
  readonly apiBaseUrl?: string;
}

export interface ExotelOptions {
  /**
   * Basic auth the Voicebot applet sends (`wss://<user>:<password>@host/exotel` in the applet becomes an
   * `Authorization: Basic` header); a missing or wrong one is refused.
   */
  readonly username?: string;
  readonly password?: string;
  /** The public URL Exotel reaches the server at (`wss://host`), for the stream URL `/exotel/voice` answers. */
  readonly publicBaseUrl?: string;
}

export interface VonageOptions {
  /** The account's signature secret: `/vonage/answer` must carry a valid signed-webhook JWT (HS256). */
  readonly signatureSecret?: string;
  /** The public URL Vonage reaches the server at (`wss://host`), for the NCCO's websocket `uri`. */
  readonly publicBaseUrl?: string;
  /** The Voice application's id and private key (PEM): enable call control (`choice.call`) over the Voice API. */
  readonly applicationId?: string;
  readonly privateKey?: string;
  /** The REST API's base URL (default `https://api.nexmo.com`; the sandbox's URL offline). */
  readonly apiBaseUrl?: string;
}
