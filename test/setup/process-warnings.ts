// kafkajs on Node >= 24 emits a harmless TimeoutNegativeWarning (kafkajs issue #1751); keep test
// output readable by routing warnings through the same filter the services use.
import { createLogger } from "../../core/observability/logger.ts";
import { logProcessWarnings } from "../../platform/lifecycle.ts";

logProcessWarnings(createLogger({ service: "test", level: "warn" }));
