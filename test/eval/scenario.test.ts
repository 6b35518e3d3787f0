import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { argumentsMatch, containsWords } from '../../src/eval/expect.js';
import { evalCounts, failureLines, junitXml } from '../../src/eval/report.js';
import type { EvalRun, ScenarioResult } from '../../src/eval/run.js';
import { sandboxScript } from '../../src/eval/run.js';
import { parseEvalScenario } from '../../src/eval/scenario.js';
import { recordedTurns } from '../../src/eval/recording.js';

const yaml = (text: string) => parseEvalScenario(parseYaml(text), 'test.yaml');

describe('eval scenario files', () => {
  it('fills in defaults: cascaded agent, 700 ms pause, noError; bargeInAfterMs makes a barge-in turn; the sandbox hears the turns', () => {
    const s = yaml(`
name: demo
turns:
  - say: Hello there.
  - say: Actually, never mind.
    transcript: Actually never mind
    language: en
    bargeInAfterMs: 900
    expect: { bargeIn: true, tool: get_weather }
`);
    expect(s.agent).toEqual({ pipeline: 'cascaded' });
    expect(s.turns[0]!.start).toEqual({ kind: 'after_reply', pauseMs: 700 });
    expect(s.turns[1]!.start).toEqual({ kind: 'during_reply', afterAudioMs: 900 });
    expect(s.turns[1]!.expect).toEqual({ bargeIn: 'interrupted', tools: [{ name: 'get_weather' }] });
    expect(sandboxScript(s).utterances).toEqual([{ transcript: 'Hello there.' }, { transcript: 'Actually never mind', language: 'en' }]);
  });

  it.each([
    ['name: x\nturns: []', 'test.yaml: "turns" must be a non-empty list'],
    ['name: x\nturns: [{ say: hi, wav: a.wav }]', 'turns[0] needs exactly one of "say" (text) or "wav" (a file)'],
    ['name: x\nturns: [{ say: hi, expect: { latency: { firstAudio: 5 } } }]', 'turns[0].expect.latency: unknown budget "firstAudio"'],
    ['name: x\nturns: [{ say: hi, expect: { replyContains: [a] } }]', 'turns[0].expect: unknown expectation "replyContains"'],
    ['name: x\nturns: [{ say: hi, pauseMs: -1 }]', 'turns[0].pauseMs must be a number >= 0'],
    ['name: x\nagent: { pipeline: telepathy }\nturns: [{ say: hi }]', 'agent.pipeline must be cascaded or realtime'],
    ['name: x\nturns: [{ say: hi, expect: { bargeIn: maybe } }]', 'turns[0].expect.bargeIn must be one of interrupted, resumed, none'],
    ['name: x\nsandbox: { replies: [{ match: "(", reply: hi }] }\nturns: [{ say: hi }]', 'test.yaml: sandbox.replies[0].match is not a valid regex'],
  ])('rejects %j with a message naming the place', (text, message) => {
    expect(() => yaml(text)).toThrow(message);
  });

  it('a WAV turn without a transcript cannot be scripted for the sandbox, and says so', () => {
    expect(() => sandboxScript(yaml('name: x\nturns: [{ wav: caller.wav }]'))).toThrow('turn 1: a WAV turn needs a "transcript"');
  });

  it('words match whole and case-blind; tool arguments match by subset, strings case-blind', () => {
    expect(containsWords("Right now in Paris it's sunny.", 'paris')).toBe(true);
    expect(containsWords('The parish hall', 'paris')).toBe(false);
    expect(containsWords('twenty-one degrees', 'twenty-one degrees')).toBe(true);
    expect(argumentsMatch({ city: 'paris' }, { city: 'Paris', unit: 'c' })).toBe(true);
    expect(argumentsMatch({ city: 'London' }, { city: 'Paris' })).toBe(false);
    expect(argumentsMatch({ n: 2 }, { n: '2' })).toBe(false);
  });
});

describe('eval reports', () => {
  const failing: ScenarioResult = {
    name: 'a <"quoted"> & scenario',
    agent: 'cascaded (streaming)',
    providers: 'sandbox',
    extraTurns: [],
    durationMs: 1234,
    pass: false,
    events: [],
    turns: [
      {
        index: 1,
        said: 'Is 3 < 4?',
        pipelineTurnIds: ['turn-1'],
        transcript: 'Is 3 < 4?',
        reply: 'Yes & no.',
        tools: [],
        bargeIn: 'none',
        errors: [],
        firstAudioMs: 812,
        checks: [{ expectation: 'latency.firstAudioMs', expected: '<= 500 ms', measured: '812 ms', pass: false }],
        pass: false,
      },
    ],
    error: 'call errors: tts/reset: socket \u0001hang up',
  };
  const run: EvalRun = { scenarios: [failing], pass: false, durationMs: 2000 };

  it('JUnit counts a case per turn plus one for a call-level failure, escapes what XML cannot hold raw', () => {
    expect(evalCounts(run)).toEqual({ scenarios: 1, failedScenarios: 1, tests: 2, failures: 2 });
    const xml = junitXml(run);
    expect(xml).toContain('<testsuites name="rxvoice eval" tests="2" failures="2"');
    expect(xml).toContain('<testsuite name="a &lt;&quot;quoted&quot;&gt; &amp; scenario" tests="2" failures="2"');
    expect(xml).toContain('name="turn 1: Is 3 &lt; 4?" time="0.812"');
    expect(xml).toContain('message="latency.firstAudioMs: expected &lt;= 500 ms, measured 812 ms"');
    expect(xml).not.toContain('\u0001');
  });

  it('failure lines name the scenario, the turn, the expectation, and the measured value', () => {
    expect(failureLines(run)).toEqual([
      'FAIL a <"quoted"> & scenario: call errors: tts/reset: socket \u0001hang up',
      'FAIL a <"quoted"> & scenario, turn 1 (turn-1): latency.firstAudioMs: expected <= 500 ms, measured 812 ms',
    ]);
  });
});

describe('recorded turn logs', () => {
  it('groups lines by caller turn; an interruption counts for the turn that cut in', () => {
    const turns = recordedTurns([
      { atMs: 900, turnId: 'turn-1', role: 'user', text: 'Hi', language: 'en' },
      { atMs: 950, turnId: 'turn-1', role: 'tool_call', name: 'lookup', arguments: '{"q":1}' },
      { atMs: 1000, turnId: 'turn-1', role: 'assistant', text: 'Hello, how can I help?' },
      { atMs: 2000, turnId: 'turn-1', role: 'interruption', byTurnId: 'turn-2', playedMs: 400, heardText: 'Hello,' },
      { atMs: 2100, turnId: 'turn-2', role: 'user', text: 'Stop' },
      { atMs: 2200, role: 'call' },
    ]);
    expect(turns).toEqual([
      { turnId: 'turn-1', transcript: 'Hi', language: 'en', transcriptAtMs: 900, reply: 'Hello, how can I help?', tools: [{ name: 'lookup', arguments: '{"q":1}' }], errors: [] },
      { turnId: 'turn-2', transcript: 'Stop', transcriptAtMs: 2100, reply: '', tools: [], interrupted: { turnId: 'turn-1', playedMs: 400 }, errors: [] },
    ]);
  });
});
