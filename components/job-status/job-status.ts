import { html, LitElement, nothing, type PropertyValues, type ReactiveController, type ReactiveControllerHost } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { ACTIVE_JOB_STATES, type JobRecord, type JobRunner, type JobState } from '../../src/jobs/runner.ts';
import { jobRunner } from '../../src/jobs/worker-runner.ts';
import { bytesInWords, countInWords, secondsInWords } from '../../src/util/words.ts';
import { BentoChangeEvent, BentoErrorEvent } from '../shared/events.ts';
import { JOB_MIME, jobBundle, type JobSnapshot } from './job-summary.ts';
import { styles } from './job-status.styles.ts';

const FINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];
const LABELS: Record<JobState, string> = {
  queued: 'Queued',
  staging: 'Staging',
  uploading: 'Uploading',
  verifying: 'Verifying',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
  paused: 'Paused',
};

/** Time the job has run, over all its runs. */
export function jobElapsedMs(record: JobRecord, now = Date.now()): number {
  const run = record.startedAt === undefined ? 0 : (record.finishedAt ?? (ACTIVE_JOB_STATES.includes(record.state) ? now : record.updatedAt)) - record.startedAt;
  return (record.elapsedBeforeMs ?? 0) + Math.max(0, run);
}

/** A job finished (succeeded, failed or was cancelled) while an element showed it. */
export class BentoJobFinishEvent extends Event {
  constructor(readonly detail: { jobId: string; state: JobState; rows: number }) {
    super('bento-job-finish', { bubbles: true, composed: true });
  }
}

/** Follows one job of a runner: subscribes while the host is connected, again when the job or runner changes. */
class JobTracker implements ReactiveController {
  record?: JobRecord;
  /** True once the runner answered for the current job (undefined `record` then means it has none). */
  answered = false;
  private unsubscribe?: () => void;
  private following?: { runner: JobRunner; jobId: string };
  private ticker?: ReturnType<typeof setInterval>;

  constructor(
    private readonly host: ReactiveControllerHost & { onRecord(previous: JobRecord | undefined, record: JobRecord | undefined): void },
    private readonly target: () => { runner: JobRunner; jobId: string } | undefined,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.follow();
  }

  hostDisconnected(): void {
    this.stop();
  }

  /** Subscribes to the job the host names now, unless it is the one followed already. */
  follow(): void {
    const wanted = this.target();
    if (wanted && this.following && wanted.runner === this.following.runner && wanted.jobId === this.following.jobId) return;
    this.stop();
    if (!wanted) return;
    this.following = wanted;
    this.unsubscribe = wanted.runner.subscribe(wanted.jobId, (record) => {
      const previous = this.record;
      this.record = record;
      this.answered = true;
      this.tick();
      this.host.onRecord(previous, record);
      this.host.requestUpdate();
    });
  }

  private stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.following = undefined;
    this.record = undefined;
    this.answered = false;
    clearInterval(this.ticker);
    this.ticker = undefined;
  }

  /** Elapsed and remaining time move on between the runner's reports: redraw each second while the job runs. */
  private tick(): void {
    const running = this.record !== undefined && ACTIVE_JOB_STATES.includes(this.record.state);
    if (running && !this.ticker) this.ticker = setInterval(() => this.host.requestUpdate(), 1000);
    if (!running && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }
}

/**
 * @summary One upload job, live: its state, a progress bar, rows and bytes, throughput, elapsed and remaining
 * time, the warehouse's error verbatim, and Cancel / Retry / Resume. It is the output of a `%%dataframe` cell and
 * works alone on any page: `<job-status job-id="3fa2…">` shows that job of the page's runner.
 *
 * @event bento-job-finish - The job shown succeeded, failed or was cancelled; `event.detail` has its id, state and rows.
 * @event bento-error - Cancel, Retry or Resume failed; `event.error.message` says why.
 * @event bento-change - The saved output this element stands for (`bundle`) was updated to the job's new state.
 *
 * @csspart job - The whole element.
 * @csspart state - The state's label.
 * @csspart bar - The progress bar (rows staged of all rows).
 * @csspart figures - Rows, bytes, throughput, elapsed and remaining time.
 * @csspart error - The error, as the warehouse said it.
 *
 * @cssprop [--bento-job-background=var(--bento-color-surface)] - Background.
 * @cssprop [--bento-job-border=var(--bento-color-border)] - Border.
 * @cssprop [--bento-job-bar=var(--bento-color-primary)] - The progress bar's fill.
 * @cssprop [--bento-job-track=var(--bento-color-surface-raised)] - The progress bar's track.
 */
@customElement('job-status')
export class JobStatus extends LitElement {
  static override styles = styles;

  private readonly tracker = new JobTracker(this, () => (this.jobId ? { runner: this.activeRunner(), jobId: this.jobId } : undefined));

  @state() private acting = false;
  @state() private actionError?: string;

  /** The job to show. */
  @property({ attribute: 'job-id', reflect: true }) jobId = '';
  /** The runner that has the job; default: the page's runner (`jobRunner()` of src/jobs/worker-runner.ts). */
  @property({ attribute: false }) runner?: JobRunner;
  /**
   * The saved output this element stands for (a notebook's MIME bundle with `application/vnd.bento.job+json`): its
   * snapshot is shown when this browser has no record of the job, and both of its entries follow the job's state,
   * so a notebook saved later holds the job's last state.
   */
  @property({ attribute: false }) bundle?: Record<string, unknown>;

  protected override willUpdate(changed: PropertyValues): void {
    if (changed.has('bundle') && !this.jobId) {
      const saved = this.snapshot();
      if (saved) this.jobId = saved.jobId;
    }
    if (changed.has('jobId') || changed.has('runner') || changed.has('bundle')) {
      this.actionError = undefined;
      if (this.isConnected) this.tracker.follow();
    }
  }

  private activeRunner(): JobRunner {
    return this.runner ?? jobRunner();
  }

  private snapshot(): JobSnapshot | undefined {
    const saved = this.bundle?.[JOB_MIME] as JobSnapshot | undefined;
    return saved && typeof saved === 'object' && typeof saved.jobId === 'string' ? saved : undefined;
  }

  /** Called by the tracker with each new record. */
  onRecord(previous: JobRecord | undefined, record: JobRecord | undefined): void {
    if (!record) return;
    if (this.bundle) {
      Object.assign(this.bundle, jobBundle(record));
      if (previous?.state !== record.state) this.dispatchEvent(new BentoChangeEvent());
    }
    if (previous && previous.id === record.id && !FINAL_STATES.includes(previous.state) && FINAL_STATES.includes(record.state)) {
      this.dispatchEvent(new BentoJobFinishEvent({ jobId: record.id, state: record.state, rows: record.result?.rows ?? record.progress.rows }));
    }
  }

  /** The job's record as last reported; undefined before the runner answered or when it has no such job. */
  get record(): JobRecord | undefined {
    return this.tracker.record;
  }

  private async act(action: 'cancel' | 'retry' | 'resume'): Promise<void> {
    this.acting = true;
    this.actionError = undefined;
    try {
      await this.activeRunner()[action](this.jobId);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.actionError = message;
      this.dispatchEvent(new BentoErrorEvent({ message, source: 'job-status' }));
    } finally {
      this.acting = false;
    }
  }

  private renderActions(state: JobState) {
    const paused = state === 'paused';
    const cancellable = paused || ACTIVE_JOB_STATES.includes(state);
    const button = (action: 'cancel' | 'retry' | 'resume', text: string) =>
      html`<button ?disabled=${this.acting} @click=${() => this.act(action)} aria-label=${`${text} the upload`}>${text}</button>`;
    return html`<span class="actions">
      ${paused ? button('resume', 'Resume') : nothing} ${state === 'failed' ? button('retry', 'Retry') : nothing}
      ${cancellable ? button('cancel', 'Cancel') : nothing}
    </span>`;
  }

  private renderRecord(record: JobRecord) {
    const { state, progress, arguments: args, error } = record;
    const rows = record.result?.rows ?? progress.rows;
    const bytes = record.result?.bytes ?? progress.bytes;
    const total = progress.totalRows;
    const elapsed = jobElapsedMs(record);
    const seconds = elapsed / 1000;
    const figures = [`${countInWords(rows)} of ${countInWords(total)} rows`, `${bytesInWords(bytes)} sent${progress.stagedBytes ? ` (table ${bytesInWords(progress.stagedBytes)})` : ''}`];
    if (seconds >= 1 && rows > 0) figures.push(`${countInWords(Math.round(rows / seconds))} rows/s, ${bytesInWords(bytes / seconds)}/s`);
    if (elapsed > 0) figures.push(`${secondsInWords(seconds)} elapsed`);
    const active = ACTIVE_JOB_STATES.includes(state);
    if (active && rows > 0 && rows < total && seconds >= 1) figures.push(`about ${secondsInWords(((total - rows) / rows) * seconds)} left`);
    const fraction = state === 'succeeded' ? 1 : total > 0 ? rows / total : 0;
    const described = `${countInWords(rows)} of ${countInWords(total)} rows, ${bytesInWords(bytes)} sent`;
    return html`
      <div class="line">
        <span class="state ${state}" part="state">${LABELS[state]}</span>
        <span>${args.source ? html`<code>${args.source}</code> ` : nothing}→ <span class="target">${args.target}</span> on ${args.connector}, ${args.mode ?? 'create'}</span>
        ${this.renderActions(state)}
      </div>
      <div
        class="bar"
        part="bar"
        role="progressbar"
        aria-label=${`Upload to ${args.target}`}
        aria-valuemin="0"
        aria-valuemax=${total}
        aria-valuenow=${state === 'succeeded' ? total : rows}
        aria-valuetext=${described}
      >
        <div style="width: ${(fraction * 100).toFixed(1)}%"></div>
      </div>
      <div class="line figures" part="figures">${figures.join(' · ')}</div>
      ${error ? html`<pre class="error" part="error" role=${state === 'failed' ? 'alert' : 'status'}>${error.serverMessage ?? error.message}</pre>` : nothing}
      ${error?.serverMessage && error.serverMessage !== error.message ? html`<div class="figures">${error.message}</div>` : nothing}
    `;
  }

  private renderSaved(saved: JobSnapshot | undefined) {
    if (!this.jobId) return html`<div class="line">No job to show: set <code>job-id</code>.</div>`;
    if (!this.tracker.answered) return html`<div class="line" role="status">Looking up job ${this.jobId}…</div>`;
    const missing = `This browser has no record of job ${this.jobId} (it ran in another browser, or its record was removed).`;
    if (!saved) return html`<div class="line" role="status">${missing}</div>`;
    return html`
      <div class="line">
        <span class="state ${saved.state}" part="state">${LABELS[saved.state] ?? saved.state}</span>
        <span>${saved.source ? html`<code>${saved.source}</code> ` : nothing}→ <span class="target">${saved.target}</span> on ${saved.connector}, ${saved.mode}</span>
      </div>
      <div class="line figures" part="figures">${countInWords(saved.rows)} of ${countInWords(saved.totalRows)} rows, as last saved. ${missing}</div>
      ${saved.error ? html`<pre class="error" part="error">${saved.serverMessage ?? saved.error}</pre>` : nothing}
    `;
  }

  override render() {
    const record = this.tracker.record;
    return html`<div class="job" part="job" role="group" aria-label=${`Upload job ${this.jobId}`}>
      ${record ? this.renderRecord(record) : this.renderSaved(this.snapshot())}
      ${this.actionError ? html`<pre class="error" role="alert">${this.actionError}</pre>` : nothing}
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'job-status': JobStatus;
  }
  interface GlobalEventHandlersEventMap {
    'bento-job-finish': BentoJobFinishEvent;
  }
}
