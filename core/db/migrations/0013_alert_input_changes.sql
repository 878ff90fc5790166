-- Incremental alert evaluation: alert_input_changes records, per tenant, the sequence number of the
-- latest edit of its alert inputs (plain UPDATE + INSERT: an outer statement's conflict clause would
-- override an OR REPLACE inside a trigger).
CREATE TABLE `alert_input_changes` (
	`tenant_id` text PRIMARY KEY NOT NULL,
	`seq` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `alert_input_changes_seq_idx` ON `alert_input_changes` (`seq`);
--> statement-breakpoint
CREATE INDEX `request_minutes_updated_idx` ON `request_minutes` (`updated_at_ms`);
--> statement-breakpoint
CREATE TRIGGER `alert_rules_alert_input_insert` AFTER INSERT ON `alert_rules`
BEGIN
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = NEW.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT NEW.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = NEW.`tenant_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `alert_rules_alert_input_update` AFTER UPDATE ON `alert_rules`
BEGIN
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = OLD.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT OLD.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = OLD.`tenant_id`);
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = NEW.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT NEW.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = NEW.`tenant_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `alert_rules_alert_input_delete` AFTER DELETE ON `alert_rules`
BEGIN
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = OLD.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT OLD.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = OLD.`tenant_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `slos_alert_input_insert` AFTER INSERT ON `slos`
BEGIN
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = NEW.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT NEW.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = NEW.`tenant_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `slos_alert_input_update` AFTER UPDATE ON `slos`
BEGIN
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = OLD.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT OLD.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = OLD.`tenant_id`);
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = NEW.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT NEW.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = NEW.`tenant_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `slos_alert_input_delete` AFTER DELETE ON `slos`
BEGIN
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = OLD.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT OLD.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = OLD.`tenant_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `silences_alert_input_insert` AFTER INSERT ON `silences`
BEGIN
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = NEW.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT NEW.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = NEW.`tenant_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `silences_alert_input_update` AFTER UPDATE ON `silences`
BEGIN
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = OLD.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT OLD.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = OLD.`tenant_id`);
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = NEW.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT NEW.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = NEW.`tenant_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `silences_alert_input_delete` AFTER DELETE ON `silences`
BEGIN
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = OLD.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT OLD.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = OLD.`tenant_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `notification_policies_alert_input_insert` AFTER INSERT ON `notification_policies`
BEGIN
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = NEW.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT NEW.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = NEW.`tenant_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `notification_policies_alert_input_update` AFTER UPDATE ON `notification_policies`
BEGIN
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = OLD.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT OLD.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = OLD.`tenant_id`);
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = NEW.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT NEW.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = NEW.`tenant_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `notification_policies_alert_input_delete` AFTER DELETE ON `notification_policies`
BEGIN
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = OLD.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT OLD.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = OLD.`tenant_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `webhook_endpoints_alert_input_insert` AFTER INSERT ON `webhook_endpoints`
BEGIN
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = NEW.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT NEW.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = NEW.`tenant_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `webhook_endpoints_alert_input_update` AFTER UPDATE ON `webhook_endpoints`
BEGIN
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = OLD.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT OLD.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = OLD.`tenant_id`);
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = NEW.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT NEW.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = NEW.`tenant_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `webhook_endpoints_alert_input_delete` AFTER DELETE ON `webhook_endpoints`
BEGIN
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = OLD.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT OLD.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = OLD.`tenant_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `push_subscriptions_alert_input_insert` AFTER INSERT ON `push_subscriptions`
BEGIN
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = NEW.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT NEW.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = NEW.`tenant_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `push_subscriptions_alert_input_update` AFTER UPDATE ON `push_subscriptions`
BEGIN
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = OLD.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT OLD.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = OLD.`tenant_id`);
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = NEW.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT NEW.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = NEW.`tenant_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `push_subscriptions_alert_input_delete` AFTER DELETE ON `push_subscriptions`
BEGIN
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = OLD.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT OLD.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = OLD.`tenant_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `assessments_alert_input_insert` AFTER INSERT ON `assessments`
BEGIN
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = NEW.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT NEW.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = NEW.`tenant_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `assessments_alert_input_update` AFTER UPDATE ON `assessments`
BEGIN
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = OLD.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT OLD.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = OLD.`tenant_id`);
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = NEW.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT NEW.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = NEW.`tenant_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `assessments_alert_input_delete` AFTER DELETE ON `assessments`
BEGIN
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = OLD.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT OLD.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = OLD.`tenant_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `alerts_alert_input_acknowledge` AFTER UPDATE ON `alerts`
WHEN OLD.`acknowledged_at_ms` IS NOT NEW.`acknowledged_at_ms` OR OLD.`acknowledged_by` IS NOT NEW.`acknowledged_by`
BEGIN
  UPDATE `alert_input_changes` SET `seq` = (SELECT max(`seq`) + 1 FROM `alert_input_changes`)
    WHERE `tenant_id` = NEW.`tenant_id`;
  INSERT INTO `alert_input_changes` (`tenant_id`, `seq`)
    SELECT NEW.`tenant_id`, (SELECT coalesce(max(`seq`), 0) + 1 FROM `alert_input_changes`)
    WHERE NOT EXISTS (SELECT 1 FROM `alert_input_changes` WHERE `tenant_id` = NEW.`tenant_id`);
END;
