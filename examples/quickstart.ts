/**
 * The README's quick start, kept compiling: a WAV through the cascaded chain on the local sandbox.
 *   npx tsx examples/quickstart.ts [cascaded|realtime]
 */
import { fromWav } from 'rxvoice';
import { startSandbox } from 'rxvoice/sandbox';
import { cascaded, realtimePipeline } from 'rxvoice/pipelines';

const which = process.argv[2] === 'realtime' ? 'realtime' : 'cascaded';
const sandbox = await startSandbox({ profile: 'typical' }); // real keys in the environment win over it
const options = { sandboxURL: sandbox.url, systemPrompt: 'Be brief.' };
const chain = which === 'realtime' ? realtimePipeline(options) : cascaded(options);

let replyMs = 0;
fromWav('fixtures/one-sentence.wav', { realtime: true })
  .pipe(chain)
  .subscribe({
    next: (event) => {
      if (event.type === 'transcript' && event.final) console.log('caller:   ', event.text);
      if (event.type === 'assistant.done') console.log('assistant:', event.text);
      if (event.type === 'assistant.audio') replyMs += (event.frame.samples.length * 1000) / event.frame.sampleRate;
      if (event.type === 'error') console.error('error:', event.code, event.message);
    },
    complete: () => {
      console.log(`reply audio: ${Math.round(replyMs)} ms`);
      void sandbox.close();
    },
  });
