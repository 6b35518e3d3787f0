import type { TurnReport } from './report.js';

interface Stage {
  readonly label: string;
  readonly from: number;
  readonly to: number;
  readonly color: string;
}

/** The waterfall of one turn: each stage from the true end of speech (0 ms) to the first reply audio. */
function stagesOf(turn: TurnReport): Stage[] {
  const stages: Stage[] = [];
  let cursor = 0;
  const push = (label: string, end: number | undefined, color: string): void => {
    if (end === undefined || end <= cursor) return;
    stages.push({ label, from: cursor, to: end, color });
    cursor = end;
  };
  push('end-of-turn silence', turn.endpointMs, '#9aa5b1');
  push('transcript', turn.transcriptMs, '#3e7cb1');
  push('first token', turn.firstTokenMs, '#81a4cd');
  push('first audio', turn.firstAudioMs, '#f0a202');
  if (turn.firstAudioMs !== undefined && turn.replyAudioMs > 0) {
    stages.push({ label: 'reply audio', from: turn.firstAudioMs, to: turn.firstAudioMs + turn.replyAudioMs, color: '#c6e0b4' });
  }
  return stages;
}

const escape = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** An SVG waterfall, one row per turn, time axis in ms after the caller stopped speaking. */
export function renderTimelineSvg(title: string, turns: readonly TurnReport[]): string {
  const rowH = 34;
  const left = 230;
  const width = 1000;
  const plotW = width - left - 20;
  const maxMs = Math.max(1000, ...turns.flatMap((t) => stagesOf(t).map((s) => s.to)));
  const scale = plotW / maxMs;
  const top = 50;
  const height = top + turns.length * rowH + 50;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${escape(title)}</text>`,
  ];
  for (let t = 0; t <= maxMs; t += tickStep(maxMs)) {
    const x = left + t * scale;
    parts.push(`<line x1="${x}" y1="${top - 8}" x2="${x}" y2="${height - 40}" stroke="#e4e7eb"/>`);
    parts.push(`<text x="${x}" y="${height - 25}" text-anchor="middle" fill="#52606d">${t} ms</text>`);
  }
  turns.forEach((turn, i) => {
    const y = top + i * rowH;
    const label = `${turn.turnId}: ${turn.transcript || '(no transcript)'}`;
    parts.push(`<text x="10" y="${y + 20}">${escape(label.length > 32 ? `${label.slice(0, 31)}…` : label)}</text>`);
    for (const stage of stagesOf(turn)) {
      const x = left + stage.from * scale;
      const w = Math.max(1, (stage.to - stage.from) * scale);
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y + 6}" width="${w.toFixed(1)}" height="${rowH - 12}" fill="${stage.color}">` +
          `<title>${escape(stage.label)}: ${Math.round(stage.from)}-${Math.round(stage.to)} ms</title></rect>`,
      );
    }
    if (turn.firstAudioMs !== undefined) {
      const x = left + turn.firstAudioMs * scale;
      parts.push(`<text x="${x + 4}" y="${y + 20}" fill="#1f2933" font-weight="bold">${Math.round(turn.firstAudioMs)} ms</text>`);
    }
  });
  const legend = ['end-of-turn silence', 'transcript', 'first token', 'first audio', 'reply audio'];
  const colors = ['#9aa5b1', '#3e7cb1', '#81a4cd', '#f0a202', '#c6e0b4'];
  legend.forEach((name, i) => {
    const x = left + i * 150;
    parts.push(`<rect x="${x}" y="${height - 15}" width="10" height="10" fill="${colors[i]}"/>`);
    parts.push(`<text x="${x + 14}" y="${height - 6}">${name}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function tickStep(maxMs: number): number {
  for (const step of [100, 250, 500, 1000, 2000, 5000]) if (maxMs / step <= 12) return step;
  return 10000;
}

/** The same waterfall wrapped in a page, with the numbers as a table under it. */
export function renderTimelineHtml(sections: readonly { title: string; turns: readonly TurnReport[] }[]): string {
  const body = sections
    .map(({ title, turns }) => {
      const rows = turns
        .map(
          (t) =>
            `<tr><td>${escape(t.turnId)}</td><td>${escape(t.transcript)}</td><td>${fmt(t.endpointMs)}</td><td>${fmt(t.transcriptMs)}</td><td>${fmt(t.firstTokenMs)}</td><td>${fmt(t.firstAudioMs)}</td></tr>`,
        )
        .join('\n');
      return `<section>${renderTimelineSvg(title, turns)}
<table><tr><th>turn</th><th>caller said</th><th>end-of-turn silence</th><th>transcript</th><th>first token</th><th>first audio</th></tr>
${rows}</table></section>`;
    })
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>rxvoice timeline</title>
<style>body{font-family:sans-serif;margin:24px}table{border-collapse:collapse;margin:8px 0 32px}td,th{border:1px solid #cbd2d9;padding:4px 8px;text-align:left}</style>
</head><body><h1>rxvoice: where the time goes after the caller stops</h1>
<p>0 ms is the true end of the caller's speech; each bar ends when that stage's first result left the chain.</p>
${body}</body></html>\n`;
}

const fmt = (v: number | undefined): string => (v === undefined ? '-' : `${Math.round(v)} ms`);
