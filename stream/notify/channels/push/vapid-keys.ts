/**
 * VAPID key pair (RFC 8292) of this installation: from configuration when given, else generated once
 * and kept through a key store (the integration supplies a database-backed one; tests the in-memory
 * one). Subscriptions are bound to the public key, so it must survive restarts.
 */
import webPush from "web-push";

export interface VapidKeys {
  /** Uncompressed P-256 public point, base64url (65 bytes → 87 characters). */
  publicKey: string;
  /** P-256 private scalar, base64url (32 bytes → 43 characters). */
  privateKey: string;
}

export interface VapidKeyStore {
  load(): Promise<VapidKeys | undefined>;
  /** Stores the keys unless some are stored already (first writer wins). */
  save(keys: VapidKeys): Promise<void>;
}

/** In-memory key store, for tests and tools only: keys die with the process. */
export function memoryVapidKeyStore(initial?: VapidKeys): VapidKeyStore {
  let stored = initial;
  return {
    async load() {
      return stored;
    },
    async save(keys) {
      stored ??= keys;
    },
  };
}

export function assertVapidKeys(keys: VapidKeys): VapidKeys {
  const pub = Buffer.from(keys.publicKey, "base64url");
  const priv = Buffer.from(keys.privateKey, "base64url");
  if (!/^[A-Za-z0-9_-]+$/.test(keys.publicKey) || pub.length !== 65 || pub[0] !== 4)
    throw new Error("VAPID public key must be a base64url uncompressed P-256 point (65 bytes)");
  if (!/^[A-Za-z0-9_-]+$/.test(keys.privateKey) || priv.length !== 32)
    throw new Error("VAPID private key must be base64url of 32 bytes");
  return keys;
}

/** Configured keys (both or neither), else stored keys, else new keys saved to the store. */
export async function loadVapidKeys(options: {
  configured?: Partial<VapidKeys>;
  store: VapidKeyStore;
}): Promise<VapidKeys> {
  const { configured } = options;
  if (configured?.publicKey || configured?.privateKey) {
    if (!configured.publicKey || !configured.privateKey)
      throw new Error("set both VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY, or neither");
    return assertVapidKeys({ publicKey: configured.publicKey, privateKey: configured.privateKey });
  }
  const stored = await options.store.load();
  if (stored) return assertVapidKeys(stored);
  const generated = webPush.generateVAPIDKeys();
  await options.store.save(generated);
  // Another process may have saved first: everyone uses what the store holds.
  return assertVapidKeys((await options.store.load()) ?? generated);
}
