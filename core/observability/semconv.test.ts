import { describe, expect, it } from "vitest";
import {
  authorityParts,
  httpClientRequestAttributes,
  httpClientResponseAttributes,
  httpServerRequestAttributes,
  httpServerResponseAttributes,
  httpServerSpanName,
  kafkaConsumerAttributes,
  kafkaConsumerSpanName,
  redactedUrl,
} from "./semconv.ts";

describe("HTTP server spans", () => {
  it("records a known method as it is, any other as _OTHER with the original", () => {
    for (const m of [
      "GET",
      "HEAD",
      "POST",
      "PUT",
      "DELETE",
      "CONNECT",
      "OPTIONS",
      "TRACE",
      "PATCH",
    ])
      expect(httpServerRequestAttributes(m, new URL("http://a/"), "a")).toMatchObject({
        "http.request.method": m,
      });
    const other = httpServerRequestAttributes("PROPFIND", new URL("http://a/x"), "a");
    expect(other).toMatchObject({
      "http.request.method": "_OTHER",
      "http.request.method_original": "PROPFIND",
    });
    // Methods are case-sensitive: "get" is not GET.
    expect(httpServerRequestAttributes("get", new URL("http://a/"), "a")).toMatchObject({
      "http.request.method": "_OTHER",
      "http.request.method_original": "get",
    });
    expect(httpServerRequestAttributes("GET", new URL("http://a/"), "a")).not.toHaveProperty(
      "http.request.method_original",
    );
  });

  it("names the span {method} {route}, HTTP for an unknown method, no route when none matched", () => {
    expect(httpServerSpanName("GET", "/v1/me")).toBe("GET /v1/me");
    expect(httpServerSpanName("GET", undefined)).toBe("GET");
    expect(httpServerSpanName("PROPFIND", "/v1/me")).toBe("HTTP /v1/me");
    expect(httpServerSpanName("PURGE", undefined)).toBe("HTTP");
  });

  it("takes server.address and server.port from the Host, url.scheme and url.path from the URL", () => {
    const url = new URL("https://api.example.com:8443/v1/me?x=1");
    expect(httpServerRequestAttributes("GET", url, "api.example.com:8443")).toEqual({
      "http.request.method": "GET",
      "url.scheme": "https",
      "url.path": "/v1/me",
      "server.address": "api.example.com",
      "server.port": 8443,
    });
    // No port in the Host: none recorded.
    const plain = httpServerRequestAttributes("GET", new URL("http://h/x"), "h");
    expect(plain).toMatchObject({ "url.scheme": "http", "server.address": "h" });
    expect(plain).not.toHaveProperty("server.port");
    expect(
      httpServerRequestAttributes("GET", new URL("http://[::1]:3000/"), "[::1]:3000"),
    ).toMatchObject({ "server.address": "::1", "server.port": 3000 });
    // No Host header: the URL's host. A Host that is no authority is not recorded.
    expect(httpServerRequestAttributes("GET", new URL("http://h:81/"), undefined)).toMatchObject({
      "server.address": "h",
      "server.port": 81,
    });
    expect(httpServerRequestAttributes("GET", new URL("http://h/"), "a b")).not.toHaveProperty(
      "server.address",
    );
  });

  it("sets http.route only for a matched route, error.type for a 5xx", () => {
    expect(httpServerResponseAttributes("/v1/me", 200)).toEqual({
      "http.route": "/v1/me",
      "http.response.status_code": 200,
    });
    expect(httpServerResponseAttributes(undefined, 404)).toEqual({
      "http.response.status_code": 404,
    });
    expect(httpServerResponseAttributes("/v1/me", 503)).toMatchObject({ "error.type": "503" });
  });

  it("splits authorities", () => {
    expect(authorityParts("example.com")).toEqual({ address: "example.com" });
    expect(authorityParts("example.com:80")).toEqual({ address: "example.com", port: 80 });
    expect(authorityParts("[2001:db8::1]:443")).toEqual({ address: "2001:db8::1", port: 443 });
    expect(authorityParts("example.com:99999")).toBeUndefined();
    expect(authorityParts("user@example.com")).toBeUndefined();
    expect(authorityParts("")).toBeUndefined();
  });
});

describe("HTTP client spans (webhooks)", () => {
  it("records the method, a redacted url.full, server.address and server.port", () => {
    expect(
      httpClientRequestAttributes(
        "POST",
        "https://user:pw@hooks.example.com/services/T0/B0/secret?token=s",
      ),
    ).toEqual({
      "http.request.method": "POST",
      "url.full": "https://hooks.example.com/REDACTED?REDACTED",
      "server.address": "hooks.example.com",
      "server.port": 443,
    });
    expect(httpClientRequestAttributes("POST", "http://127.0.0.1:9000/")).toEqual({
      "http.request.method": "POST",
      "url.full": "http://127.0.0.1:9000/",
      "server.address": "127.0.0.1",
      "server.port": 9000,
    });
    expect(httpClientRequestAttributes("POST", "http://[::1]/hook")).toMatchObject({
      "url.full": "http://[::1]/REDACTED",
      "server.address": "::1",
      "server.port": 80,
    });
    expect(httpClientRequestAttributes("POST", "not a url")).toEqual({
      "http.request.method": "POST",
    });
  });

  it("never keeps userinfo, path or query in url.full", () => {
    const full = redactedUrl("https://alice:hunter2@x.example/a/b?sig=abc#frag") as string;
    for (const secret of ["alice", "hunter2", "/a/b", "sig", "abc", "frag"])
      expect(full).not.toContain(secret);
  });

  it("records the status, and error.type for 4xx/5xx or an unanswered failure", () => {
    expect(httpClientResponseAttributes(204, undefined)).toEqual({
      "http.response.status_code": 204,
    });
    expect(httpClientResponseAttributes(503, "server_error")).toEqual({
      "http.response.status_code": 503,
      "error.type": "503",
    });
    expect(httpClientResponseAttributes(undefined, "timeout")).toEqual({ "error.type": "timeout" });
    expect(httpClientResponseAttributes(undefined, undefined)).toEqual({});
  });
});

describe("Kafka consumer spans", () => {
  const consumed = { topic: "telemetry.requests.v1", partition: 2, consumerGroup: "g" };
  it("names spans {operation} {topic}", () => {
    expect(kafkaConsumerSpanName("process", "telemetry.requests.v1")).toBe(
      "process telemetry.requests.v1",
    );
    expect(kafkaConsumerSpanName("receive", "t")).toBe("receive t");
  });

  it("uses the stable messaging attributes, the partition id as a string", () => {
    expect(kafkaConsumerAttributes("receive", consumed, 17)).toEqual({
      "messaging.system": "kafka",
      "messaging.operation.type": "receive",
      "messaging.operation.name": "receive",
      "messaging.destination.name": "telemetry.requests.v1",
      "messaging.destination.partition.id": "2",
      "messaging.consumer.group.name": "g",
      "messaging.batch.message_count": 17,
    });
    const process = kafkaConsumerAttributes("process", consumed);
    expect(process).toMatchObject({ "messaging.operation.type": "process" });
    expect(process).not.toHaveProperty("messaging.batch.message_count");
    expect(process).not.toHaveProperty("messaging.kafka.partition");
  });
});
