import type { ServerResponse } from 'node:http';
import type { AzureErrorBody, OpenAIErrorBody } from '../providers/openai/wire.js';

/** Which vendor's error shape a route answers with. */
export type ErrorFlavor = 'openai' | 'azure';

export interface OpenAIErrorInit {
  readonly message: string;
  readonly type?: string;
  readonly param?: string | null;
  readonly code?: string | null;
}

/** OpenAI's error body: `{"error":{"message","type","param","code"}}`. */
export function openaiErrorBody(init: OpenAIErrorInit): OpenAIErrorBody {
  return {
    error: {
      message: init.message,
      type: init.type ?? 'invalid_request_error',
      param: init.param ?? null,
      code: init.code ?? null,
    },
  };
}

/** Azure's error body: `{"error":{"code","message"}}` (code is a string, often the status). */
export function azureErrorBody(code: string, message: string): AzureErrorBody {
  return { error: { code, message } };
}

/** One error in both flavours; the route picks the flavour. */
export function providerErrorBody(flavor: ErrorFlavor, status: number, init: OpenAIErrorInit): unknown {
  if (flavor === 'azure') return azureErrorBody(init.code ?? String(status), init.message);
  return openaiErrorBody(init);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendProviderError(
  res: ServerResponse,
  flavor: ErrorFlavor,
  status: number,
  init: OpenAIErrorInit,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, providerErrorBody(flavor, status, init), headers);
}

/** OpenAI's 404 for an unknown path. */
export function notFoundBody(flavor: ErrorFlavor, method: string, path: string): unknown {
  if (flavor === 'azure') return azureErrorBody('404', 'Resource not found');
  return openaiErrorBody({ message: `Invalid URL (${method} ${path})`, type: 'invalid_request_error' });
}
