import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseAgentFile, parseEvalScenario, ScenarioError, type AgentSpec, type EvalScenario, type SandboxScript } from './scenario.js';

const SCENARIO_EXTENSIONS = ['.yaml', '.yml', '.json'];

/** The scenario files named: files as given, directories for their .yaml/.yml/.json files (sorted, not recursive). */
export async function findScenarioFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new ScenarioError(`scenario path '${path}' does not exist`);
    if (info.isDirectory()) {
      const names = (await readdir(path)).filter((n) => SCENARIO_EXTENSIONS.includes(extname(n))).sort();
      if (names.length === 0) throw new ScenarioError(`no .yaml, .yml or .json scenario files in '${path}'`);
      files.push(...names.map((n) => join(path, n)));
    } else files.push(path);
  }
  return files;
}

/** Reads and checks one scenario file (YAML or JSON; JSON is YAML too, but its own parser names errors better). */
export async function loadScenarioFile(path: string): Promise<EvalScenario> {
  return parseEvalScenario(await readStructured(path), path);
}

/** The agent (and sandbox script) a replay runs, from a scenario-shaped YAML or JSON file. */
export async function loadAgentFile(path: string): Promise<{ agent: AgentSpec; sandbox?: SandboxScript }> {
  return parseAgentFile(await readStructured(path), path);
}

async function readStructured(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8').catch(() => {
    throw new ScenarioError(`cannot read '${path}'`);
  });
  let value: unknown;
  try {
    value = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ScenarioError(`${path}: not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'} (${(err instanceof Error ? err.message : String(err)).split('\n')[0]})`);
  }
  return value;
}

export async function loadScenarios(paths: readonly string[]): Promise<EvalScenario[]> {
  const files = await findScenarioFiles(paths);
  return Promise.all(files.map(loadScenarioFile));
}
