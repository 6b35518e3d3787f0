/**
 * The ElevenLabs SDK, loaded on first use: importing it costs ~1.5 s and ~90 MB (thousands of CommonJS
 * modules), which `import 'rxvoice'` must not pay when no ElevenLabs REST request is ever made.
 */
export type ElevenLabsSdk = typeof import('@elevenlabs/elevenlabs-js');

let sdk: Promise<ElevenLabsSdk> | undefined;
let loaded: ElevenLabsSdk | undefined;

export function loadElevenLabsSdk(): Promise<ElevenLabsSdk> {
  sdk ??= import('@elevenlabs/elevenlabs-js').then((m) => (loaded = m));
  return sdk;
}

/** The SDK if it was loaded already (an error from it can only exist then). */
export function loadedElevenLabsSdk(): ElevenLabsSdk | undefined {
  return loaded;
}
