import type { Kernel } from './kernel.ts';
import { makeMessage, type ErrorContent, type ExecuteReply, type ExecuteReplyContent } from './protocol.ts';

/**
 * An execute_reply made in the page for `kernel`'s session, for a run the kernel did not make itself: a magic cell's,
 * one not made after an earlier failure, one refused before it started.
 */
export function executeReply(kernel: Kernel, content: ExecuteReplyContent): ExecuteReply {
  return makeMessage('execute_reply', content, { session: kernel.session, channel: 'shell' }) as ExecuteReply;
}

/**
 * Numbers a cell the kernel did not run itself (a magic cell, a farmed-out cell) as Jupyter numbers every cell: the
 * kernel records `source` in its history as a comment, so nothing runs, and gives it the next execution count. Null
 * when the kernel cannot answer.
 */
export async function countInKernel(kernel: Kernel, source: string): Promise<number | null> {
  try {
    const reply = await kernel.execute(source.replace(/^/gm, '# '), { storeHistory: true });
    return reply.content.status === 'ok' ? (reply.content.execution_count ?? null) : null;
  } catch {
    return null;
  }
}

/**
 * An execution that could not run (the kernel died, the server went away): published as an `error` output,
 * as Jupyter would show it, and returned as the execute_reply content, so nothing waits forever.
 */
export function failedExecution(error: unknown, publish: (msgType: 'error', content: ErrorContent) => void, ename = 'DeadKernelError'): ExecuteReplyContent {
  const evalue = error instanceof Error ? error.message : String(error);
  const content: ErrorContent = { ename, evalue, traceback: [`\x1b[31m${ename}\x1b[39m: ${evalue}`] };
  publish('error', content);
  return { status: 'error', execution_count: 0, ...content };
}
