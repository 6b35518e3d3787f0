/**
 * A chain composed by hand from the operators, with the providers built once: the README's second example.
 *   npx tsx examples/custom-chain.ts
 */
import { Conversation, fromWav, PlaybackClock, resolveEndpoints } from 'rxvoice';
import { startSandbox } from 'rxvoice/sandbox';
import { chunk, llmStream, sentences, transcribe, tts, turnMetrics, vad } from 'rxvoice/operators';
import { createCascadedProviders } from 'rxvoice/pipelines';

const sandbox = await startSandbox({ profile: 'instant' });
const { transcriber, chatModel, synthesizer } = createCascadedProviders(resolveEndpoints(process.env, sandbox.url));
const conversation = new Conversation({ systemPrompt: 'Answer in one sentence.' });
const playback = new PlaybackClock();

fromWav('fixtures/two-sentences.wav')
  .pipe(
    vad({ silenceMs: 400 }),
    chunk(),
    transcribe({ transcriber }),
    llmStream({ chatModel, conversation }),
    sentences(),
    tts({ synthesizer, outputFormat: { encoding: 'pcm16', sampleRate: 16000 }, mode: 'streamed', playback }),
    turnMetrics(),
  )
  .subscribe({
    next: (event) => {
      if (event.type === 'metric' && event.name === 'first_audio_out') console.log(`${event.turnId}: first audio ${event.valueMs} ms after speech ended`);
      if (event.type === 'assistant.done') console.log(`${event.turnId}: ${event.text}`);
    },
    complete: () => {
      console.log(`history: ${conversation.messages().length} messages`);
      void sandbox.close();
    },
  });
