import type { IncomingMessage, ServerResponse } from 'node:http';
import { safeDecodeURIComponent } from '../server/request-target.js';
import { azureErrorBody, sendJson } from './errors.js';
import { handleChat } from './http/chat.js';
import { handleTranscription } from './http/transcriptions.js';
import type { SandboxState } from './state.js';

/** What `GET /v1/models` lists; chat accepts any gpt-/o-series name, these are examples. */
const MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe', 'whisper-1', 'gpt-realtime', 'gpt-4o-realtime-preview'];

const AZURE_DEPLOYMENT = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|audio\/transcriptions)$/;

/**
 * The OpenAI and Azure OpenAI HTTP routes. Resolves false when the path is none of them.
 * OpenAI: /v1/...; Azure v1: /openai/v1/... (model = deployment in the body); Azure classic:
 * /openai/deployments/{deployment}/...?api-version=... (the path names the deployment).
 */
export async function routeHttp(state: SandboxState, req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
  const path = url.pathname.replace(/\/+$/, '');
  const method = req.method ?? 'GET';

  if (method === 'GET' && (path === '' || path === '/health')) {
    sendJson(res, 200, { sandbox: true, label: state.label, profile: state.profile.name });
    return true;
  }
  if (method === 'GET' && path === '/sandbox/stats') {
    // Sandbox-only (no provider has it): the delays injected, for benchmarks' floors. `?since=<epoch ms>`.
    const since = Number(url.searchParams.get('since'));
    sendJson(res, 200, { profile: state.profile.name, injections: state.latency.injections(Number.isFinite(since) ? since : -Infinity) });
    return true;
  }
  if (method === 'GET' && (path === '/v1/models' || path === '/openai/v1/models')) {
    const denied = state.checkAuth(path.startsWith('/openai') ? 'azure' : 'openai', req.headers, url.searchParams);
    if (denied) sendJson(res, denied.status, denied.body);
    else sendJson(res, 200, { object: 'list', data: MODELS.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: state.label })) });
    return true;
  }
  if (method !== 'POST') return false;

  if (path === '/v1/chat/completions') return run(handleChat(state, req, res, url, { flavor: 'openai' }));
  if (path === '/v1/audio/transcriptions') return run(handleTranscription(state, req, res, url, { flavor: 'openai' }));
  if (path === '/openai/v1/chat/completions') return run(handleChat(state, req, res, url, { flavor: 'azure' }));
  if (path === '/openai/v1/audio/transcriptions') return run(handleTranscription(state, req, res, url, { flavor: 'azure' }));
  const classic = AZURE_DEPLOYMENT.exec(path);
  if (classic) {
    if (!url.searchParams.get('api-version')) {
      req.resume();
      sendJson(res, 400, azureErrorBody('MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.'));
      return true;
    }
    const deployment = safeDecodeURIComponent(classic[1] ?? '');
    const route = { flavor: 'azure' as const, deployment };
    if (classic[2] === 'chat/completions') return run(handleChat(state, req, res, url, route));
    return run(handleTranscription(state, req, res, url, route));
  }
  return false;
}

async function run(handled: Promise<void>): Promise<true> {
  await handled;
  return true;
}
