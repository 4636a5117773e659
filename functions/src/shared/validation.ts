import type { z } from 'zod';
import { DumpcatcherError, type ErrorCode } from './errors';

/** One bad field or parameter, as answers list them in `details.issues`. */
export interface InputIssue {
  path: string;
  message: string;
}

/**
 * zod's issues as answers name them; an unknown key is named by its own path (`breadcrumbs.3.colour`),
 * which zod leaves out.
 */
export function toInputIssues(error: z.ZodError): InputIssue[] {
  return error.issues.map((i) => ({
    path: i.code === 'unrecognized_keys' ? i.keys.map((key) => [...i.path, key].join('.')).join(',') : i.path.join('.'),
    message: i.message,
  }));
}

/**
 * Checks request input (a body or query parameters) against `schema`: the value, or a 400 with
 * `code` whose message names the first problem and whose `details.issues` lists every one.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  code: Extract<ErrorCode, 'invalid_body' | 'invalid_argument'>,
  what: string,
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = toInputIssues(result.error);
  const first = issues[0];
  throw new DumpcatcherError(code, `Invalid ${what}: ${first?.path || '(root)'}: ${first?.message}.`, {
    details: { issues },
  });
}

/** Reads configuration from the environment with `schema`, or logs and throws with every problem listed. */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv,
  what: string,
  onError: (issues: z.ZodError['issues']) => void,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  onError(result.error.issues);
  throw new Error(`Invalid ${what}: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
}
