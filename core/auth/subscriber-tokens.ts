/**
 * Subscriber tokens: `gps_` + 43 base62 characters (256 bits), shown once at creation and stored only
 * as a SHA-256 digest (the same digest as API keys: random secrets leave nothing to brute-force). They
 * never match the API-key pattern, so a subscriber token is refused by every API-key route.
 */
import { randomBase62 } from "./ids.ts";

export const subscriberTokenPrefix = "gps_";
export const subscriberTokenPattern = /^gps_[0-9A-Za-z]{43}$/;
/** Characters kept in clear for listings (`gps_` and 6 more). */
export const subscriberTokenVisibleLength = 10;

export function generateSubscriberToken(): { token: string; start: string } {
  const token = `${subscriberTokenPrefix}${randomBase62(43)}`;
  return { token, start: token.slice(0, subscriberTokenVisibleLength) };
}

/** Default and longest lifetime of a subscriber token. */
export const subscriberTokenDefaultLifetimeMs = 90 * 24 * 3_600_000;
export const subscriberTokenMaxLifetimeMs = 366 * 24 * 3_600_000;
