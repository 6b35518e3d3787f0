/** ElevenLabs' default `chunk_length_schedule`: characters buffered before the 1st, 2nd, ... generation. */
export const DEFAULT_SCHEDULE: readonly number[] = [120, 160, 250, 290];
/** `try_trigger_generation` generates only above this many buffered characters. */
export const MIN_TRIGGER_CHARS = 50;

/** The client's schedule with each value clamped to ElevenLabs' 50..500, or the default. */
export function parseSchedule(value: unknown): readonly number[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    return DEFAULT_SCHEDULE;
  }
  return (value as number[]).map((v) => Math.min(500, Math.max(50, Math.round(v))));
}

const SENTENCE_END = /[.!?。！？](?=\s|$)/gu;

/**
 * Text waiting for generation on one stream-input context, cut as ElevenLabs does: a generation
 * starts when the buffer reaches the schedule's next size (the last size repeats), on `flush`, on
 * `try_trigger_generation` above a minimum, and, with `auto_mode`, at every sentence end. Cuts fall
 * after whole words (the last whitespace), so a word is never split between two generations.
 */
export class TextBuffer {
  private text = '';
  private generations = 0;

  constructor(
    private readonly schedule: readonly number[],
    private readonly autoMode: boolean,
  ) {}

  /** Appends text; returns the texts to generate now (possibly none). */
  add(text: string, flush = false, tryTrigger = false): string[] {
    this.text += text;
    if (flush) return this.flush();
    if (this.autoMode) {
      const ends = [...this.text.matchAll(SENTENCE_END)];
      const last = ends.at(-1);
      return last?.index !== undefined ? this.cut(last.index + 1) : [];
    }
    const threshold = this.schedule[Math.min(this.generations, this.schedule.length - 1)] ?? DEFAULT_SCHEDULE[0] ?? 120;
    const length = [...this.text].length;
    if (length >= threshold || (tryTrigger && length >= MIN_TRIGGER_CHARS)) {
      const boundary = this.text.search(/\s\S*$/u);
      return this.cut(boundary > 0 ? boundary + 1 : this.text.length);
    }
    return [];
  }

  /** Everything buffered, now. */
  flush(): string[] {
    return this.cut(this.text.length);
  }

  get pending(): string {
    return this.text;
  }

  private cut(at: number): string[] {
    const head = this.text.slice(0, at);
    this.text = this.text.slice(at);
    if (head.trim() === '') return [];
    this.generations += 1;
    return [head];
  }
}
