/**
 * Real loopback receivers for the notification suites: a webhook receiver that verifies every
 * request with the independent `standardwebhooks` package, and an HTTPS Web Push service (self-signed
 * certificate from the openssl CLI) that decrypts with `http_ece` and verifies the VAPID JWT itself.
 */
import { execFileSync } from "node:child_process";
import { createECDH, createPublicKey, type ECDH, randomBytes, verify } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ece from "http_ece";
import { Webhook } from "standardwebhooks";

export interface ReceivedWebhook {
  id: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Secrets (by index into the receiver's list) whose verification passed. */
  verifiedWith: number[];
}

export type Reply = (
  req: ReceivedWebhook,
  n: number,
) => {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Never answer (the sender's deadline runs out). */
  hang?: boolean;
};

export interface WebhookReceiver {
  url: string;
  port: number;
  received: ReceivedWebhook[];
  /** Requests whose signature no secret verified. */
  rejected: number;
  close(): Promise<void>;
}

export async function startWebhookReceiver(
  secrets: string[],
  reply: Reply = () => ({ status: 204 }),
): Promise<WebhookReceiver> {
  const verifiers = secrets.map((s) => new Webhook(s));
  const received: ReceivedWebhook[] = [];
  const hanging = new Set<http.ServerResponse>();
  const state = { rejected: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = req.headers as Record<string, string>;
      const verifiedWith: number[] = [];
      verifiers.forEach((v, i) => {
        try {
          v.verify(body, headers);
          verifiedWith.push(i);
        } catch {}
      });
      if (verifiedWith.length === 0) state.rejected++;
      const entry = {
        id: String(req.headers["webhook-id"]),
        headers: req.headers,
        body,
        verifiedWith,
      };
      received.push(entry);
      const r = reply(entry, received.length);
      if (r.hang) {
        hanging.add(res);
        return;
      }
      res.writeHead(r.status, r.headers);
      res.end(r.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    get rejected() {
      return state.rejected;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A browser's push subscription keys: P-256 ECDH pair and a 16-byte auth secret. */
export interface Subscriber {
  ecdh: ECDH;
  authSecret: Buffer;
  keys: { p256dh: string; auth: string };
}

export function newSubscriber(): Subscriber {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const authSecret = randomBytes(16);
  return {
    ecdh,
    authSecret,
    keys: {
      p256dh: ecdh.getPublicKey().toString("base64url"),
      auth: authSecret.toString("base64url"),
    },
  };
}

export interface ReceivedPush {
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Decrypted with the subscriber's keys. */
  plaintext: string;
  jwt: { header: Record<string, unknown>; claims: Record<string, unknown>; k: string };
}

export interface PushService {
  origin: string;
  port: number;
  ca: string;
  received: ReceivedPush[];
  /** Messages refused: bad JWT, or undecryptable. */
  errors: string[];
  close(): Promise<void>;
}

/** Self-signed certificate for `hostname` and 127.0.0.1, made by the openssl CLI. */
export function selfSignedCertificate(hostname: string): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "gridpulse-push-cert-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
        "-days",
        "2",
        "-subj",
        `/CN=${hostname}`,
        "-addext",
        `subjectAltName=DNS:${hostname},IP:127.0.0.1`,
      ],
      { stdio: "ignore" },
    );
    return {
      key: readFileSync(join(dir, "key.pem"), "utf8"),
      cert: readFileSync(join(dir, "cert.pem"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Verifies `Authorization: vapid t=<JWT>, k=<key>` (RFC 8292): ES256 over the JWT with the key in
 * `k`, which must be `vapidPublicKey`. Returns the decoded JWT or throws with the reason.
 */
export function verifyVapid(authorization: string | undefined, vapidPublicKey: string) {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization ?? "");
  if (!m) throw new Error("no vapid authorization");
  const [, token, k] = m as unknown as [string, string, string];
  if (k !== vapidPublicKey) throw new Error("k is not the VAPID public key");
  const [h, p, s] = token.split(".");
  if (!h || !p || !s) throw new Error("malformed JWT");
  const point = Buffer.from(k, "base64url");
  const key = createPublicKey({
    key: {
      kty: "EC",
      crv: "P-256",
      x: point.subarray(1, 33).toString("base64url"),
      y: point.subarray(33, 65).toString("base64url"),
    },
    format: "jwk",
  });
  const ok = verify(
    "sha256",
    Buffer.from(`${h}.${p}`),
    { key, dsaEncoding: "ieee-p1363" },
    Buffer.from(s, "base64url"),
  );
  if (!ok) throw new Error("JWT signature does not verify");
  const header = JSON.parse(Buffer.from(h, "base64url").toString());
  if (header.alg !== "ES256") throw new Error(`alg ${header.alg}`);
  return { header, claims: JSON.parse(Buffer.from(p, "base64url").toString()), k };
}

export async function startPushService(options: {
  hostname: string;
  vapidPublicKey: string;
  /** Subscribers by endpoint path. */
  subscribers: Map<string, Subscriber>;
  reply?: (path: string, n: number) => { status: number; headers?: Record<string, string> };
}): Promise<PushService> {
  const { key, cert } = selfSignedCertificate(options.hostname);
  const received: ReceivedPush[] = [];
  const errors: string[] = [];
  let n = 0;
  const server = https.createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      n++;
      const path = req.url ?? "";
      const r = options.reply?.(path, n) ?? { status: 201 };
      try {
        const jwt = verifyVapid(req.headers.authorization, options.vapidPublicKey);
        const sub = options.subscribers.get(path);
        if (!sub) throw new Error(`no subscriber at ${path}`);
        if (req.headers["content-encoding"] !== "aes128gcm") throw new Error("not aes128gcm");
        const plaintext = ece
          .decrypt(Buffer.concat(chunks), {
            version: "aes128gcm",
            privateKey: sub.ecdh,
            authSecret: sub.authSecret.toString("base64url"),
          })
          .toString("utf8");
        received.push({ path, headers: req.headers, plaintext, jwt });
        res.writeHead(r.status, r.headers);
      } catch (error) {
        errors.push((error as Error).message);
        res.writeHead(400);
      }
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `https://${options.hostname}:${port}`,
    port,
    ca: cert,
    received,
    errors,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
