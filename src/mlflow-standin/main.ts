/**
 * Runs the MLflow stand-in for the demo:
 *
 *   npx tsx src/mlflow-standin/main.ts [--store sqlite|file] [--path mlflow.db|mlruns]
 *                                      [--port 5000] [--seed data.json]
 *
 * `--seed` takes a JSON list of experiments (`SeedExperiment[]`: name, tags, runs with status,
 * tags, params, metrics). The URL is printed on stdout; point the gate at it with
 * `MLFLOW_TRACKING_URI`. Stops on SIGINT/SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { startStandin } from './server.js';
import { seed, type SeedExperiment } from './writer.js';

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      store: { type: 'string' },
      path: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      seed: { type: 'string' },
    },
  });
  const store = values.store ?? 'sqlite';
  if (store !== 'sqlite' && store !== 'file') {
    console.error(`--store: invalid value '${store}' (allowed: sqlite, file)`);
    return 2;
  }
  const standin = await startStandin({
    store,
    path: values.path ?? (store === 'sqlite' ? 'mlflow.db' : 'mlruns'),
    host: values.host ?? '127.0.0.1',
    port: values.port ? Number(values.port) : 5000,
  });
  if (values.seed)
    seed(standin.writer, JSON.parse(readFileSync(values.seed, 'utf8')) as SeedExperiment[]);
  console.log(standin.url);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await standin.close();
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(`mlflow-standin: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 2;
    },
  );
}
