import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { safeDecodeURIComponent } from '../../server/request-target.js';
import type { SandboxContext } from '../context.js';
import { handleTextToSpeech } from './rest.js';
import { acceptStreamInput } from './stream-input.js';

/** The sandbox's ElevenLabs surface (REST and stream-input WebSocket). */
export interface ElevenLabsHandler {
  /** Serves the request if it is an ElevenLabs route; resolves false otherwise. */
  handleHttp(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  /** `url` is the parsed request target (see src/server/request-target.ts). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): boolean;
  close(): Promise<void>;
}

const TTS_PREFIX = '/v1/text-to-speech/';
const REST_ROUTE = /^\/v1\/text-to-speech\/([^/]+)(\/stream)?(\/with-timestamps)?\/?$/;
const WS_ROUTE = /^\/v1\/text-to-speech\/([^/]+)\/(stream-input|multi-stream-input)\/?$/;

/**
 * Routes ElevenLabs' text-to-speech paths:
 * - `POST /v1/text-to-speech/{voice_id}[/stream][/with-timestamps]` (see rest.ts)
 * - `GET  /v1/text-to-speech/{voice_id}/stream-input` and `/multi-stream-input`, WebSocket (see stream-input.ts)
 * Other paths under `/v1/text-to-speech/` get ElevenLabs' (FastAPI's) 404; anything else is not ours.
 */
export function createElevenLabsHandler(ctx: SandboxContext): ElevenLabsHandler {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  return {
    async handleHttp(req, res, url) {
      if (!url.pathname.startsWith(TTS_PREFIX)) return false;
      const match = REST_ROUTE.exec(url.pathname);
      if (!match) {
        req.resume();
        const text = JSON.stringify({ detail: 'Not Found' });
        res.writeHead(404, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
        res.end(text);
        return true;
      }
      await handleTextToSpeech(ctx, req, res, url, {
        voiceId: safeDecodeURIComponent(match[1] ?? ''),
        stream: match[2] !== undefined,
        timestamps: match[3] !== undefined,
      });
      return true;
    },

    handleUpgrade(req, socket, head, url) {
      const match = WS_ROUTE.exec(url.pathname);
      if (!match) return false;
      acceptStreamInput(ctx, wss, req, socket, head, url, {
        voiceId: safeDecodeURIComponent(match[1] ?? ''),
        multi: match[2] === 'multi-stream-input',
      });
      return true;
    },

    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
