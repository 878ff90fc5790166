// The subscriber's state in IndexedDB, shared by the page and the service worker (which cannot
// read localStorage): the subscriber token and the push subscription this browser registered.
// biome-ignore lint/correctness/noUnusedVariables: a classic-script global for app.js and sw.js
const gridpulseStore = (() => {
  const open = () =>
    new Promise((resolve, reject) => {
      const request = indexedDB.open("gridpulse-subscriber", 1);
      request.onupgradeneeded = () => request.result.createObjectStore("state");
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  const run = async (mode, work) => {
    const db = await open();
    try {
      return await new Promise((resolve, reject) => {
        const tx = db.transaction("state", mode);
        const request = work(tx.objectStore("state"));
        tx.oncomplete = () => resolve(request.result);
        tx.onerror = () => reject(tx.error);
      });
    } finally {
      db.close();
    }
  };
  return {
    get: (key) => run("readonly", (store) => store.get(key)),
    set: (key, value) => run("readwrite", (store) => store.put(value, key)),
    delete: (key) => run("readwrite", (store) => store.delete(key)),
  };
})();

// The API as a subscriber token may call it: JSON in and out, errors as { status, code, reason }.
// biome-ignore lint/correctness/noUnusedVariables: a classic-script global for app.js and sw.js
async function gridpulseCall(path, token, init = {}) {
  const headers = { Authorization: `Bearer ${token}` };
  if (init.json !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`/v1/subscriber${path}`, {
    method: init.method ?? "GET",
    headers,
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error(body?.error?.message ?? `HTTP ${response.status}`);
    error.status = response.status;
    error.code = body?.error?.code;
    error.reason = body?.error?.details?.reason;
    throw error;
  }
  return body;
}
