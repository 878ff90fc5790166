export { knownPushHosts, pushHostAllowed } from "../../../../core/notify/push-hosts.ts";
