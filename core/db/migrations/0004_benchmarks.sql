CREATE TABLE `cohort_bins` (
	`scope` text NOT NULL,
	`cohort` text NOT NULL,
	`metric` text NOT NULL,
	`bin` integer NOT NULL,
	`homes` integer NOT NULL,
	PRIMARY KEY(`scope`, `cohort`, `metric`, `bin`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `cohort_stats` (
	`scope` text NOT NULL,
	`cohort` text NOT NULL,
	`homes` integer NOT NULL,
	`sum_pe` real NOT NULL,
	`sum_cost` real NOT NULL,
	`sum_co2` real NOT NULL,
	`updated_at_ms` integer NOT NULL,
	PRIMARY KEY(`scope`, `cohort`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `stock_homes` (
	`id` text PRIMARY KEY NOT NULL,
	`seed_run` text NOT NULL,
	`created_at_ms` integer NOT NULL,
	`engine_version` text NOT NULL,
	`input` text NOT NULL,
	`climate_zone` text NOT NULL,
	`building_type` text NOT NULL,
	`construction_year` integer NOT NULL,
	`heated_floor_area_m2` real NOT NULL,
	`primary_energy_kwh_m2` real NOT NULL,
	`energy_class` text NOT NULL,
	`ratio` real NOT NULL,
	`annual_cost_eur` real NOT NULL,
	`co2_kg_m2` real NOT NULL,
	`package_primary_energy_kwh_m2` real,
	`package_energy_class` text
);
--> statement-breakpoint
CREATE INDEX `stock_homes_seed_run_idx` ON `stock_homes` (`seed_run`);--> statement-breakpoint
ALTER TABLE `assessments` ADD `package_primary_energy_kwh_m2` real;--> statement-breakpoint
ALTER TABLE `assessments` ADD `package_energy_class` text;