CREATE TABLE `request_hours` (
	`service` text NOT NULL,
	`route` text NOT NULL,
	`total` integer NOT NULL,
	`good` integer NOT NULL,
	`good_within` text NOT NULL,
	`histogram` text NOT NULL,
	`updated_at_ms` integer NOT NULL,
	`bucket_start_ms` integer NOT NULL,
	PRIMARY KEY(`service`, `route`, `bucket_start_ms`)
);
--> statement-breakpoint
CREATE INDEX `request_hours_service_time_idx` ON `request_hours` (`service`,`bucket_start_ms`);--> statement-breakpoint
CREATE TABLE `request_minutes` (
	`service` text NOT NULL,
	`route` text NOT NULL,
	`total` integer NOT NULL,
	`good` integer NOT NULL,
	`good_within` text NOT NULL,
	`histogram` text NOT NULL,
	`updated_at_ms` integer NOT NULL,
	`bucket_start_ms` integer NOT NULL,
	PRIMARY KEY(`service`, `route`, `bucket_start_ms`)
);
--> statement-breakpoint
CREATE INDEX `request_minutes_service_time_idx` ON `request_minutes` (`service`,`bucket_start_ms`);--> statement-breakpoint
CREATE TABLE `slos` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`service` text NOT NULL,
	`routes` text NOT NULL,
	`sli` text NOT NULL,
	`objective` real NOT NULL,
	`window` text NOT NULL,
	`tiers` text NOT NULL,
	`min_events` integer NOT NULL,
	`created_at_ms` integer NOT NULL,
	`updated_at_ms` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `slos_tenant_idx` ON `slos` (`tenant_id`,`created_at_ms`);--> statement-breakpoint
CREATE INDEX `slos_service_idx` ON `slos` (`service`);