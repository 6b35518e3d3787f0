import { RxVoiceError } from '../../errors.js';

/** ElevenLabs' error bodies: `{"detail": {"status", "message"}}`, or FastAPI's `{"detail": [{"msg"}]}`. */
export function describeErrorBody(body: unknown): string | undefined {
  if (typeof body === 'string') return body.slice(0, 300);
  if (typeof body !== 'object' || body === null) return undefined;
  const detail = (body as { detail?: unknown }).detail;
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((d) => (typeof d === 'object' && d !== null && 'msg' in d ? String((d as { msg: unknown }).msg) : JSON.stringify(d)))
      .join('; ');
  }
  if (typeof detail === 'object' && detail !== null) {
    const { status, message } = detail as { status?: unknown; message?: unknown };
    return [status, message].filter((x) => typeof x === 'string').join(': ') || undefined;
  }
  return undefined;
}

/** An HTTP status from ElevenLabs (REST, or the WebSocket upgrade) as a typed error. */
export function httpError(status: number | undefined, body: unknown, fallback: string): RxVoiceError {
  const detail = describeErrorBody(body);
  const text = detail ? `${detail}` : fallback;
  if (status === undefined) return new RxVoiceError({ code: 'connection', stage: 'tts', message: `ElevenLabs unreachable: ${fallback}`, retryable: true });
  if (status === 401 || status === 403) {
    return new RxVoiceError({ code: 'auth', stage: 'tts', status, message: `ElevenLabs refused the request (${status}): ${text}. Check ELEVENLABS_API_KEY.` });
  }
  if (status === 429) return new RxVoiceError({ code: 'rate_limited', stage: 'tts', status, retryable: true, message: `ElevenLabs rate limit (429): ${text}` });
  return new RxVoiceError({ code: 'provider_error', stage: 'tts', status, retryable: status >= 500, message: `ElevenLabs error ${status}: ${text}` });
}

/** A WebSocket close (with the error message sent before it, if any) as a typed error. */
export function closeError(code: number, reason: string, lastError: { message?: string; error?: string } | undefined): RxVoiceError {
  const what = lastError?.message ?? (reason || `closed with ${code}`);
  const kind = lastError?.error ?? '';
  if (/auth|api[_ -]?key|unauthori[sz]ed|invalid_api_key/i.test(`${kind} ${what}`)) {
    return new RxVoiceError({ code: 'auth', stage: 'tts', message: `ElevenLabs refused the key: ${what}` });
  }
  if (code === 1008) {
    const quota = /quota|credits/i.test(what);
    return new RxVoiceError({ code: quota ? 'rate_limited' : 'provider_error', stage: 'tts', message: `ElevenLabs closed the stream (1008 ${kind || 'policy'}): ${what}` });
  }
  if (code === 1011) return new RxVoiceError({ code: 'provider_error', stage: 'tts', retryable: true, message: `ElevenLabs internal error (1011): ${what}` });
  return new RxVoiceError({ code: 'connection', stage: 'tts', retryable: true, message: `ElevenLabs stream closed unexpectedly (${code}): ${what}` });
}

/** Milliseconds to wait before retry `attempt` (1-based): the server's `retry-after` when given, else backoff. */
export function retryDelayMs(attempt: number, baseMs: number, retryAfter: string | null | undefined): number {
  const seconds = retryAfter ? Number(retryAfter) : NaN;
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 30_000);
  return baseMs * 2 ** (attempt - 1);
}
