/**
 * A query that reads a table an upload job is still writing waits for that job: on *Run all*, a `%%sql` cell below a
 * `%%dataframe` cell reads the table the upload makes, as the notebook's order says, rather than fail because the
 * job (which returned at once) has not committed yet. Every job runner of the page registers itself here when it
 * is made, so a SQL cell asks without loading, or starting, a runner of its own.
 */
import { ACTIVE_JOB_STATES, type JobRecord, type JobRunner } from './runner.ts';

const runners = new Set<JobRunner>();

/** Called by a runner when it is made; the returned function when it closes. */
export function registerRunner(runner: JobRunner): () => void {
  runners.add(runner);
  return () => runners.delete(runner);
}

/**
 * Whether `sql` names the table `target` (`trips` or `analytics.trips`): its last part, as a whole identifier,
 * bare or quoted, outside string literals and comments. Errs towards yes: a false match only makes a query wait.
 */
export function namesTable(sql: string, target: string): boolean {
  const table = target.split('.').pop()!.replace(/^["`]|["`]$/g, '').toLowerCase();
  const code = sql.replace(/'(?:[^']|'')*'|--[^\n]*|\/\*[\s\S]*?\*\//g, ' ');
  for (const [, quoted, bare] of code.matchAll(/["`]((?:[^"`]|"")+)["`]|([A-Za-z_][\w$]*)/g)) {
    if ((quoted ?? bare).toLowerCase() === table) return true;
  }
  return false;
}

/** The jobs, over the page's runners, still writing on `connector` a table that `sql` reads. */
export async function uploadsReadBy(connector: string, sql: string): Promise<Array<{ runner: JobRunner; job: JobRecord }>> {
  const found: Array<{ runner: JobRunner; job: JobRecord }> = [];
  for (const runner of runners) {
    let jobs: JobRecord[];
    try {
      jobs = await runner.list();
    } catch {
      continue; // a runner whose store failed has no job to wait for
    }
    for (const job of jobs) {
      if (ACTIVE_JOB_STATES.includes(job.state) && job.arguments.connector === connector && namesTable(sql, job.arguments.target)) {
        found.push({ runner, job });
      }
    }
  }
  return found;
}

/**
 * Resolves with the job's record once it has left the active states (succeeded, or failed, cancelled, paused),
 * calling `onChange` on every change meanwhile. Rejects with the signal's reason when it aborts (the job goes on).
 */
export function jobSettled(runner: JobRunner, id: string, { signal, onChange }: { signal?: AbortSignal; onChange?: (job: JobRecord) => void } = {}): Promise<JobRecord> {
  return new Promise((resolve, reject) => {
    let unsubscribe: (() => void) | undefined;
    let done = false;
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      // subscribe() may call back before it returns.
      queueMicrotask(() => unsubscribe?.());
      settle();
    };
    const onAbort = () => finish(() => reject(signal!.reason));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    unsubscribe = runner.subscribe(id, (job) => {
      if (!job) return finish(() => reject(new Error(`Upload job ${id} is no longer recorded.`)));
      if (ACTIVE_JOB_STATES.includes(job.state)) onChange?.(job);
      else finish(() => resolve(job));
    });
  });
}
