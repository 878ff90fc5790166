/**
 * Registration checks of outbound URLs in request bodies, as the API's 400s: webhook URLs and push
 * endpoints (core/notify/registration.ts, with the allowlist and push hosts from the settings).
 */
import { checkOutboundUrl, checkPushEndpoint } from "../../core/notify/registration.ts";
import { invalidField } from "../errors/handler.ts";
import type { ApiSettings } from "../settings.ts";

/** The URL of a webhook endpoint, or a 400 at `path` saying why it is refused. */
export function webhookUrl(text: string, settings: ApiSettings, path = "body.url"): string {
  const checked = checkOutboundUrl(text, settings.NOTIFY_OUTBOUND_ALLOWLIST);
  if (!checked.ok) throw invalidField(path, `refused: ${checked.reason}`, "unsafe_url");
  return checked.url.href;
}

/** The endpoint of a push subscription, or a 400 at `path` saying why it is refused. */
export function pushEndpoint(text: string, settings: ApiSettings, path = "body.endpoint"): string {
  const checked = checkPushEndpoint(text, {
    allowlist: settings.NOTIFY_OUTBOUND_ALLOWLIST,
    pushHosts: settings.NOTIFY_PUSH_HOSTS,
  });
  if (!checked.ok) throw invalidField(path, `refused: ${checked.reason}`, "unsafe_url");
  return checked.url.href;
}
