/**
 * Jupyter messaging protocol (5.3) types, shaped so that messages from the serverless kernel can be saved and
 * compared with any Jupyter kernel's. Only the parts Bento Lite uses are typed precisely.
 * https://jupyter-client.readthedocs.io/en/stable/messaging.html
 */

export const PROTOCOL_VERSION = '5.3';

export type JSONValue = string | number | boolean | null | JSONValue[] | { [key: string]: JSONValue };
export type JSONObject = { [key: string]: JSONValue };

/** A MIME bundle: `text/plain`, `text/html`, `image/png` (base64), `application/json`, ... */
export type MimeBundle = { [mime: string]: JSONValue };

export interface MessageHeader<T extends string = string> {
  msg_id: string;
  msg_type: T;
  session: string;
  username: string;
  date: string;
  version: string;
}

export interface Message<T extends string = string, C = JSONObject> {
  header: MessageHeader<T>;
  parent_header: MessageHeader | Record<string, never>;
  metadata: JSONObject;
  content: C;
  channel: 'shell' | 'iopub' | 'stdin' | 'control';
  buffers?: ArrayBuffer[];
}

export type KernelStatus =
  | 'unknown'
  | 'starting'
  | 'idle'
  | 'busy'
  | 'restarting'
  | 'disconnected'
  | 'reconnecting'
  | 'dead';

export interface StatusContent { execution_state: 'starting' | 'idle' | 'busy' }
export interface StreamContent { name: 'stdout' | 'stderr'; text: string }
export interface DisplayDataContent { data: MimeBundle; metadata: JSONObject; transient?: { display_id?: string } }
export interface ExecuteInputContent { code: string; execution_count: number }
export interface ExecuteResultContent extends DisplayDataContent { execution_count: number }
export interface ErrorContent { ename: string; evalue: string; traceback: string[] }
export interface ClearOutputContent { wait: boolean }

export interface IOPubContentMap {
  status: StatusContent;
  stream: StreamContent;
  display_data: DisplayDataContent;
  update_display_data: DisplayDataContent;
  execute_input: ExecuteInputContent;
  execute_result: ExecuteResultContent;
  error: ErrorContent;
  clear_output: ClearOutputContent;
}
export type IOPubMessageType = keyof IOPubContentMap;
export type IOPubMessage<T extends IOPubMessageType = IOPubMessageType> = {
  [K in T]: Message<K, IOPubContentMap[K]>;
}[T];

export type ExecuteReplyContent =
  | { status: 'ok'; execution_count: number; user_expressions: JSONObject; payload: JSONValue[] }
  | ({ status: 'error'; execution_count: number } & ErrorContent)
  | { status: 'aborted'; execution_count: number | null };
export type ExecuteReply = Message<'execute_reply', ExecuteReplyContent>;

export interface CompleteReplyContent {
  status: 'ok' | 'error';
  matches: string[];
  cursor_start: number;
  cursor_end: number;
  metadata: JSONObject;
}
export interface InspectReplyContent { status: 'ok' | 'error'; found: boolean; data: MimeBundle; metadata: JSONObject }
export interface IsCompleteReplyContent { status: 'complete' | 'incomplete' | 'invalid' | 'unknown'; indent?: string }
export interface InputRequestContent { prompt: string; password: boolean }

export interface KernelInfo {
  protocol_version: string;
  implementation: string;
  implementation_version: string;
  language_info: { name: string; version: string; mimetype: string; file_extension: string; pygments_lexer?: string; codemirror_mode?: JSONValue };
  banner: string;
}

/** A random id in the shape Jupyter uses for msg_id and session (uuid4 hex). */
export function newId(): string {
  return crypto.randomUUID().replaceAll('-', '');
}

/** Builds a message with a real header, as a Jupyter client or kernel would. */
export function makeMessage<T extends string, C>(
  msgType: T,
  content: C,
  options: { session: string; channel: Message['channel']; parent?: MessageHeader; username?: string },
): Message<T, C> {
  return {
    header: {
      msg_id: newId(),
      msg_type: msgType,
      session: options.session,
      username: options.username ?? 'bento',
      date: new Date().toISOString(),
      version: PROTOCOL_VERSION,
    },
    parent_header: options.parent ?? {},
    metadata: {},
    content,
    channel: options.channel,
  };
}

/**
 * Jupyter counts cursor positions in Unicode code points (protocol 5.2+); JavaScript strings and CodeMirror
 * count UTF-16 units. These convert between the two for `text`.
 */
export function toCodePointOffset(text: string, utf16Offset: number): number {
  let points = 0;
  for (let i = 0; i < utf16Offset && i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < utf16Offset) i++;
    points++;
  }
  return points;
}

export function toUtf16Offset(text: string, codePointOffset: number): number {
  let i = 0;
  for (let points = 0; points < codePointOffset && i < text.length; points++) {
    const code = text.charCodeAt(i);
    i += code >= 0xd800 && code <= 0xdbff ? 2 : 1;
  }
  return i;
}
