import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CarrierDecoder, toCarrierBytes } from '../../../src/server/carriers/codec.js';
import { exotelSerializer } from '../../../src/server/carriers/exotel/serializer.js';
import { MAX_CUSTOM_PARAMETERS, MAX_PARAMETER_VALUE_CHARS } from '../../../src/server/carriers/parse.js';
import { parseExtraHeaders, plivoSerializer } from '../../../src/server/carriers/plivo/serializer.js';
import { telnyxSerializer } from '../../../src/server/carriers/telnyx/serializer.js';
import { twilioSerializer } from '../../../src/server/carriers/twilio/serializer.js';
import { vonageSerializer } from '../../../src/server/carriers/vonage/serializer.js';
import { samplesToBytes } from '../../../src/server/codec.js';

const serializers = { twilio: twilioSerializer, telnyx: telnyxSerializer, plivo: plivoSerializer, vonage: vonageSerializer, exotel: () => exotelSerializer() };

/** JSON values shaped like carrier messages, with hostile fields (wrong types, nesting, huge strings). */
const hostileValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom('event', 'start', 'media', 'payload', 'mark', 'name', 'dtmf', 'digit', 'streamSid', 'stream_id', 'streamId', 'stream_sid', 'media_format', 'mediaFormat', 'sample_rate', 'encoding', 'timestamp', 'custom_parameters', 'customParameters', 'extra_headers', 'content-type', '__proto__', 'constructor'), tie('value'), { maxKeys: 6 }),
  ),
})).value;
const events = ['start', 'media', 'mark', 'dtmf', 'stop', 'playedStream', 'websocket:connected', 'websocket:dtmf', 'connected', 'clearedAudio'];

describe('carrier message parsing is hostile-input safe', () => {
  for (const [name, make] of Object.entries(serializers)) {
    it(`${name}: never throws, whatever the message`, () => {
      fc.assert(
        fc.property(fc.constantFrom(...events), hostileValue, fc.boolean(), (event, body, binary) => {
          const wire = make();
          const text = JSON.stringify(body && typeof body === 'object' && !Array.isArray(body) ? { ...body, event } : body);
          for (const data of [Buffer.from(text ?? 'null'), Buffer.from(text?.slice(0, text.length >> 1) ?? '')]) {
            const message = wire.parse(data, binary);
            expect(typeof message.kind).toBe('string');
            if (message.kind === 'dtmf' && message.digit !== undefined) expect(message.digit).toMatch(/^[0-9*#A-D]$/);
          }
          // After any start, outbound messages still serialise.
          expect(() => [wire.media(Buffer.alloc(4)), wire.mark('turn-1:20:g0'), wire.clear()]).not.toThrow();
        }),
        { numRuns: 300 },
      );
    });
  }

  it('bounds custom parameters and ids: counts, lengths, nested values dropped', () => {
    const params: Record<string, unknown> = { long: 'x'.repeat(100_000), nested: { a: [1, 2] } };
    for (let i = 0; i < 1000; i++) params[`p${i}`] = String(i);
    const start = telnyxSerializer().parse(
      Buffer.from(JSON.stringify({ event: 'start', stream_id: 'S'.repeat(10_000), start: { custom_parameters: params, media_format: { encoding: 'PCMU', sample_rate: 8000 } } })),
      false,
    );
    expect(start.kind).toBe('start');
    if (start.kind !== 'start') return;
    expect(Object.keys(start.customParameters).length).toBeLessThanOrEqual(MAX_CUSTOM_PARAMETERS);
    expect(start.customParameters.long).toHaveLength(MAX_PARAMETER_VALUE_CHARS);
    expect(start.customParameters.nested).toBeUndefined();
    expect(start.streamId.length).toBeLessThanOrEqual(128);
    const headers = parseExtraHeaders(`${'k=v;'.repeat(5000)}a=1`);
    expect(Object.keys(headers).length).toBeLessThanOrEqual(MAX_CUSTOM_PARAMETERS);
    expect(parseExtraHeaders('userId=12345;sessionId=abc-xyz')).toEqual({ userId: '12345', sessionId: 'abc-xyz' });
  });

  it('refuses codecs the server does not decode (Telnyx G.722/Opus, Twilio L16) and reads the documented ones', () => {
    const telnyx = (encoding: string, sample_rate: number) =>
      telnyxSerializer().parse(Buffer.from(JSON.stringify({ event: 'start', stream_id: 's', start: { media_format: { encoding, sample_rate, channels: 1 } } })), false);
    expect(telnyx('OPUS', 16000).kind).toBe('refuse');
    expect(telnyx('G722', 8000).kind).toBe('refuse');
    expect(telnyx('PCMU', 16000).kind).toBe('refuse');
    expect(telnyx('PCMA', 8000)).toMatchObject({ kind: 'start', format: { encoding: 'alaw', sampleRate: 8000 } });
    expect(telnyx('L16', 16000)).toMatchObject({ kind: 'start', format: { encoding: 'pcm16be', sampleRate: 16000 } });
    const vonage = vonageSerializer();
    expect(vonage.parse(Buffer.alloc(640), true).kind).toBe('ignore'); // audio before websocket:connected
    expect(vonage.parse(Buffer.from('{"event":"websocket:connected","content-type":"audio/l16;rate=16000","uuid":"abc","lang":"en"}'), false)).toMatchObject({
      kind: 'start',
      callId: 'abc',
      format: { encoding: 'pcm16le', sampleRate: 16000 },
      customParameters: { lang: 'en', uuid: 'abc' },
    });
    expect(vonage.parse(Buffer.from('{"event":"websocket:dtmf","digit":"5","duration":260}'), false)).toEqual({ kind: 'dtmf', digit: '5', durationMs: 260 });
    const exotel = exotelSerializer(new URL('wss://x/exotel?sample-rate=16000'));
    expect(exotel.parse(Buffer.from('{"event":"start","stream_sid":"MZ1","start":{"call_sid":"CA1"}}'), false)).toMatchObject({ kind: 'start', format: { sampleRate: 16000 } });
    expect(exotel.chunkMs).toBe(100);
  });

  it('codecs: A-law and big-endian L16 round-trip; an odd PCM byte is carried to the next message', () => {
    const samples = Int16Array.from({ length: 160 }, (_, i) => Math.round(8000 * Math.sin(i / 5)));
    const le = samplesToBytes(samples);
    for (const encoding of ['alaw', 'pcm16be', 'pcm16le'] as const) {
      const bytes = toCarrierBytes({ encoding, sampleRate: 8000 }, le);
      const back = new CarrierDecoder({ encoding, sampleRate: 8000 }).decode(bytes);
      const worst = Math.max(...back.map((s, i) => Math.abs(s - samples[i]!)));
      expect(worst).toBeLessThanOrEqual(encoding === 'alaw' ? 256 : 0);
    }
    const decoder = new CarrierDecoder({ encoding: 'pcm16le', sampleRate: 8000 });
    expect(decoder.decode(le.subarray(0, 3))).toHaveLength(1);
    expect(Array.from(decoder.decode(le.subarray(3, 6)))).toEqual(Array.from(samples.subarray(1, 3)));
  });
});
