// Starts a local broker on the data dir given as argument, prints its pid and address, and waits to
// be killed: the orphan test kills this process with SIGKILL and watches the JVM go away with it.
import { createLogger } from "../../core/observability/logger.ts";
import { startKafkaBroker } from "../../dev/kafka/broker.ts";
import { logProcessWarnings } from "../../platform/lifecycle.ts";

logProcessWarnings(createLogger({ service: "broker-child", level: "warn" }));

const broker = await startKafkaBroker({ dataDir: process.argv[2] as string, heapMb: 512 });
console.log(JSON.stringify({ pid: broker.pid, brokers: broker.brokers }));
setInterval(() => {}, 60_000);
