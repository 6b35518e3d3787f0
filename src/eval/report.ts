import { formatTable, ms } from '../runner/report.js';
import { renderTimelineSvg } from '../runner/timeline.js';
import type { CheckResult, TurnResult } from './expect.js';
import type { EvalRun, ScenarioResult } from './run.js';

const truncate = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The pass/fail table: one row per scenario turn, with the latencies measured from the end of speech. */
export function evalTable(run: EvalRun): string {
  const rows: string[][] = [];
  for (const s of run.scenarios) {
    if (s.turns.length === 0) rows.push([s.name, '-', '(did not run)', '-', '-', '-', '-', 'FAIL']);
    for (const t of s.turns) {
      rows.push([
        s.name,
        String(t.index),
        truncate(t.said, 36),
        ms(t.transcriptMs),
        ms(t.firstTokenMs),
        ms(t.firstAudioMs),
        t.bargeIn,
        t.pass ? 'pass' : `FAIL (${t.checks.filter((c) => !c.pass).length})`,
      ]);
    }
  }
  return formatTable(['scenario', 'turn', 'caller said', 'transcript', 'first token', 'first audio', 'barge-in', 'result'], rows);
}

/** One line per failed expectation: the scenario, the turn, the expectation, what it wanted and what was measured. */
export function failureLines(run: EvalRun): string[] {
  const lines: string[] = [];
  for (const s of run.scenarios) {
    if (s.error !== undefined) lines.push(`FAIL ${s.name}: ${s.error}`);
    for (const t of s.turns) {
      for (const c of t.checks.filter((x) => !x.pass)) lines.push(`FAIL ${s.name}, turn ${t.index}${turnIds(t)}: ${describeCheck(c)}`);
    }
  }
  return lines;
}

export const describeCheck = (c: CheckResult): string => `${c.expectation}: expected ${c.expected}, measured ${c.measured}`;
const turnIds = (t: TurnResult): string => (t.pipelineTurnIds.length > 0 ? ` (${t.pipelineTurnIds.join(', ')})` : '');

/** Counts for the summary line and the JUnit totals: one test case per scenario turn (or per scenario that did not run). */
export function evalCounts(run: EvalRun): { scenarios: number; failedScenarios: number; tests: number; failures: number } {
  let tests = 0;
  let failures = 0;
  for (const s of run.scenarios) {
    const c = scenarioCases(s);
    tests += c.length;
    failures += c.filter((x) => x.failures.length > 0).length;
  }
  return { scenarios: run.scenarios.length, failedScenarios: run.scenarios.filter((s) => !s.pass).length, tests, failures };
}

interface Case {
  readonly name: string;
  readonly timeS: number;
  readonly failures: readonly string[];
  readonly output: string;
}

function scenarioCases(s: ScenarioResult): Case[] {
  const cases: Case[] = s.turns.map((t) => ({
    name: `turn ${t.index}: ${t.said}`,
    timeS: (t.firstAudioMs ?? 0) / 1000,
    failures: t.checks.filter((c) => !c.pass).map(describeCheck),
    output: [
      `pipeline turns: ${t.pipelineTurnIds.join(', ') || 'none'}`,
      `transcript: ${t.transcript}`,
      `reply: ${t.reply}`,
      ...t.checks.map((c) => `${c.pass ? 'pass' : 'FAIL'} ${describeCheck(c)}`),
    ].join('\n'),
  }));
  // A failure of the whole call (it did not run, or errors outside any turn) is a test case of its own.
  if (s.error !== undefined) cases.push({ name: 'call', timeS: s.durationMs / 1000, failures: [s.error], output: s.providers });
  return cases;
}

const xml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!).replace(
    // Characters XML 1.0 cannot carry at all.
    /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g,
    '',
  );

/** JUnit XML as CI systems read it: a suite per scenario, a case per caller turn, a failure per failed turn. */
export function junitXml(run: EvalRun): string {
  const counts = evalCounts(run);
  const suites = run.scenarios.map((s) => {
    const cases = scenarioCases(s);
    const failures = cases.filter((c) => c.failures.length > 0).length;
    const body = cases
      .map((c) => {
        const failure =
          c.failures.length === 0 ? '' : `\n      <failure message="${xml(c.failures[0]!)}" type="expectation">${xml(c.failures.join('\n'))}</failure>`;
        return `    <testcase classname="${xml(s.name)}" name="${xml(c.name)}" time="${c.timeS.toFixed(3)}">${failure}\n      <system-out>${xml(c.output)}</system-out>\n    </testcase>`;
      })
      .join('\n');
    return `  <testsuite name="${xml(s.name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="${(s.durationMs / 1000).toFixed(3)}"${s.source ? ` file="${xml(s.source)}"` : ''}>\n${body}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="rxvoice eval" tests="${counts.tests}" failures="${counts.failures}" errors="0" time="${(run.durationMs / 1000).toFixed(3)}">\n${suites.join('\n')}\n</testsuites>\n`;
}

const html = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** A self-contained page: per scenario its verdict, each turn's checks, and the turns' timeline. */
export function htmlReport(run: EvalRun, title = 'rxvoice eval'): string {
  const counts = evalCounts(run);
  const sections = run.scenarios.map((s) => {
    const rows = s.turns
      .map((t) => {
        const checks = t.checks
          .map((c) => `<li class="${c.pass ? 'pass' : 'fail'}">${c.pass ? '✓' : '✗'} <b>${html(c.expectation)}</b>: expected ${html(c.expected)}, measured ${html(c.measured)}</li>`)
          .join('');
        return `<tr class="${t.pass ? 'pass' : 'fail'}"><td>${t.index}</td><td>${html(t.said)}</td><td>${html(t.transcript)}</td><td>${html(t.reply)}</td><td>${html(ms(t.firstAudioMs))}</td><td>${html(t.bargeIn)}</td><td><ul>${checks}</ul></td></tr>`;
      })
      .join('\n');
    // A cut reply's bar ends where the caller stopped hearing it, not where its (faster than real time) audio ended.
    const reports = s.turns.flatMap((t) =>
      t.report ? [t.report.interrupted ? { ...t.report, replyAudioMs: Math.min(t.report.replyAudioMs, t.report.interrupted.playedMs) } : t.report] : [],
    );
    const timeline = reports.length > 0 ? renderTimelineSvg(`${s.name}: end of speech -> first audio, per turn`, reports) : '';
    return `<section class="scenario ${s.pass ? 'pass' : 'fail'}" data-scenario="${html(s.name)}" data-pass="${s.pass}">
<h2>${s.pass ? 'PASS' : 'FAIL'}: ${html(s.name)}</h2>
<p class="meta">${html(s.agent)}; ${html(s.providers)}${s.source ? `; ${html(s.source)}` : ''}; ${(s.durationMs / 1000).toFixed(1)} s</p>
${s.error ? `<p class="error">${html(s.error)}</p>` : ''}
<table><tr><th>turn</th><th>caller said</th><th>transcript</th><th>reply</th><th>first audio</th><th>barge-in</th><th>expectations</th></tr>
${rows}</table>
<div class="timeline">${timeline}</div>
</section>`;
  });
  return `<!doctype html><html><head><meta charset="utf-8"><title>${html(title)}</title>
<style>
body{font-family:sans-serif;margin:24px;color:#1f2933}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #cbd2d9;padding:4px 8px;text-align:left;vertical-align:top}
tr.fail td:first-child,section.fail h2{color:#b42318}section.pass h2{color:#067647}
ul{margin:0;padding-left:0;list-style:none}li.fail{color:#b42318}li.pass{color:#067647}
.meta{color:#52606d}.error{color:#b42318;font-weight:bold}section{margin-bottom:40px}
</style></head><body>
<h1>${html(title)}</h1>
<p id="summary" data-tests="${counts.tests}" data-failures="${counts.failures}">${counts.scenarios - counts.failedScenarios} of ${counts.scenarios} scenarios passed; ${counts.tests - counts.failures} of ${counts.tests} turns passed. Latencies are from the true end of the caller's speech.</p>
${sections.join('\n')}
</body></html>
`;
}
