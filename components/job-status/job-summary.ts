/**
 * How a job is written into a notebook's outputs: a readable `text/plain` line for any Jupyter tool, and
 * `application/vnd.bento.job+json` (JOB_MIME) for Bento, which renders it as a live `<job-status>`. Both come
 * from the job record and hold nothing secret: the connector's name, never its credentials or URL.
 */
import type { JobRecord, JobState } from '../../src/jobs/runner.ts';
import { countInWords } from '../../src/util/words.ts';

export const JOB_MIME = 'application/vnd.bento.job+json';

/** The job as saved in a notebook: its last known state, enough to reattach and to read without Bento. */
export interface JobSnapshot {
  jobId: string;
  state: JobState;
  rows: number;
  totalRows: number;
  bytes: number;
  target: string;
  connector: string;
  mode: string;
  source?: string;
  error?: string;
  serverMessage?: string;
  updatedAt: number;
}

export function jobSnapshot(record: JobRecord): JobSnapshot {
  const { id, state, arguments: args, progress, result, error, updatedAt } = record;
  return {
    jobId: id,
    state,
    rows: result?.rows ?? progress.rows,
    totalRows: progress.totalRows,
    bytes: result?.bytes ?? progress.bytes,
    target: args.target,
    connector: args.connector,
    mode: args.mode ?? 'create',
    ...(args.source ? { source: args.source } : {}),
    ...(error ? { error: error.message } : {}),
    ...(error?.serverMessage ? { serverMessage: error.serverMessage } : {}),
    updatedAt,
  };
}

/** One readable line: what went where, and how far it got. */
export function jobSummary(job: JobSnapshot): string {
  const what = `${job.source ? `${job.source} ` : ''}(${countInWords(job.totalRows)} rows) to ${job.target} on ${job.connector}, mode ${job.mode}`;
  const where = job.state === 'succeeded' ? `${countInWords(job.rows)} rows written` : `${countInWords(job.rows)} of ${countInWords(job.totalRows)} rows staged`;
  const why = job.error ? `: ${job.error}` : '';
  return `Upload job ${job.jobId}: ${what}. ${job.state[0].toUpperCase()}${job.state.slice(1)}, ${where}${why}`;
}

/** The MIME bundle of a job's output. */
export function jobBundle(record: JobRecord): { 'text/plain': string; [JOB_MIME]: JobSnapshot } {
  const snapshot = jobSnapshot(record);
  return { 'text/plain': jobSummary(snapshot), [JOB_MIME]: snapshot };
}
