// The subscriber page: reads the subscribe link's token, registers the service worker, subscribes
// this browser within the filters the link allows, lists the link's subscriptions, sends a test,
// unsubscribes, and shows (and acknowledges) an alert opened from a notification. No framework.
(() => {
  const $ = (id) => document.getElementById(id);
  const status = (text, isError = false) => {
    $("status").textContent = text;
    $("status").classList.toggle("error", isError);
  };
  const known = {
    severities: ["page", "ticket", "info"],
    marketKinds: ["price", "subsidy", "regulation"],
  };
  const reasons = {
    expired: "This subscribe link has expired. Ask your gridpulse administrator for a new one.",
    revoked: "This subscribe link was revoked. Ask your gridpulse administrator for a new one.",
    invalid: "This subscribe link is not valid. Check that you opened the whole link.",
  };
  const state = { token: null, me: null, registration: null, subscriptionId: null, alertId: null };

  const base64UrlToBytes = (text) => {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  };

  /**
   * Whether a browser subscription was made with the served VAPID key: a subscription is bound to the
   * key it was made with (RFC 8292 §4), so after a key change the push service refuses what the new
   * key signs, and the browser must subscribe again.
   */
  const madeWithKey = (subscription, vapidPublicKey) => {
    const held = subscription.options?.applicationServerKey;
    if (!held) return false;
    const a = new Uint8Array(held);
    const b = base64UrlToBytes(vapidPublicKey);
    return a.length === b.length && a.every((v, i) => v === b[i]);
  };

  const call = (path, init) =>
    gridpulseCall(path, state.token, init).catch((error) => {
      if (error.status === 401) {
        status(reasons[error.reason] ?? reasons.invalid, true);
        for (const id of ["setup", "current", "alert"]) $(id).hidden = true;
      }
      throw error;
    });

  async function readToken() {
    const fromLink = new URLSearchParams(location.hash.slice(1)).get("token");
    if (fromLink) {
      await gridpulseStore.set("token", fromLink);
      // The token leaves the address bar (and history) once stored.
      history.replaceState(null, "", location.pathname);
      return fromLink;
    }
    return gridpulseStore.get("token");
  }

  function renderFilters(bounds) {
    for (const key of ["severities", "marketKinds", "slos", "regions"]) {
      const fieldset = $(`filter-${key}`);
      const allowed = bounds[key]?.length ? bounds[key] : known[key];
      for (const old of fieldset.querySelectorAll("label")) old.remove();
      if (!allowed) {
        // Open criterion without a known list: free text, comma-separated.
        const label = document.createElement("label");
        const input = document.createElement("input");
        input.type = "text";
        input.name = key;
        input.placeholder = "comma-separated; empty: any";
        input.setAttribute("aria-label", fieldset.querySelector("legend").textContent);
        label.append(input);
        fieldset.append(label);
        continue;
      }
      for (const value of allowed) {
        const label = document.createElement("label");
        const box = document.createElement("input");
        box.type = "checkbox";
        box.name = key;
        box.value = value;
        label.append(box, value);
        fieldset.append(label);
      }
    }
  }

  function chosenFilters() {
    const filters = {};
    for (const key of ["severities", "marketKinds", "slos", "regions"]) {
      const inputs = [...document.querySelectorAll(`#filter-${key} input`)];
      const values = inputs.flatMap((input) =>
        input.type === "checkbox"
          ? input.checked
            ? [input.value]
            : []
          : input.value
              .split(",")
              .map((v) => v.trim())
              .filter(Boolean),
      );
      if (values.length > 0) filters[key] = values;
    }
    return filters;
  }

  const describe = (filters) => {
    const parts = Object.entries(filters)
      .filter(([, values]) => values?.length)
      .map(([key, values]) => `${key}: ${values.join(", ")}`);
    return parts.length > 0 ? parts.join("; ") : "everything";
  };

  /** Lists the token's subscriptions, and returns the browser's own push subscription (or null). */
  async function refreshSubscriptions() {
    const [{ data }, browserSubscription] = await Promise.all([
      call("/subscriptions"),
      state.registration.pushManager.getSubscription(),
    ]);
    const mine = data.find((s) => s.endpoint === browserSubscription?.endpoint);
    state.subscriptionId = mine?.id ?? null;
    const list = $("subscriptions");
    list.replaceChildren();
    for (const s of data) {
      const item = document.createElement("li");
      item.append(`${describe(s.filters)} — since ${new Date(s.createdAt).toLocaleString()} `);
      if (s.id === state.subscriptionId) {
        const badge = document.createElement("span");
        badge.className = "badge";
        badge.textContent = "this device";
        item.append(badge);
      } else {
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "secondary";
        remove.textContent = "Remove";
        remove.setAttribute("aria-label", `Remove the subscription since ${s.createdAt}`);
        remove.addEventListener("click", async () => {
          await call(`/subscriptions/${s.id}`, { method: "DELETE" });
          await refreshSubscriptions();
        });
        item.append(remove);
      }
      list.append(item);
    }
    if (data.length === 0)
      list.append(
        Object.assign(document.createElement("li"), {
          textContent: "None yet.",
        }),
      );
    $("current").hidden = false;
    $("test").disabled = !state.subscriptionId;
    $("unsubscribe").disabled = !state.subscriptionId;
    $("subscribe").textContent = state.subscriptionId ? "Update this device" : "Notify this device";
    return browserSubscription;
  }

  async function subscribe(event) {
    event.preventDefault();
    const permission = await Notification.requestPermission();
    if (permission !== "granted") {
      status("Notifications are blocked for this site; allow them in the browser settings.", true);
      return;
    }
    const { pushManager } = state.registration;
    // The row this browser registered before (it matches the browser's subscription, or the last one
    // stored): a new subscription takes its place in one request (the API deletes it, no cap counts it).
    const replaces =
      state.subscriptionId ?? (await gridpulseStore.get("subscription"))?.id ?? undefined;
    let subscription = await pushManager.getSubscription();
    if (subscription && !madeWithKey(subscription, state.me.vapidPublicKey)) {
      await subscription.unsubscribe();
      subscription = null;
    }
    subscription ??= await pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: base64UrlToBytes(state.me.vapidPublicKey),
    });
    const json = subscription.toJSON();
    const filters = chosenFilters();
    const saved = await call("/subscriptions", {
      method: "POST",
      json: {
        endpoint: json.endpoint,
        keys: json.keys,
        filters,
        ...(replaces ? { replaces } : {}),
      },
    });
    await gridpulseStore.set("subscription", { id: saved.id, filters });
    status(`This device is notified of ${describe(saved.filters)}.`);
    await refreshSubscriptions();
  }

  async function unsubscribe() {
    const subscription = await state.registration.pushManager.getSubscription();
    if (state.subscriptionId)
      await call(`/subscriptions/${state.subscriptionId}`, { method: "DELETE" });
    await subscription?.unsubscribe();
    await gridpulseStore.delete("subscription");
    status("This device is no longer notified.");
    await refreshSubscriptions();
  }

  async function sendTest() {
    await call(`/subscriptions/${state.subscriptionId}/test`, { method: "POST" });
    status("A test notification is on its way.");
  }

  async function showAlert(id) {
    const alert = await call(`/alerts/${id}`);
    const name = alert.labels.alertname ?? "Alert";
    const acked = alert.acknowledgedAt
      ? `acknowledged ${new Date(alert.acknowledgedAt).toLocaleString()}`
      : "not acknowledged";
    $("alert-title").textContent = name;
    $("alert-text").textContent =
      `${alert.annotations.summary ?? ""} Status: ${alert.status}, ${acked}.`.trim();
    $("alert-ack").hidden = alert.status === "resolved" || Boolean(alert.acknowledgedAt);
    $("alert-ack").onclick = async () => {
      await call(`/alerts/${id}/acknowledge`, { method: "POST" });
      await showAlert(id);
    };
    $("alert").hidden = false;
  }

  async function main() {
    if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
      const ios = /iPhone|iPad/.test(navigator.userAgent);
      $("install-hint").hidden = !ios;
      status(
        ios
          ? "Add this page to your home screen to receive notifications."
          : "This browser cannot receive push notifications.",
        true,
      );
      return;
    }
    state.alertId = alertInAddress();
    state.token = await readToken();
    if (!state.token) {
      status("Open the subscribe link your gridpulse administrator gave you.", true);
      return;
    }
    state.registration = await navigator.serviceWorker.register("sw.js", { scope: "./" });
    state.me = await call("");
    $("token-info").textContent =
      `Link "${state.me.name}", valid until ${new Date(state.me.expiresAt).toLocaleDateString()}. ` +
      `It allows ${describe(state.me.filters)}.`;
    renderFilters(state.me.filters);
    $("setup").hidden = false;
    const current = await refreshSubscriptions();
    if (!state.subscriptionId) status("Choose what to hear about, then allow notifications.");
    else if (current && !madeWithKey(current, state.me.vapidPublicKey))
      status(
        "gridpulse's notification key changed: press “Update this device” to keep receiving notifications.",
        true,
      );
    else status("This device is notified.");
    if (state.alertId) await showAlert(state.alertId);
  }

  /**
   * The alert id in the address (`#alert=…`, where a notification click opens the page), taken out of
   * it so that a later click on the same alert changes the address again.
   */
  function alertInAddress() {
    const params = new URLSearchParams(location.hash.slice(1));
    const id = params.get("alert");
    if (id) {
      params.delete("alert");
      const rest = params.toString();
      history.replaceState(null, "", location.pathname + (rest ? `#${rest}` : ""));
    }
    return id;
  }

  // A click on a notification while the page is open changes only the hash: show that alert (or,
  // while the page still loads, once it has).
  window.addEventListener("hashchange", () => {
    const id = alertInAddress();
    if (!id) return;
    state.alertId = id;
    if (state.me)
      showAlert(id).catch((error) => status(`Could not show the alert: ${error.message}`, true));
  });

  $("subscribe-form").addEventListener("submit", (event) =>
    subscribe(event).catch((error) => status(`Could not subscribe: ${error.message}`, true)),
  );
  $("unsubscribe").addEventListener("click", () =>
    unsubscribe().catch((error) => status(`Could not unsubscribe: ${error.message}`, true)),
  );
  $("test").addEventListener("click", () =>
    sendTest().catch((error) => status(`Could not send a test: ${error.message}`, true)),
  );
  main().catch((error) => {
    if (error.status !== 401) status(`Something went wrong: ${error.message}`, true);
  });
})();
