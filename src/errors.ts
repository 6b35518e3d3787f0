/** Where in the chain an error happened. */
export type ErrorStage =
  | 'input'
  | 'audio'
  | 'vad'
  | 'chunk'
  | 'transcribe'
  | 'llm'
  | 'tool'
  | 'tts'
  | 'realtime'
  | 'transport'
  | 'pipeline';

/** Machine-readable error codes carried by `error` events and `RxVoiceError`. */
export type ErrorCode =
  | 'bad_audio' // malformed audio, odd byte counts, unsupported WAV encodings
  | 'unsupported_sample_rate'
  | 'bad_message' // broken JSON or an unexpected message on a socket
  | 'auth' // the provider refused the key (401/403)
  | 'rate_limited' // 429 after the retries ran out
  | 'provider_error' // 4xx/5xx from a provider, or an error event on its socket
  | 'timeout' // a stage stalled longer than its timeout
  | 'connection' // a socket or HTTP stream was reset or closed unexpectedly
  | 'protocol' // the provider sent something we could not parse
  | 'tool_failed'
  | 'session_expired'
  | 'max_utterance' // an utterance was force-ended at its maximum length
  | 'internal';

export interface RxVoiceErrorInit {
  code: ErrorCode;
  stage: ErrorStage;
  message: string;
  retryable?: boolean;
  status?: number;
  /** How long the provider asked us to wait before retrying (from `retry-after-ms` / `retry-after`). */
  retryAfterMs?: number;
  cause?: unknown;
}

/** The one error class the library throws or emits; its message never contains a secret. */
export class RxVoiceError extends Error {
  readonly code: ErrorCode;
  readonly stage: ErrorStage;
  readonly retryable: boolean;
  readonly status?: number;
  readonly retryAfterMs?: number;

  constructor(init: RxVoiceErrorInit) {
    super(redactSecrets(init.message), init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'RxVoiceError';
    this.code = init.code;
    this.stage = init.stage;
    this.retryable = init.retryable ?? false;
    if (init.status !== undefined) this.status = init.status;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
  }
}

const SECRET_PATTERNS: RegExp[] = [
  /\bsk-[A-Za-z0-9_-]{6,}/g, // OpenAI keys (sk-..., sk-proj-...)
  /\bek_[A-Za-z0-9_-]{6,}/g, // OpenAI ephemeral keys
  /(Bearer\s+)[A-Za-z0-9._~+/=-]{6,}/gi,
  /((?:api-key|xi-api-key|xi_api_key|authorization)["']?\s*[:=]\s*["']?)[^\s"',}]{6,}/gi,
];

const registeredSecrets = new Set<string>();

/** Registers a key so that `redactSecrets` removes it wherever it appears, whatever its shape. */
export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 6) registeredSecrets.add(secret);
}

/** Removes API keys from a string before it reaches a log, an error or an event. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const secret of registeredSecrets) out = out.split(secret).join('[redacted]');
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, (match, prefix?: string) =>
      typeof prefix === 'string' && match.startsWith(prefix) ? `${prefix}[redacted]` : '[redacted]',
    );
  }
  return out;
}

export function toRxVoiceError(err: unknown, stage: ErrorStage, code: ErrorCode = 'internal'): RxVoiceError {
  if (err instanceof RxVoiceError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new RxVoiceError({ code, stage, message, cause: err });
}
