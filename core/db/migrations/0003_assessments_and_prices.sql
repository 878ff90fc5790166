CREATE TABLE `assessments` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`created_at_ms` integer NOT NULL,
	`engine_version` text NOT NULL,
	`input` text NOT NULL,
	`result` text NOT NULL,
	`climate_zone` text NOT NULL,
	`building_type` text NOT NULL,
	`construction_year` integer NOT NULL,
	`heated_floor_area_m2` real NOT NULL,
	`primary_energy_kwh_m2` real NOT NULL,
	`energy_class` text NOT NULL,
	`ratio` real NOT NULL,
	`annual_cost_eur` real NOT NULL,
	`co2_kg_m2` real NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `assessments_tenant_idx` ON `assessments` (`tenant_id`,`created_at_ms`);--> statement-breakpoint
CREATE INDEX `assessments_cohort_idx` ON `assessments` (`climate_zone`,`building_type`,`construction_year`,`heated_floor_area_m2`);--> statement-breakpoint
CREATE TABLE `market_prices` (
	`carrier` text NOT NULL,
	`region` text DEFAULT '' NOT NULL,
	`eur_per_kwh` real NOT NULL,
	`as_of_ms` integer NOT NULL,
	`source` text NOT NULL,
	`event_id` text NOT NULL,
	`updated_at_ms` integer NOT NULL,
	PRIMARY KEY(`carrier`, `region`)
);
