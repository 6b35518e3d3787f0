/** The `openai` SDK, loaded on first use so that `import 'rxvoice'` does not pay for it. */
export type OpenAISdk = typeof import('openai');

let sdk: Promise<OpenAISdk> | undefined;

export function loadOpenAISdk(): Promise<OpenAISdk> {
  sdk ??= import('openai');
  return sdk;
}
