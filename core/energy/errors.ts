/**
 * Input problems the engine reports: every issue names the field (a path into the input) and the reason.
 * The API layer maps an EnergyInputError to 400 `validation_failed` with `details: issues`.
 */
import type { z } from "zod";

export interface InputIssue {
  path: (string | number)[];
  message: string;
}

export class EnergyInputError extends Error {
  readonly issues: InputIssue[];

  constructor(issues: InputIssue[]) {
    super(issues.map((i) => `${i.path.join(".") || "(input)"}: ${i.message}`).join("; "));
    this.name = "EnergyInputError";
    this.issues = issues;
  }

  static fromZod(error: z.ZodError): EnergyInputError {
    return new EnergyInputError(
      error.issues.map((i) => ({
        path: i.path.map((p) => (typeof p === "symbol" ? String(p) : p)),
        message: i.message,
      })),
    );
  }
}
