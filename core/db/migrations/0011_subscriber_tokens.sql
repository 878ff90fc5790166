CREATE TABLE `subscriber_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`token_hash` text NOT NULL,
	`token_start` text NOT NULL,
	`filters` text NOT NULL,
	`max_subscriptions` integer NOT NULL,
	`created_by` text NOT NULL,
	`created_at_ms` integer NOT NULL,
	`expires_at_ms` integer NOT NULL,
	`revoked_at_ms` integer,
	`last_used_at_ms` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `subscriber_tokens_token_hash_unique` ON `subscriber_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `subscriber_tokens_tenant_idx` ON `subscriber_tokens` (`tenant_id`,`created_at_ms`);--> statement-breakpoint
ALTER TABLE `push_subscriptions` ADD `subscriber_token_id` text;--> statement-breakpoint
ALTER TABLE `push_subscriptions` ADD `expires_at_ms` integer;--> statement-breakpoint
CREATE INDEX `push_subscriptions_subscriber_idx` ON `push_subscriptions` (`subscriber_token_id`);