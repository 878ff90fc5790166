import type { IHeaders, Message } from "kafkajs";

/**
 * Splits messages into sends of at most `maxBytes` of keys, values and headers (dead letters carry
 * about as many header bytes as value bytes): kafkajs writes all messages for
 * one partition of a send as one record batch, and the broker refuses batches over its message size
 * limit (1 MiB by default).
 */
export function chunkMessages(messages: readonly Message[], maxBytes = 512 * 1024): Message[][] {
  const chunks: Message[][] = [];
  let current: Message[] = [];
  let size = 0;
  for (const message of messages) {
    const bytes =
      byteLength(message.key) + byteLength(message.value) + 64 + headerBytes(message.headers);
    if (current.length > 0 && size + bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(message);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function byteLength(value: Message["key"] | Message["value"]): number {
  if (value === null || value === undefined) return 0;
  return typeof value === "string" ? Buffer.byteLength(value) : value.length;
}

/** About how many bytes a message's headers take: their names and values, 16 more per header. */
export function headerBytes(headers: IHeaders | undefined): number {
  let bytes = 0;
  for (const name in headers) {
    const header = headers[name];
    bytes += Buffer.byteLength(name) + 16;
    if (Array.isArray(header)) for (const h of header) bytes += byteLength(h);
    else bytes += byteLength(header);
  }
  return bytes;
}
