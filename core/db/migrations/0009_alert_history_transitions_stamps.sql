CREATE TABLE `alert_history` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`fingerprint` text NOT NULL,
	`rule_id` text NOT NULL,
	`rule_name` text NOT NULL,
	`rule` text NOT NULL,
	`severity` text NOT NULL,
	`status` text NOT NULL,
	`labels` text NOT NULL,
	`annotations` text NOT NULL,
	`value` real,
	`active_at_ms` integer NOT NULL,
	`fired_at_ms` integer NOT NULL,
	`resolved_at_ms` integer,
	`updated_at_ms` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `alert_history_tenant_idx` ON `alert_history` (`tenant_id`,`fired_at_ms`,`id`);--> statement-breakpoint
CREATE INDEX `alert_history_resolved_idx` ON `alert_history` (`resolved_at_ms`);--> statement-breakpoint
CREATE TABLE `alert_transitions_outbox` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`fingerprint` text NOT NULL,
	`payload` text NOT NULL,
	`created_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `alert_transitions_outbox_id_idx` ON `alert_transitions_outbox` (`id`);--> statement-breakpoint
CREATE TABLE `change_stamps` (
	`name` text PRIMARY KEY NOT NULL,
	`version` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `change_stamps` (`name`, `version`) VALUES ('notify_targets', 0);--> statement-breakpoint
CREATE TRIGGER `webhook_endpoints_stamp_update` AFTER UPDATE ON `webhook_endpoints`
WHEN OLD.`url` IS NOT NEW.`url` OR OLD.`format` IS NOT NEW.`format` OR OLD.`secrets` IS NOT NEW.`secrets`
  OR OLD.`disabled_at_ms` IS NOT NEW.`disabled_at_ms` OR OLD.`tenant_id` IS NOT NEW.`tenant_id`
BEGIN
  UPDATE `change_stamps` SET `version` = `version` + 1 WHERE `name` = 'notify_targets';
END;--> statement-breakpoint
CREATE TRIGGER `webhook_endpoints_stamp_delete` AFTER DELETE ON `webhook_endpoints`
BEGIN
  UPDATE `change_stamps` SET `version` = `version` + 1 WHERE `name` = 'notify_targets';
END;--> statement-breakpoint
CREATE TRIGGER `push_subscriptions_stamp_update` AFTER UPDATE ON `push_subscriptions`
WHEN OLD.`endpoint` IS NOT NEW.`endpoint` OR OLD.`p256dh` IS NOT NEW.`p256dh` OR OLD.`auth` IS NOT NEW.`auth`
  OR OLD.`tenant_id` IS NOT NEW.`tenant_id`
BEGIN
  UPDATE `change_stamps` SET `version` = `version` + 1 WHERE `name` = 'notify_targets';
END;--> statement-breakpoint
CREATE TRIGGER `push_subscriptions_stamp_delete` AFTER DELETE ON `push_subscriptions`
BEGIN
  UPDATE `change_stamps` SET `version` = `version` + 1 WHERE `name` = 'notify_targets';
END;
