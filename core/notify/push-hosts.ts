/**
 * Push services gridpulse sends to: the browsers' known services plus configured ones
 * (`NOTIFY_PUSH_HOSTS`, for self-hosted services and tests). `*.example.com` matches subdomains only.
 */
export const knownPushHosts: readonly string[] = [
  "fcm.googleapis.com", // Chrome, Edge on Android, Opera…
  "updates.push.services.mozilla.com", // Firefox
  "web.push.apple.com", // Safari
  "*.notify.windows.com", // Edge on Windows (WNS)
];

export function pushHostAllowed(hostname: string, patterns: readonly string[]): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  return patterns.some((pattern) => {
    const p = pattern.toLowerCase();
    return p.startsWith("*.")
      ? host.endsWith(p.slice(1)) && host.length > p.length - 1
      : host === p;
  });
}
