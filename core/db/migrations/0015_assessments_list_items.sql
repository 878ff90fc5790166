DROP INDEX `assessments_list_idx`;--> statement-breakpoint
ALTER TABLE `assessments` ADD `list_item` text;--> statement-breakpoint
CREATE INDEX `assessments_page_idx` ON `assessments` (`tenant_id`,`created_at_ms`,`id`,`list_item`);
