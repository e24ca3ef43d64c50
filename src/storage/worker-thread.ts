// Starts one of our own worker threads (the queue's writer, the history's
// writer) from its module. Compiled, that is `<name>.js` beside the caller.
// Under tsx in development only the .ts exists; on Node 20 a worker given
// `execArgv: ['--import', 'tsx']` still loads its entry without tsx's hooks
// (ERR_UNKNOWN_FILE_EXTENSION), so a tiny bootstrap registers tsx inside the
// worker first, then imports the .ts.
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** `base`: the module without its extension, e.g. new URL('./queue-writer', import.meta.url). */
export function startWorker(base: URL, workerData: unknown): Worker {
  const js = new URL(`${base.href}.js`);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData, execArgv: [] });
  const ts = new URL(`${base.href}.ts`);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(ts.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData, execArgv: [] });
}
