DROP INDEX IF EXISTS `assessments_cohort_idx`;--> statement-breakpoint
DROP INDEX IF EXISTS `assessments_tenant_idx`;--> statement-breakpoint
CREATE INDEX `assessments_list_idx` ON `assessments` (`tenant_id`,`created_at_ms`,`id`,`climate_zone`,`building_type`,`construction_year`,`heated_floor_area_m2`,`primary_energy_kwh_m2`,`energy_class`,`annual_cost_eur`);
