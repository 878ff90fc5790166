import {
  type Context,
  type ContextManager,
  context,
  createTraceState,
  propagation,
  ROOT_CONTEXT,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { afterEach, describe, expect, it } from "vitest";
import { outboundTraceHeaders, outboundTraceparent } from "./traceparent.ts";

// A synchronous context manager: enough to make a context active inside `context.with`.
function stackContextManager(): ContextManager {
  const stack: Context[] = [];
  const manager: ContextManager = {
    active: () => stack.at(-1) ?? ROOT_CONTEXT,
    with(ctx, fn, thisArg, ...args) {
      stack.push(ctx);
      try {
        return fn.call(thisArg, ...args);
      } finally {
        stack.pop();
      }
    },
    bind: (_ctx, target) => target,
    enable: () => manager,
    disable: () => manager,
  };
  return manager;
}

const spanContext = {
  traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
  spanId: "00f067aa0ba902b7",
  traceFlags: TraceFlags.SAMPLED,
};

afterEach(() => {
  context.disable();
  propagation.disable();
});

describe("outbound traceparent", () => {
  it("generates an unsampled trace when no context is active", () => {
    const a = outboundTraceparent();
    expect(a).toMatch(/^00-[\da-f]{32}-[\da-f]{16}-00$/);
    expect(outboundTraceparent()).not.toBe(a);
  });

  it("continues the active span, with or without a registered propagator", () => {
    context.setGlobalContextManager(stackContextManager());
    const ctx = trace.setSpanContext(ROOT_CONTEXT, spanContext);
    const expected = `00-${spanContext.traceId}-${spanContext.spanId}-01`;
    expect(context.with(ctx, outboundTraceparent)).toBe(expected);
    // A registered propagator decides the header (it may add sampling or vendor state).
    const viaPropagator = `00-${spanContext.traceId}-${spanContext.spanId}-03`;
    propagation.setGlobalPropagator({
      inject: (_ctx, carrier, setter) => setter.set(carrier, "traceparent", viaPropagator),
      extract: (ctx) => ctx,
      fields: () => ["traceparent"],
    });
    expect(context.with(ctx, outboundTraceparent)).toBe(viaPropagator);
  });

  it("sends the active span's tracestate with its traceparent (W3C §3.3), with or without a propagator", () => {
    context.setGlobalContextManager(stackContextManager());
    const ctx = trace.setSpanContext(ROOT_CONTEXT, {
      ...spanContext,
      traceState: createTraceState("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"),
    });
    const expected = {
      traceparent: `00-${spanContext.traceId}-${spanContext.spanId}-01`,
      tracestate: "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
    };
    expect(context.with(ctx, outboundTraceHeaders)).toEqual(expected);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    expect(context.with(ctx, outboundTraceHeaders)).toEqual(expected);
    // No tracestate on the span, or a fresh trace: none sent.
    expect(
      context.with(trace.setSpanContext(ROOT_CONTEXT, spanContext), outboundTraceHeaders),
    ).toEqual({ traceparent: expected.traceparent });
    expect(outboundTraceHeaders()).not.toHaveProperty("tracestate");
  });
});
