/** Runs `peergrid <argv>` in a child process (its own memory and time), relaying its stderr; resolves with its stdout parsed as JSON. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/peergrid.js', import.meta.url));

export function runPeergridJson<T>(argv: readonly string[], say: (line: string) => void): Promise<T> {
  say(`running: peergrid ${argv.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim() !== '') say(`  ${line}`);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`peergrid ${argv.join(' ')} exited with ${code}`));
        return;
      }
      resolve(JSON.parse(stdout) as T);
    });
  });
}
