// Runs a TypeScript worker thread under tsx: worker threads do not inherit tsx's loader hooks.
// Used only when the sources run as TypeScript (tests, `tsx src/cli.ts`); the built package
// starts lib/'s JavaScript worker directly (src/validate/parallel.ts).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
