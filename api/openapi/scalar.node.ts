/**
 * Node only: the Scalar API reference bundle (`@scalar/api-reference`'s standalone build), read once
 * from node_modules and served by the API itself at /docs/scalar.js: no CDN, no third-party request.
 */
import { readFile } from "node:fs/promises";

const bundlePath = new URL(
  "../../node_modules/@scalar/api-reference/dist/browser/standalone.js",
  import.meta.url,
);

export function scalarBundle(): () => Promise<Uint8Array<ArrayBuffer>> {
  let bundle: Promise<Uint8Array<ArrayBuffer>> | undefined;
  return () => {
    bundle ??= readFile(bundlePath).then((b) => new Uint8Array(b));
    bundle.catch(() => {
      bundle = undefined;
    });
    return bundle;
  };
}
