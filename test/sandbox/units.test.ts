import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sniffAudio } from '../../src/sandbox/audio-sniff.js';
import { maskKey } from '../../src/sandbox/auth.js';
import { MultipartParser, multipartBoundary } from '../../src/sandbox/multipart.js';
import { defaultReply, scenarioReply } from '../../src/sandbox/replies.js';
import { parseScenario } from '../../src/sandbox/scenario.js';
import { SandboxState } from '../../src/sandbox/state.js';
import { PROFILES } from '../../src/sandbox/profiles.js';
import { splitTokens } from '../../src/sandbox/tokens.js';
import { BOUNDARY, MULTIPART_TYPE, multipartBody, wavFile } from './helpers.js';

function parseInPieces(body: Buffer, cuts: number[]): { fields: Record<string, string>; file: Buffer; names: string[] } {
  const fields: Record<string, string> = {};
  const names: string[] = [];
  let file = Buffer.alloc(0);
  let current = '';
  let data: Buffer[] = [];
  const parser = new MultipartParser(BOUNDARY, {
    onPartStart: (p) => {
      current = p.name;
      names.push(p.name);
      data = [];
    },
    onPartData: (d) => data.push(Buffer.from(d)),
    onPartEnd: () => {
      if (current === 'file') file = Buffer.concat(data);
      else fields[current] = Buffer.concat(data).toString('utf8');
    },
  });
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    parser.push(body.subarray(at, cut));
    at = cut;
  }
  parser.push(body.subarray(at));
  parser.end();
  return { fields, file, names };
}

describe('MultipartParser', () => {
  it('reads the boundary from the content type', () => {
    expect(multipartBoundary(MULTIPART_TYPE)).toBe(BOUNDARY);
    expect(multipartBoundary('multipart/form-data; boundary="a b"; charset=x')).toBe('a b');
    expect(multipartBoundary('application/json')).toBeUndefined();
  });

  it('gives the same parts however the body is split into chunks', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 400 }),
        fc.string({ maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (bytes, prompt, rawCuts) => {
          const file = Buffer.from(bytes);
          const body = multipartBody({ model: 'gpt-4o-transcribe', prompt }, file);
          const cuts = rawCuts.map((c) => c % (body.length + 1));
          const parsed = parseInPieces(body, cuts);
          expect(parsed.names).toEqual(['model', 'prompt', 'file']);
          expect(parsed.fields).toEqual({ model: 'gpt-4o-transcribe', prompt });
          expect(parsed.file.equals(file)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('hands out file bytes before the body ends (streaming, not buffering)', () => {
    const body = multipartBody({}, Buffer.alloc(10_000, 7));
    let seen = 0;
    const parser = new MultipartParser(BOUNDARY, { onPartStart: () => {}, onPartData: (d) => (seen += d.length), onPartEnd: () => {} });
    parser.push(body.subarray(0, 5_000));
    expect(seen).toBeGreaterThan(4_000);
    parser.push(body.subarray(5_000));
    expect(seen).toBe(10_000);
  });

  it('throws on a body that ends before its closing boundary', () => {
    const body = multipartBody({ model: 'x' }, Buffer.alloc(10));
    const parser = new MultipartParser(BOUNDARY, { onPartStart: () => {}, onPartData: () => {}, onPartEnd: () => {} });
    parser.push(body.subarray(0, body.length - 10));
    expect(() => parser.end()).toThrow(/closing boundary/);
  });
});

describe('sniffAudio', () => {
  it('accepts streaming WAV headers with unknown sizes and finds the data offset', () => {
    expect(sniffAudio(wavFile(100, 24000, true), false)).toEqual({ format: 'wav', sampleRate: 24000, channels: 1, bitsPerSample: 16, dataOffset: 44 });
    const zeroSizes = wavFile(100);
    zeroSizes.writeUInt32LE(0, 4);
    zeroSizes.writeUInt32LE(0, 40);
    expect(sniffAudio(zeroSizes, true)?.format).toBe('wav');
  });

  it('asks for more bytes on a partial header, and rejects garbage when complete', () => {
    expect(sniffAudio(wavFile(10).subarray(0, 30), false)).toBeUndefined();
    expect(sniffAudio(Buffer.from('hello world, this is text'), true)).toMatchObject({ format: 'unknown' });
    expect(sniffAudio(Buffer.from('OggS\0\0\0\0\0\0\0\0\0'), true)).toEqual({ format: 'ogg' });
  });
});

describe('splitTokens', () => {
  it('joins back to the original text and cuts long words into pieces', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => {
      expect(splitTokens(text).join('')).toBe(text);
    }));
    expect(splitTokens('Hello, wonderful world!')).toEqual(['Hello', ',', ' wond', 'erfu', 'l', ' world', '!']);
  });
});

describe('replies', () => {
  const scenario = parseScenario({
    replies: [
      { match: 'order (\\d+)', toolCall: { name: 'lookup_order', arguments: { id: 42 } }, afterTool: 'Your order is {result}.' },
      { match: '^bye', reply: 'Goodbye!' },
    ],
  });

  it('matches rules case-insensitively, calls tools, and fills afterTool with the result', () => {
    expect(scenarioReply(scenario, [{ role: 'user', content: 'BYE now' }])).toEqual({ kind: 'text', text: 'Goodbye!' });
    expect(scenarioReply(scenario, [{ role: 'user', content: 'where is order 42' }])).toEqual({ kind: 'tool_call', name: 'lookup_order', arguments: '{"id":42}' });
    expect(
      scenarioReply(scenario, [
        { role: 'user', content: 'where is order 42' },
        { role: 'assistant', content: '' },
        { role: 'tool', content: 'shipped', toolName: 'lookup_order' },
      ]),
    ).toEqual({ kind: 'text', text: 'Your order is shipped.' });
  });

  it("carries a rule's reply as the fallback text of its tool call", () => {
    const withFallback = parseScenario({ replies: [{ match: 'weather', toolCall: { name: 'get_weather', arguments: {} }, reply: 'It is sunny.' }] });
    expect(scenarioReply(withFallback, [{ role: 'user', content: 'weather?' }])).toEqual({ kind: 'tool_call', name: 'get_weather', arguments: '{}', fallbackText: 'It is sunny.' });
  });

  it('answers sensibly without a rule, in one to three sentences about what was said', () => {
    const reply = defaultReply('I need to move my dentist appointment');
    expect(reply).toContain('move my dentist appointment');
    const sentences = reply.match(/[.!?](\s|$)/g) ?? [];
    expect(sentences.length).toBeGreaterThanOrEqual(1);
    expect(sentences.length).toBeLessThanOrEqual(3);
    expect(defaultReply('')).toMatch(/didn't catch/);
  });

  it('rejects a scenario with a broken regex or an unknown fault kind, saying where', () => {
    expect(() => parseScenario({ replies: [{ match: '(', reply: 'x' }] }, 'demo.json')).toThrow(/demo\.json.*replies\[0\]/);
    expect(() => parseScenario({ faults: [{ surface: 'chat', fault: { kind: 'explode' } }] })).toThrow(/faults\[0\]\.fault\.kind/);
  });
});

describe('SandboxState', () => {
  it('keeps one utterance position per call and counts requests per surface', () => {
    const state = new SandboxState({ profile: PROFILES.instant, maxSessionMs: 1000, scenario: { utterances: [{ transcript: 'one', language: 'de' }, { transcript: 'two' }] } });
    expect(state.nextUtterance('a')).toEqual({ transcript: 'one', language: 'de' });
    expect(state.nextUtterance('b').transcript).toBe('one');
    expect(state.peekUtterance('a').transcript).toBe('two');
    expect(state.nextUtterance('a')).toEqual({ transcript: 'two', language: 'en' });
    expect(state.nextUtterance('a').transcript).toBe("What's the weather like in Paris today?"); // scripted ones used up
    expect(state.takeFault('tts', 'http_500')).toEqual({ kind: 'http_500' });
    expect(state.takeFault('tts', undefined)).toBeUndefined();
    expect(state.stats.requests.tts).toBe(2);
  });

  it('checks keys per vendor header and masks keys like OpenAI', () => {
    const state = new SandboxState({ profile: PROFILES.instant, maxSessionMs: 1000 });
    const q = new URLSearchParams();
    expect(state.checkAuth('openai', { authorization: 'Bearer anything' }, q)).toBeUndefined();
    expect(state.checkAuth('azure', { 'api-key': 'anything' }, q)).toBeUndefined();
    expect(state.checkAuth('elevenlabs', { 'xi-api-key': 'anything' }, q)).toBeUndefined();
    expect(state.checkAuth('elevenlabs', { authorization: 'Bearer x' }, q)?.status).toBe(401);
    expect(state.checkAuth('openai', { 'sec-websocket-protocol': 'realtime, openai-insecure-api-key.ek_123' }, q)).toBeUndefined();
    expect(maskKey('sk-proj-abcdefghijklmnop')).toBe('sk-*****************mnop');
  });
});
