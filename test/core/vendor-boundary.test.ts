/**
 * "Operators know no vendor; pipelines are composition; vendors are named in one place": checked on the
 * source text, so a vendor id or a provider import that slips into a chain fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const sources = (dir: string): { file: string; text: string }[] =>
  readdirSync(new URL(dir, root))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => ({ file: `${dir}${f}`, text: readFileSync(new URL(`${dir}${f}`, root), 'utf8') }));

/** Vendor names and the vendor ids rxvoice defaults to (models, voices). */
const VENDOR = /openai|azure|elevenlabs|eleven_|gpt-|whisper|twilio|telnyx|plivo|vonage|exotel|JBFqnCBsd6RMkjVDRZzb|'marin'/i;

describe('vendor boundary', () => {
  it('no operator names a vendor or a vendor id', () => {
    const offenders = sources('operators/').filter((s) => VENDOR.test(s.text));
    expect(offenders.map((s) => `${s.file}: ${VENDOR.exec(s.text)?.[0]}`)).toEqual([]);
  });

  it('pipelines name no vendor and import providers only from src/providers/defaults.ts', () => {
    const files = sources('pipelines/');
    expect(files.length).toBeGreaterThan(3);
    for (const { file, text } of files) {
      expect(VENDOR.exec(text)?.[0], file).toBeUndefined();
      const providerImports = [...text.matchAll(/from '\.\.\/src\/providers\/([^']+)'/g)].map((m) => m[1]!);
      expect(providerImports.filter((p) => p !== 'defaults.js' && p !== 'types.js' && p !== 'realtime-types.js'), file).toEqual([]);
    }
  });

  it('the realtime call bookkeeping (src/realtime/) names no vendor either', () => {
    const offenders = sources('src/realtime/').filter((s) => VENDOR.test(s.text));
    expect(offenders.map((s) => `${s.file}: ${VENDOR.exec(s.text)?.[0]}`)).toEqual([]);
  });

  it('no operator file is above ~300 lines', () => {
    for (const { file, text } of sources('operators/')) expect(text.split('\n').length, file).toBeLessThan(320);
  });

  it('each pipeline file stays well under 150 lines', () => {
    for (const { file, text } of sources('pipelines/')) expect(text.split('\n').length, file).toBeLessThan(150);
  });
});
