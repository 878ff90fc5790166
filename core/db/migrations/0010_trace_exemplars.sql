CREATE TABLE `trace_exemplars` (
	`service` text NOT NULL,
	`route` text NOT NULL,
	`traceparent` text NOT NULL,
	`at_ms` integer NOT NULL,
	PRIMARY KEY(`service`, `route`)
);
