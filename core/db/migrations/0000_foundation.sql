CREATE TABLE `consumer_offsets` (
	`consumer_group` text NOT NULL,
	`topic` text NOT NULL,
	`partition` integer NOT NULL,
	`next_offset` text NOT NULL,
	`updated_at_ms` integer NOT NULL,
	PRIMARY KEY(`consumer_group`, `topic`, `partition`)
);
--> statement-breakpoint
CREATE TABLE `tenants` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at_ms` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
