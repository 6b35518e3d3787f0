import { describe, expect, it } from 'vitest';
import { RxVoiceError, redactSecrets, registerSecret } from '../../src/errors.js';
import { errorEvent } from '../../src/events.js';

describe('secret redaction', () => {
  it('removes OpenAI-style keys, bearer tokens and key headers', () => {
    const text = 'key sk-proj-abcdef123456 then Authorization: Bearer abc.def.ghi123 and api-key: 0123456789abcdef';
    const out = redactSecrets(text);
    expect(out).not.toContain('sk-proj-abcdef123456');
    expect(out).not.toContain('abc.def.ghi123');
    expect(out).not.toContain('0123456789abcdef');
    expect(out).toContain('[redacted]');
  });

  it('removes a registered secret whatever its shape', () => {
    registerSecret('plainsecretvalue42');
    expect(redactSecrets('failed with plainsecretvalue42 in url')).toBe('failed with [redacted] in url');
  });

  it('applies to RxVoiceError messages and error events built from them', () => {
    const err = new RxVoiceError({ code: 'auth', stage: 'llm', message: 'Incorrect API key provided: sk-live-zzzzzzzzzz' });
    expect(err.message).not.toContain('sk-live-zzzzzzzzzz');
    const event = errorEvent(err, 'turn-1', true);
    expect(event).toEqual({
      type: 'error',
      turnId: 'turn-1',
      code: 'auth',
      stage: 'llm',
      message: err.message,
      retryable: false,
      utteranceLost: true,
    });
  });
});
