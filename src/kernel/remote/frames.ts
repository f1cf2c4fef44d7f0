/**
 * Jupyter Server's binary WebSocket frames: how a message with buffers travels on a kernel's channels socket
 * when no subprotocol was negotiated (jupyter_server's serialize_binary_message/deserialize_binary_message,
 * and @jupyterlab/services' default serializer). Messages without buffers stay JSON text frames.
 *
 *   uint32 n                      number of parts: the JSON message and its buffers (big-endian, as all below)
 *   uint32 offset[0..n-1]         byte offset of each part from the frame's start; part i ends where i+1 starts
 *   JSON message (UTF-8)          header, parent_header, metadata, content, channel; no `buffers` key
 *   buffer 0, buffer 1, ...
 */
import type { Message } from '../protocol.ts';

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

export function serializeBinaryMessage(message: Message, buffers: readonly Uint8Array[]): ArrayBuffer {
  const { buffers: _omitted, ...rest } = message;
  const parts = [utf8Encoder.encode(JSON.stringify(rest)), ...buffers];
  const headerBytes = 4 * (parts.length + 1);
  const total = parts.reduce((sum, part) => sum + part.byteLength, headerBytes);
  const frame = new Uint8Array(total);
  const view = new DataView(frame.buffer);
  view.setUint32(0, parts.length);
  let offset = headerBytes;
  parts.forEach((part, i) => {
    view.setUint32(4 * (i + 1), offset);
    frame.set(part, offset);
    offset += part.byteLength;
  });
  return frame.buffer;
}

/** The message in a binary frame, with `buffers` as ArrayBuffers of their own (so typed arrays align). */
export function deserializeBinaryMessage(frame: ArrayBuffer): Message {
  const view = new DataView(frame);
  const count = frame.byteLength >= 4 ? view.getUint32(0) : 0;
  if (count < 1 || 4 * (count + 1) > frame.byteLength) throw new Error(`a binary frame of ${frame.byteLength} bytes without a valid part count`);
  const offsets: number[] = [];
  for (let i = 0; i < count; i++) offsets.push(view.getUint32(4 * (i + 1)));
  offsets.push(frame.byteLength);
  for (let i = 0; i < count; i++) {
    if (offsets[i] < 4 * (count + 1) || offsets[i] > offsets[i + 1]) throw new Error(`a binary frame whose part offsets point outside it (${offsets.join(', ')})`);
  }
  const message = parseMessage(utf8Decoder.decode(new Uint8Array(frame, offsets[0], offsets[1] - offsets[0])));
  message.buffers = offsets.slice(1, -1).map((start, i) => frame.slice(start, offsets[i + 2]));
  return message;
}

/**
 * The Jupyter message in one WebSocket frame: JSON text, or a binary frame with buffers. Throws an Error that says
 * what was wrong with the frame (a proxy may truncate or mangle one), for a message to the user.
 */
export function readFrame(data: unknown): Message {
  if (typeof data === 'string') return parseMessage(data);
  if (data instanceof ArrayBuffer) return deserializeBinaryMessage(data);
  throw new Error(`a frame of an unexpected kind (${Object.prototype.toString.call(data)})`);
}

function parseMessage(json: string): Message {
  let message: Partial<Message>;
  try {
    message = JSON.parse(json);
  } catch {
    throw new Error(`a message that is not JSON, starting ${JSON.stringify(json.slice(0, 40))}`);
  }
  const header = message?.header as Partial<Message['header']> | undefined;
  if (typeof header?.msg_type !== 'string' || typeof message.channel !== 'string' || typeof message.content !== 'object' || message.content === null) {
    throw new Error('JSON that is not a Jupyter message (no header, channel or content)');
  }
  return message as Message;
}

