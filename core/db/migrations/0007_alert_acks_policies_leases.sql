CREATE TABLE `leases` (
	`name` text PRIMARY KEY NOT NULL,
	`holder` text NOT NULL,
	`expires_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `notification_policies` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`route` text NOT NULL,
	`inhibit_rules` text,
	`updated_at_ms` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notification_policies_tenant_idx` ON `notification_policies` (`tenant_id`);--> statement-breakpoint
ALTER TABLE `alerts` ADD `acknowledged_at_ms` integer;--> statement-breakpoint
ALTER TABLE `alerts` ADD `acknowledged_by` text;