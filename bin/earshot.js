#!/usr/bin/env node
import module from 'node:module';

// Node ≥ 22.1 keeps the compiled code of Earshot's modules between runs (faster start); a no-op
// before. Enabled before the CLI's modules are imported, so main is imported dynamically.
module.enableCompileCache?.();

// A reader that goes away (`earshot monitor --jsonl | head -3`) ends the command quietly with exit 0,
// as Unix tools do, instead of an unhandled EPIPE 'error' with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}
const { main } = await import('../dist/src/cli/main.js');

process.exitCode = await main(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  isTty: process.stdout.isTTY === true,
  stderrIsTty: process.stderr.isTTY === true,
});
