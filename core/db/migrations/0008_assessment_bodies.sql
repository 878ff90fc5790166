ALTER TABLE `assessments` ALTER COLUMN "result" TO "result" text;--> statement-breakpoint
ALTER TABLE `assessments` ADD `body` blob;--> statement-breakpoint
ALTER TABLE `assessments` ADD `package_id` text;--> statement-breakpoint
ALTER TABLE `assessments` ADD `package_investment_eur` real;--> statement-breakpoint
ALTER TABLE `assessments` ADD `package_subsidy_eur` real;--> statement-breakpoint
ALTER TABLE `assessments` ADD `package_saved_eur_per_year` real;--> statement-breakpoint
ALTER TABLE `assessments` ADD `package_payback_years` real;
