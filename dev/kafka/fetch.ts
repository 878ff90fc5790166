/** `npm run setup` step: fetches (first run) or checks (later runs) the Apache Kafka broker jars. */
import { kafkaVersion, resolveKafkaClasspath } from "./classpath.ts";

const { classpath, source, durationMs } = await resolveKafkaClasspath();
const jars = classpath.split(":").length;
const how = source === "maven" ? "fetched through Maven" : "cached";
console.log(
  `setup: Apache Kafka ${kafkaVersion} broker: ${jars} jars ${how} (${Math.round(durationMs)} ms)`,
);
