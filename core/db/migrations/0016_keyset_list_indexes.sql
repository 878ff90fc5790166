DROP INDEX `outbox_tenant_idx`;--> statement-breakpoint
CREATE INDEX `outbox_target_idx` ON `outbox` (`tenant_id`,`target_id`,`created_at_ms`,`id`);--> statement-breakpoint
DROP INDEX `alert_rules_tenant_idx`;--> statement-breakpoint
CREATE INDEX `alert_rules_tenant_idx` ON `alert_rules` (`tenant_id`,`created_at_ms`,`id`);--> statement-breakpoint
DROP INDEX `api_keys_tenant_idx`;--> statement-breakpoint
CREATE INDEX `api_keys_tenant_idx` ON `api_keys` (`tenant_id`,`created_at_ms`,`id`);--> statement-breakpoint
DROP INDEX `delivery_attempts_target_idx`;--> statement-breakpoint
CREATE INDEX `delivery_attempts_target_idx` ON `delivery_attempts` (`tenant_id`,`target_id`,`at_ms`,`id`);--> statement-breakpoint
DROP INDEX `push_subscriptions_tenant_idx`;--> statement-breakpoint
DROP INDEX `push_subscriptions_subscriber_idx`;--> statement-breakpoint
CREATE INDEX `push_subscriptions_tenant_idx` ON `push_subscriptions` (`tenant_id`,`created_at_ms`,`id`);--> statement-breakpoint
CREATE INDEX `push_subscriptions_subscriber_idx` ON `push_subscriptions` (`subscriber_token_id`,`created_at_ms`,`id`);--> statement-breakpoint
DROP INDEX `webhook_endpoints_tenant_idx`;--> statement-breakpoint
CREATE INDEX `webhook_endpoints_tenant_idx` ON `webhook_endpoints` (`tenant_id`,`created_at_ms`,`id`);--> statement-breakpoint
DROP INDEX `slos_tenant_idx`;--> statement-breakpoint
CREATE INDEX `slos_tenant_idx` ON `slos` (`tenant_id`,`created_at_ms`,`id`);--> statement-breakpoint
DROP INDEX `subscriber_tokens_tenant_idx`;--> statement-breakpoint
CREATE INDEX `subscriber_tokens_tenant_idx` ON `subscriber_tokens` (`tenant_id`,`created_at_ms`,`id`);--> statement-breakpoint
CREATE INDEX `alerts_list_idx` ON `alerts` (`tenant_id`,(case when json_valid(`state`) then json_extract(`state`, '$.activeAtMs') end),`id`);--> statement-breakpoint
CREATE INDEX `silences_list_idx` ON `silences` (`tenant_id`,`created_at_ms`,`id`);
