// Gap-free playback: reply audio is queued as it arrives and pulled 128 samples at a time by the audio
// thread, so chunks play back to back whatever their size or timing. Reports how much of each turn has
// really been played (what the server cuts the history at on barge-in), and drops the queue on `clear`.
class PcmPlayer extends AudioWorkletProcessor {
  constructor() {
    super();
    this.queue = []; // { turnId, samples: Float32Array, offset }
    this.played = new Map(); // turnId -> samples played
    this.sinceReport = 0;
    this.reportEvery = Math.round(sampleRate / 10); // ~100 ms
    this.port.onmessage = (event) => {
      const msg = event.data;
      if (msg.type === 'audio') {
        const pcm = new Int16Array(msg.buffer);
        const samples = new Float32Array(pcm.length);
        for (let i = 0; i < pcm.length; i++) samples[i] = pcm[i] / 0x8000;
        this.queue.push({ turnId: msg.turnId, samples, offset: 0 });
      } else if (msg.type === 'clear') {
        const turns = new Set(this.queue.map((q) => q.turnId));
        this.queue = msg.turnId ? this.queue.filter((q) => q.turnId !== msg.turnId) : [];
        for (const turnId of turns) this.report(turnId);
      }
    };
  }

  /** `done`: everything received for the turn has been played (not sent after a `clear`: that audio was dropped). */
  report(turnId, done = false) {
    const samples = this.played.get(turnId) ?? 0;
    this.port.postMessage({ type: 'played', turnId, playedMs: (samples * 1000) / sampleRate, done, queuedMs: this.queuedMs() });
  }

  queuedMs() {
    let n = 0;
    for (const q of this.queue) n += q.samples.length - q.offset;
    return (n * 1000) / sampleRate;
  }

  process(_inputs, outputs) {
    const out = outputs[0][0];
    let i = 0;
    let lastTurn;
    while (i < out.length && this.queue.length > 0) {
      const head = this.queue[0];
      const n = Math.min(out.length - i, head.samples.length - head.offset);
      out.set(head.samples.subarray(head.offset, head.offset + n), i);
      head.offset += n;
      i += n;
      lastTurn = head.turnId;
      this.played.set(head.turnId, (this.played.get(head.turnId) ?? 0) + n);
      if (head.offset === head.samples.length) {
        this.queue.shift();
        if (this.queue[0]?.turnId !== head.turnId) this.report(head.turnId, true); // reply fully played
      }
    }
    out.fill(0, i);
    if (lastTurn !== undefined) {
      this.sinceReport += out.length;
      if (this.sinceReport >= this.reportEvery) {
        this.sinceReport = 0;
        this.report(lastTurn);
      }
    }
    return true;
  }
}

registerProcessor('pcm-player', PcmPlayer);
