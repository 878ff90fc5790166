import { describe, expect, it } from "vitest";
import { parseAllowlist } from "../../../../core/notify/address-policy.ts";
import { createOutboundGuard } from "../../ssrf.ts";
import { createPushSender } from "./push-sender.ts";
import { loadVapidKeys, memoryVapidKeyStore } from "./vapid-keys.ts";

describe("the push sender's VAPID token lifetime", () => {
  it("is refused at 24 h or more (RFC 8292: exp no more than 24 h ahead), accepted under it", async () => {
    const vapid = await loadVapidKeys({ store: memoryVapidKeyStore() });
    const sender = (jwtLifetimeS: number) =>
      createPushSender({
        vapid,
        subject: "mailto:ops@example.com",
        guard: createOutboundGuard({ allowlist: parseAllowlist("") }),
        jwtLifetimeS,
      });
    for (const lifetime of [24 * 3600, 24 * 3600 + 1, 60])
      expect(() => sender(lifetime), String(lifetime)).toThrow(/under 24 hours/);
    for (const lifetime of [61, 12 * 3600, 24 * 3600 - 1]) sender(lifetime).close();
  });
});
