import type { FaultKind, Scenario, SandboxSurface } from './types.js';

const SURFACES: readonly SandboxSurface[] = ['chat', 'transcribe', 'tts', 'tts_ws', 'realtime'];
const KINDS: readonly FaultKind[] = ['http_429', 'http_500', 'http_503', 'reset', 'stall', 'malformed', 'ws_close', 'realtime_error', 'auth'];

function fail(source: string, message: string): never {
  throw new Error(`Invalid sandbox scenario (${source}): ${message}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks a scenario read from JSON and says what is wrong, instead of failing later mid-call. */
export function parseScenario(value: unknown, source = 'scenario'): Scenario {
  if (!isObject(value)) fail(source, 'expected a JSON object');
  const { utterances, replies, defaultReply, faults } = value;
  if (utterances !== undefined) {
    if (!Array.isArray(utterances)) fail(source, '"utterances" must be an array');
    utterances.forEach((u, i) => {
      if (!isObject(u) || typeof u.transcript !== 'string') fail(source, `utterances[${i}] needs a "transcript" string`);
      if (u.language !== undefined && typeof u.language !== 'string') fail(source, `utterances[${i}].language must be a string`);
      if (u.partials !== undefined) {
        if (!Array.isArray(u.partials)) fail(source, `utterances[${i}].partials must be an array`);
        u.partials.forEach((p, j) => {
          if (!isObject(p) || typeof p.transcript !== 'string' || typeof p.untilMs !== 'number' || !Number.isFinite(p.untilMs)) {
            fail(source, `utterances[${i}].partials[${j}] needs a "transcript" string and an "untilMs" number`);
          }
        });
      }
    });
  }
  if (replies !== undefined) {
    if (!Array.isArray(replies)) fail(source, '"replies" must be an array');
    replies.forEach((r, i) => {
      if (!isObject(r) || typeof r.match !== 'string') fail(source, `replies[${i}] needs a "match" regex string`);
      try {
        new RegExp(r.match, 'i');
      } catch (err) {
        fail(source, `replies[${i}].match is not a valid regex: ${String(err)}`);
      }
      if (r.reply === undefined && r.toolCall === undefined) fail(source, `replies[${i}] needs "reply" or "toolCall"`);
      if (r.toolCall !== undefined && (!isObject(r.toolCall) || typeof r.toolCall.name !== 'string' || !isObject(r.toolCall.arguments))) {
        fail(source, `replies[${i}].toolCall needs "name" and an "arguments" object`);
      }
    });
  }
  if (defaultReply !== undefined && typeof defaultReply !== 'string') fail(source, '"defaultReply" must be a string');
  if (faults !== undefined) {
    if (!Array.isArray(faults)) fail(source, '"faults" must be an array');
    faults.forEach((f, i) => {
      if (!isObject(f) || !SURFACES.includes(f.surface as SandboxSurface)) fail(source, `faults[${i}].surface must be one of ${SURFACES.join(', ')}`);
      if (!isObject(f.fault) || !KINDS.includes(f.fault.kind as FaultKind)) fail(source, `faults[${i}].fault.kind must be one of ${KINDS.join(', ')}`);
    });
  }
  return value as Scenario;
}
