/**
 * VAPID key pair (RFC 8292) of this installation: from configuration when given, else generated once
 * and kept through a key store (the integration supplies a database-backed one; tests the in-memory
 * one). Subscriptions are bound to the public key, so it must survive restarts.
 */
import { createECDH } from "node:crypto";
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

/** Where a key pair came from, for the errors: the two variables, or the `vapid_keys` row. */
export type VapidKeySource = "configured" | "stored";

const names = {
  configured: {
    public: "VAPID_PUBLIC_KEY",
    private: "VAPID_PRIVATE_KEY",
    pair: "VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY",
  },
  stored: {
    public: "the stored VAPID public key (vapid_keys row 'current')",
    private: "the stored VAPID private key (vapid_keys row 'current')",
    pair: "the public and private key stored in vapid_keys (row 'current')",
  },
} as const;

/**
 * Checks the encodings and that the public key is the private key's (`d`·G): a pair whose halves do
 * not belong together signs JWTs that no push service accepts (RFC 8292 §2.3 verifies `k`), so every
 * message would fail. Errors name the variables (or the row) and the public key that matches the
 * private one, never the private key.
 */
export function assertVapidKeys(keys: VapidKeys, source: VapidKeySource = "configured"): VapidKeys {
  const name = names[source];
  const pub = Buffer.from(keys.publicKey, "base64url");
  const priv = Buffer.from(keys.privateKey, "base64url");
  if (!/^[A-Za-z0-9_-]+$/.test(keys.publicKey) || pub.length !== 65 || pub[0] !== 4)
    throw new Error(
      `VAPID public key must be a base64url uncompressed P-256 point (65 bytes): check ${name.public}`,
    );
  if (!/^[A-Za-z0-9_-]+$/.test(keys.privateKey) || priv.length !== 32)
    throw new Error(`VAPID private key must be base64url of 32 bytes: check ${name.private}`);
  let derived: string;
  try {
    const ecdh = createECDH("prime256v1");
    ecdh.setPrivateKey(priv);
    derived = ecdh.getPublicKey().toString("base64url");
  } catch {
    // OpenSSL refuses 0 and scalars not below the group order.
    throw new Error(
      `VAPID private key is not a P-256 private key (a scalar from 1 to n − 1): check ${name.private}`,
    );
  }
  if (derived !== keys.publicKey)
    throw new Error(
      `${name.pair} do not belong together: the public key of that private key is ${derived}; ` +
        "set both halves of one pair (web-push generate-vapid-keys makes one)",
    );
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
  if (stored) return assertVapidKeys(stored, "stored");
  const generated = webPush.generateVAPIDKeys();
  await options.store.save(generated);
  // Another process may have saved first: everyone uses what the store holds.
  return assertVapidKeys((await options.store.load()) ?? generated, "stored");
}
