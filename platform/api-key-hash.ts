/** Node-only: the API key hash computed synchronously (node:crypto), the same value as `hashApiKey`. */
import { createHash } from "node:crypto";

export const hashApiKeyNode = (key: string): string =>
  createHash("sha256").update(key).digest("hex");
