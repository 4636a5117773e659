/** The shape of a route table, shared by routes.ts and the tables it lists (mapping-routes.ts). */
import type { z } from 'zod';
import { parseInput } from '../shared/validation';
import type { Caller } from './access';
import type { ApiDeps } from './deps';

/** One route's handler: the core call behind a method and path. */
export type Handler = (
  deps: ApiDeps,
  caller: Caller,
  params: string[],
  body: unknown,
  query: unknown,
) => Promise<{ status: number; body: unknown }>;

/** A list of routes: name, path pattern, then the handler per method. */
export type RouteTable = Array<{ name: string; pattern: RegExp; methods: Record<string, Handler> }>;

/** Checks a request body against `schema`, naming every bad field in `details.issues`. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  return parseInput(schema, body, 'invalid_body', 'request body');
}
