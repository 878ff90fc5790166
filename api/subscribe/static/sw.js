// The subscriber's service worker: shows alert notifications from push messages, acknowledges
// through the API with the subscriber token (or opens the alert on the page), and re-registers the
// subscription when the push service replaces it.
importScripts("store.js");

const severityLabel = { page: "PAGE", ticket: "TICKET", info: "INFO" };

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

/** The notification for a push message's payload (core/notify/push-message.ts). */
function notificationOf(message) {
  const severity = message.severity ?? "info";
  const alerts = Array.isArray(message.alerts) ? message.alerts : [];
  const actions =
    message.status === "firing" && alerts.length > 0
      ? [
          { action: "acknowledge", title: "Acknowledge" },
          { action: "open", title: "Open" },
        ]
      : [{ action: "open", title: "Open" }];
  return {
    title: `${severityLabel[severity] ?? severity.toUpperCase()} · ${message.title ?? "gridpulse"}`,
    options: {
      body: message.body ?? "",
      // Repeats of the same alert group replace each other; pages alert again when they do.
      tag: message.fingerprint ?? "gridpulse",
      renotify: severity === "page",
      requireInteraction: severity === "page",
      timestamp: Date.parse(message.ts) || Date.now(),
      icon: "icon-192.png",
      badge: "badge.png",
      actions,
      data: { alerts, status: message.status, severity },
    },
  };
}

self.addEventListener("push", (event) => {
  let message;
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = { title: "gridpulse", body: event.data?.text() ?? "" };
  }
  const { title, options } = notificationOf(message);
  event.waitUntil(self.registration.showNotification(title, options));
});

/** Acknowledges every alert the notification listed; false when one could not be. */
async function acknowledge(alerts) {
  const token = await gridpulseStore.get("token");
  if (!token) return false;
  let ok = true;
  for (const id of alerts) {
    try {
      await gridpulseCall(`/alerts/${id}/acknowledge`, token, { method: "POST" });
    } catch (error) {
      // 409: resolved meanwhile, nothing left to acknowledge.
      if (error.status !== 409) ok = false;
    }
  }
  return ok;
}

async function openPage(alerts) {
  const url = new URL(alerts.length > 0 ? `./#alert=${alerts[0]}` : "./", self.registration.scope);
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const open = windows.find((w) => w.url.startsWith(self.registration.scope));
  if (open) {
    // Only the hash changes: the open page shows the alert on `hashchange`, without reloading.
    await open.navigate(url.href).catch(() => {});
    // Focusing needs the click's user activation; without it the page still shows the alert.
    return open.focus().catch(() => open);
  }
  return self.clients.openWindow(url.href);
}

/** What a click on the notification (or one of its actions) does. */
async function notificationClicked(data, action) {
  const alerts = data?.alerts ?? [];
  if (action === "acknowledge" && (await acknowledge(alerts))) return;
  await openPage(alerts);
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(notificationClicked(event.notification.data, event.action));
});

/**
 * The push service replaced the subscription: register the new one in the old one's place. One
 * request names the row it replaces (`replaces`): the API deletes that row as it registers the new
 * one, in one transaction, and counts it in no cap, so a token at its `maxSubscriptions` keeps working.
 */
async function resubscribe(event) {
  const token = await gridpulseStore.get("token");
  const saved = await gridpulseStore.get("subscription");
  if (!token || !saved) return;
  let subscription = event.newSubscription;
  if (!subscription) {
    const { vapidPublicKey } = await gridpulseCall("", token);
    const base64 = vapidPublicKey.replace(/-/g, "+").replace(/_/g, "/");
    const key = Uint8Array.from(atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4)), (c) =>
      c.charCodeAt(0),
    );
    subscription = await self.registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: key,
    });
  }
  const json = subscription.toJSON();
  const created = await gridpulseCall("/subscriptions", token, {
    method: "POST",
    json: { endpoint: json.endpoint, keys: json.keys, filters: saved.filters, replaces: saved.id },
  });
  await gridpulseStore.set("subscription", { id: created.id, filters: saved.filters });
}

self.addEventListener("pushsubscriptionchange", (event) => event.waitUntil(resubscribe(event)));
