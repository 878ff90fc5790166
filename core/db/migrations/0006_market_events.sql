CREATE TABLE `market_events` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`ts_ms` integer NOT NULL,
	`carrier` text,
	`region` text,
	`regions` text,
	`program` text,
	`event` text NOT NULL,
	`topic` text NOT NULL,
	`partition` integer NOT NULL,
	`offset` text NOT NULL,
	`received_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `market_events_ts_idx` ON `market_events` (`ts_ms`,`id`);--> statement-breakpoint
CREATE INDEX `market_events_kind_ts_idx` ON `market_events` (`kind`,`ts_ms`,`id`);--> statement-breakpoint
CREATE INDEX `market_events_price_ts_idx` ON `market_events` (`carrier`,`region`,`ts_ms`,`id`);--> statement-breakpoint
CREATE TABLE `subsidy_programs` (
	`program` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`ts_ms` integer NOT NULL,
	`regions` text,
	`min_class_jump` integer,
	`max_subsidy_pct` real,
	`max_budget_eur` real,
	`opens_at_ms` integer,
	`closes_at_ms` integer,
	`url` text,
	`updated_at_ms` integer NOT NULL
);
