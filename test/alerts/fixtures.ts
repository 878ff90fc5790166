/** Rows and traffic for the alert integration tests, stored as the API and clients would. */
import type { Producer } from "kafkajs";
import type { Notification } from "../../core/alerts/index.ts";
import type { OutboxRow } from "../../core/db/schema/index.ts";
import type { RequestEventInput } from "../../core/events/request-event.ts";

export type AlertPayload = { type: "alert"; notification: Notification };
export const notificationOf = (row: OutboxRow) => (row.payload as AlertPayload).notification;
export const lists = (row: OutboxRow, test: (labels: Record<string, string>) => boolean) =>
  notificationOf(row).alerts.some((a) => test(a.labels));

/** `count` requests of `service` with `status`, one per millisecond from `startMs`. */
export const requests = (service: string, count: number, status: number, startMs: number) =>
  Array.from(
    { length: count },
    (_, i): RequestEventInput => ({
      id: `${service}-${status}-${startMs}-${i}`,
      ts: startMs + i,
      service,
      route: "/v1/things",
      method: "GET",
      status,
      durationMs: 12,
    }),
  );

/** Produces RequestEvents keyed by service, in requests the broker accepts (1,000 events each). */
export async function sendRequests(producer: Producer, topic: string, events: RequestEventInput[]) {
  for (let i = 0; i < events.length; i += 1000) {
    await producer.send({
      topic,
      messages: events
        .slice(i, i + 1000)
        .map((e) => ({ key: e.service, value: JSON.stringify(e) })),
    });
  }
}
