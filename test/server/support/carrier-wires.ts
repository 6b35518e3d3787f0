import type { CarrierWire, Encoding, ServerMessage } from './carrier-emulator.js';

const json = (data: Buffer): Record<string, any> | undefined => {
  try {
    return JSON.parse(data.toString()) as Record<string, any>;
  } catch {
    return undefined;
  }
};

/** Telnyx media streaming, RTP bidirectional mode (developers.telnyx.com, "Stream call media over WebSocket"). */
export function telnyxWire(codec: 'PCMU' | 'PCMA' | 'L16' = 'PCMU', sampleRate = 8000): CarrierWire {
  const streamId = '32DE0DEA-53CB-4B21-89A4-9E1819C043BC';
  let sequence = 0;
  const encoding: Encoding = codec === 'PCMU' ? 'mulaw' : codec === 'PCMA' ? 'alaw' : 'pcm16be';
  return {
    path: '/telnyx',
    encoding,
    sampleRate,
    echoesMarksOnClear: true,
    opening: (custom_parameters) => [
      JSON.stringify({ event: 'connected', version: '1.0.0' }),
      JSON.stringify({
        event: 'start',
        sequence_number: String(++sequence),
        stream_id: streamId,
        start: {
          user_id: '3E6F995F-85F7-4705-9741-53B116D28237',
          call_control_id: 'v3:T02llQxIyaRkhfRKxgAP8nY511EhFLizdvdUKJiSw8d6A9BborherQ',
          call_session_id: 'ff55a038-6f5d-11ef-9692-02420aeffb1f',
          from: '+13122010094',
          to: '+13122123456',
          client_state: 'aGF2ZSBhIG5pY2UgZGF5ID1d',
          custom_parameters,
          media_format: { encoding: codec, sample_rate: sampleRate, channels: 1 },
        },
      }),
    ],
    media: (bytes, timestamp, chunk) =>
      JSON.stringify({
        event: 'media',
        sequence_number: String(++sequence),
        media: { track: 'inbound', chunk: String(chunk), timestamp: String(timestamp), payload: bytes.toString('base64') },
        stream_id: streamId,
      }),
    dtmf: (digit) => JSON.stringify({ event: 'dtmf', stream_id: streamId, occurred_at: new Date().toISOString(), sequence_number: String(++sequence), dtmf: { digit } }),
    stop: () => JSON.stringify({ event: 'stop', sequence_number: String(++sequence), stream_id: streamId, stop: { user_id: 'u', call_control_id: 'v3:T02' } }),
    read(data, isBinary): ServerMessage {
      const m = isBinary ? undefined : json(data);
      if (m?.event === 'media' && typeof m.media?.payload === 'string') return { kind: 'media', bytes: Buffer.from(m.media.payload, 'base64') };
      if (m?.event === 'mark' && typeof m.mark?.name === 'string') return { kind: 'mark', name: m.mark.name };
      if (m?.event === 'clear') return { kind: 'clear' };
      return { kind: 'unexpected', detail: data.toString().slice(0, 200) };
    },
    echo: (name) => JSON.stringify({ event: 'mark', sequence_number: String(++sequence), stream_id: streamId, mark: { name } }),
  };
}

/** Plivo audio streams, bidirectional (plivo.com/docs/voice-agents/audio-streaming, checkpoint event docs). */
export function plivoWire(contentType: 'audio/x-mulaw' | 'audio/x-l16' = 'audio/x-mulaw', sampleRate = 8000): CarrierWire {
  const streamId = '87654321-4321-4321-4321-cba987654321';
  let sequence = 0;
  return {
    path: '/plivo',
    encoding: contentType === 'audio/x-mulaw' ? 'mulaw' : 'pcm16le',
    sampleRate,
    echoesMarksOnClear: false, // playedStream only for audio that was played
    clearedAck: JSON.stringify({ event: 'clearedAudio', sequenceNumber: 99, streamId }),
    opening: (params) => [
      JSON.stringify({
        event: 'start',
        sequenceNumber: ++sequence,
        start: {
          callId: '12345678-1234-1234-1234-123456789abc',
          streamId,
          accountId: 'MAXXXXXXXXXXXXXXXXXX',
          tracks: ['inbound'],
          mediaFormat: { encoding: contentType, sampleRate },
        },
        extra_headers: Object.entries(params).map(([k, v]) => `${k}=${v}`).join(';'),
      }),
    ],
    media: (bytes, timestamp, chunk) =>
      JSON.stringify({
        event: 'media',
        sequenceNumber: ++sequence,
        streamId,
        media: { track: 'inbound', timestamp: String(1705312200000 + timestamp), chunk, payload: bytes.toString('base64') },
      }),
    dtmf: (digit) => JSON.stringify({ event: 'dtmf', sequenceNumber: ++sequence, streamId, dtmf: { track: 'inbound', digit, timestamp: String(Date.now()) } }),
    stop: () => undefined, // the call ending closes the socket: Plivo sends no stop
    read(data, isBinary): ServerMessage {
      const m = isBinary ? undefined : json(data);
      if (m?.streamId !== streamId) return { kind: 'unexpected', detail: `without the streamId: ${data.toString().slice(0, 200)}` };
      if (m.event === 'playAudio' && typeof m.media?.payload === 'string') {
        if (m.media.contentType !== contentType || m.media.sampleRate !== sampleRate) return { kind: 'unexpected', detail: `playAudio as ${m.media.contentType}/${m.media.sampleRate}` };
        return { kind: 'media', bytes: Buffer.from(m.media.payload, 'base64') };
      }
      if (m.event === 'checkpoint' && typeof m.name === 'string') return { kind: 'mark', name: m.name };
      if (m.event === 'clearAudio') return { kind: 'clear' };
      return { kind: 'unexpected', detail: data.toString().slice(0, 200) };
    },
    echo: (name) => JSON.stringify({ event: 'playedStream', sequenceNumber: ++sequence, streamId, name }),
  };
}

/** Vonage Voice API WebSocket (developer.vonage.com, "WebSockets"): JSON header, then binary L16 20 ms frames. */
export function vonageWire(sampleRate: 8000 | 16000 = 16000): CarrierWire {
  return {
    path: '/vonage',
    encoding: 'pcm16le',
    sampleRate,
    echoesMarksOnClear: false,
    chunkBytes: (sampleRate / 1000) * 20 * 2,
    clearedAck: JSON.stringify({ event: 'websocket:cleared' }),
    opening: (headers) => [JSON.stringify({ event: 'websocket:connected', 'content-type': `audio/l16;rate=${sampleRate}`, ...headers })],
    media: (bytes) => bytes,
    dtmf: (digit) => JSON.stringify({ event: 'websocket:dtmf', digit, duration: 260 }),
    stop: () => undefined, // the call ending closes the socket
    read(data, isBinary): ServerMessage {
      if (isBinary) {
        if (data.length !== (sampleRate / 1000) * 20 * 2) return { kind: 'unexpected', detail: `binary frame of ${data.length} bytes` };
        return { kind: 'media', bytes: data };
      }
      const m = json(data);
      if (m?.action === 'clear') return { kind: 'clear' };
      return { kind: 'unexpected', detail: data.toString().slice(0, 200) };
    },
    echo: () => '',
  };
}

/** Exotel Voicebot applet (developer.exotel.com/docs/agentstream/websocket-protocol). */
export function exotelWire(sampleRate: 8000 | 16000 = 8000): CarrierWire {
  const streamSid = 'MZ18ad3ab5a668481ce02b83e7395059f0';
  let sequence = 0;
  return {
    path: '/exotel',
    encoding: 'pcm16le',
    sampleRate,
    echoesMarksOnClear: false,
    chunkBytes: 320,
    opening: (custom_parameters) => [
      JSON.stringify({ event: 'connected' }),
      JSON.stringify({
        event: 'start',
        sequence_number: String(++sequence),
        stream_sid: streamSid,
        start: {
          stream_sid: streamSid,
          call_sid: 'CAxxxxxxxxxxxxxxxxxxxxxxxx',
          account_sid: 'ACxxxxxxxxxxxxxxxxxxxxxxxx',
          from: '+919876543210',
          to: '+918047491899',
          custom_parameters,
          media_format: { encoding: 'audio/x-raw', sample_rate: String(sampleRate), bit_rate: '16' },
        },
      }),
    ],
    media: (bytes, timestamp, chunk) =>
      JSON.stringify({ event: 'media', sequence_number: String(++sequence), stream_sid: streamSid, media: { chunk: String(chunk), timestamp: String(timestamp), payload: bytes.toString('base64') } }),
    dtmf: (digit) => JSON.stringify({ event: 'dtmf', sequence_number: String(++sequence), stream_sid: streamSid, dtmf: { digit, duration: '100' } }),
    stop: () => JSON.stringify({ event: 'stop', sequence_number: String(++sequence), stream_sid: streamSid, stop: { call_sid: 'CAxxxxxxxxxxxxxxxxxxxxxxxx', account_sid: 'AC', reason: 'callended' } }),
    read(data, isBinary): ServerMessage {
      const m = isBinary ? undefined : json(data);
      if (m?.stream_sid !== streamSid) return { kind: 'unexpected', detail: `without the stream_sid: ${data.toString().slice(0, 200)}` };
      if (m.event === 'media' && typeof m.media?.payload === 'string') {
        const bytes = Buffer.from(m.media.payload, 'base64');
        if (bytes.length < 3200) return { kind: 'unexpected', detail: `media chunk of ${bytes.length} bytes (< 3.2 KB)` };
        return { kind: 'media', bytes };
      }
      if (m.event === 'mark' && typeof m.mark?.name === 'string') return { kind: 'mark', name: m.mark.name };
      if (m.event === 'clear') return { kind: 'clear' };
      return { kind: 'unexpected', detail: data.toString().slice(0, 200) };
    },
    echo: (name) => JSON.stringify({ event: 'mark', sequence_number: String(++sequence), stream_sid: streamSid, mark: { name } }),
  };
}

/** Twilio Media Streams, bidirectional (twilio.com/docs/voice/media-streams/websocket-messages). */
export function twilioWire(): CarrierWire {
  const streamSid = 'MZ18ad3ab5a668481ce02b83e7395059f0';
  const callSid = 'CA0000000000000000000000000000abcd';
  let sequence = 0;
  return {
    path: '/twilio',
    encoding: 'mulaw',
    sampleRate: 8000,
    echoesMarksOnClear: true, // a clear makes Twilio send the pending marks back
    opening: (customParameters) => [
      JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }),
      JSON.stringify({
        event: 'start',
        sequenceNumber: String(++sequence),
        start: {
          accountSid: 'AC00000000000000000000000000000042',
          streamSid,
          callSid,
          tracks: ['inbound'],
          customParameters,
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
        streamSid,
      }),
    ],
    media: (bytes, timestamp, chunk) =>
      JSON.stringify({ event: 'media', sequenceNumber: String(++sequence), media: { track: 'inbound', chunk: String(chunk), timestamp: String(timestamp), payload: bytes.toString('base64') }, streamSid }),
    dtmf: (digit) => JSON.stringify({ event: 'dtmf', streamSid, sequenceNumber: String(++sequence), dtmf: { track: 'inbound_track', digit } }),
    stop: () => JSON.stringify({ event: 'stop', sequenceNumber: String(++sequence), stop: { accountSid: 'AC00000000000000000000000000000042', callSid }, streamSid }),
    read(data, isBinary): ServerMessage {
      const m = isBinary ? undefined : json(data);
      if (m?.streamSid !== streamSid) return { kind: 'unexpected', detail: `without the streamSid: ${data.toString().slice(0, 200)}` };
      if (m.event === 'media' && typeof m.media?.payload === 'string') return { kind: 'media', bytes: Buffer.from(m.media.payload, 'base64') };
      if (m.event === 'mark' && typeof m.mark?.name === 'string') return { kind: 'mark', name: m.mark.name };
      if (m.event === 'clear') return { kind: 'clear' };
      return { kind: 'unexpected', detail: data.toString().slice(0, 200) };
    },
    echo: (name) => JSON.stringify({ event: 'mark', sequenceNumber: String(++sequence), streamSid, mark: { name } }),
  };
}
