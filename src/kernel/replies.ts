import type { ErrorContent, ExecuteReplyContent } from './protocol.ts';

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
