import { AirlockError, type ErrorCode } from "../errors.js";
import { formatPosition } from "../imagelist/problems.js";
import type { ImageEntry } from "../imagelist/types.js";

/** One entry that could not be resolved. */
export interface PlanProblem {
  entry: ImageEntry;
  code: ErrorCode;
  message: string;
}

/** Every entry that failed, at once; the lock is not written. */
export class PlanError extends AirlockError {
  readonly problems: PlanProblem[];
  constructor(problems: PlanProblem[]) {
    const lines = problems.map((p) => `${formatPosition(p.entry.position)} ${p.entry.source}: ${p.message}`);
    super(problems[0]?.code ?? "ERR_NOT_FOUND", lines.join("\n"));
    this.name = "PlanError";
    this.problems = problems;
  }
}
