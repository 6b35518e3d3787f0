// Installs this folder's own dependencies (LiveKit's plugin) when missing: `npm ci` from the committed
// package-lock.json, inside this folder, so they never enter rxvoice's own node_modules or package.json.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
if (!existsSync(join(here, 'node_modules', '@livekit', 'agents-plugin-silero', 'package.json'))) {
  console.error('bench/compare-livekit: installing its dependencies (npm ci) ...');
  execSync('npm ci --no-audit --no-fund', { cwd: here, stdio: 'inherit' });
}
