/**
 * Replaces a method of one request's object, such as a Hono context's `body`, `json`, `header` or
 * `set`, with a wrapper of its own (a middleware that watches what the route answers).
 *
 * Not by assignment (`c.body = (…) => …`): V8 keeps memory alive past young-generation collections for
 * a function literal stored into a property by assignment. Replacing `set` that way in one middleware
 * made every collection of the API under `GET /health/live` load keep ~1.4 MB, all of it promoted to
 * the old generation at the next one (`--trace-gc-nvp`), for requests long answered; without it,
 * ~0.1 MB. `npm run bench:closures` shows it without Hono: the same closure assigned from a variable,
 * or defined as here, keeps nothing. The property defined here has the attributes of an assigned one
 * (writable, enumerable, configurable).
 */
export function setOwnMethod<T extends object, K extends keyof T>(target: T, name: K, value: T[K]) {
  Object.defineProperty(target, name, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}
