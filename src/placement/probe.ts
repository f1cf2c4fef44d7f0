/**
 * Asks a kernel a question in Python without touching its execution count or history: `code` runs in a fresh dict
 * holding `ARGS` (the JSON of `args`) and `NAMESPACE` (the user's namespace: read it, and change it only where the
 * caller means to), and must assign its JSON-able answer to `ANSWER`. The answer comes back through stdout as one
 * marked line, so this works on any kernel that speaks the Jupyter protocol.
 */
import type { Kernel } from '../kernel/kernel.ts';

const MARK = '\u0000bento-probe\u0000';

export class ProbeError extends Error {
  override name = 'ProbeError';
}

export async function probe<T>(kernel: Kernel, code: string, args: unknown = null): Promise<T> {
  // JSON text is a valid Python string literal, so `code` and the arguments travel as literals. The builtins are
  // reached through `builtins`: the user's namespace may bind `exec`, `compile` or `globals` to something else.
  const wrapped =
    `__import__('builtins').exec(__import__('builtins').compile(${JSON.stringify(`${code}\nprint(${JSON.stringify(MARK)} + __import__('json').dumps(ANSWER), flush=True)`)}, '<bento-probe>', 'exec'), ` +
    `{'__name__': '__bento_probe__', 'NAMESPACE': __import__('builtins').globals(), 'ARGS': __import__('json').loads(${JSON.stringify(JSON.stringify(args))})})`;
  let out = '';
  let error = '';
  const reply = await kernel.execute(wrapped, {
    silent: true,
    storeHistory: false,
    onIOPub: (message) => {
      const { msg_type } = message.header;
      const content = message.content as { name?: string; text?: string; ename?: string; evalue?: string };
      if (msg_type === 'stream' && content.name === 'stdout') out += content.text ?? '';
      if (msg_type === 'error') error = `${content.ename}: ${content.evalue}`;
    },
  });
  const line = out.split('\n').find((l) => l.startsWith(MARK));
  if (reply.content.status !== 'ok' || line === undefined) {
    const content = reply.content as { ename?: string; evalue?: string };
    throw new ProbeError(error || (content.ename ? `${content.ename}: ${content.evalue}` : `the kernel gave no answer (${reply.content.status})`));
  }
  return JSON.parse(line.slice(MARK.length)) as T;
}
