/// <reference lib="webworker" />
/** The worker of the jobs worker's chunk encoder (encoder.ts). */
import { encodeHere, type EncodeRequest } from './encoder.ts';

declare const self: DedicatedWorkerGlobalScope;

self.onmessage = async ({ data }: MessageEvent<EncodeRequest>) => {
  const reply = await encodeHere(data);
  self.postMessage(reply, reply.ok && !(reply.body instanceof Blob) ? [reply.body.buffer as ArrayBuffer] : []);
};
self.postMessage({ hello: true });
