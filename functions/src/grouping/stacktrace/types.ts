/** Stack-trace dialects the parser recognises; `unknown` when none matched. */
export type StacktraceFormat = 'python' | 'java' | 'v8' | 'firefox' | 'safari' | 'unknown';

/** One stack frame as read from the text; absent fields were not in the text. */
export interface Frame {
  file?: string;
  line?: number;
  column?: number;
  function?: string;
  /** Python module (library and stdlib files only) or fully qualified Java class. */
  module?: string;
  inApp: boolean;
}

/** How an exception relates to the one listed before it in the chain. */
export type ExceptionRelation = 'cause' | 'context' | 'suppressed' | 'aggregated';

/** One exception of a chain, frames innermost (most recent call) first. */
export interface ParsedException {
  type: string;
  message: string;
  frames: Frame[];
  /** Absent on the primary (first) exception. */
  relation?: ExceptionRelation;
  /** Index in `exceptions` of the exception this one is the cause, context, suppressed or member of. */
  parent?: number;
}

/** Result of parsing a stack trace: the primary exception first, then its causes. */
export interface ParsedStacktrace {
  exceptions: ParsedException[];
  format: StacktraceFormat;
}

/** Optional knowledge about the report that helps parsing. */
export interface ParseHints {
  /** Runtime name from the report (`python`, `node`, `java`, `chrome`, `firefox`, `safari`, …). */
  runtime?: string | undefined;
  /** Prefixes of module or file that count as in-app; when non-empty they replace the default rules. */
  inAppPatterns?: readonly string[] | undefined;
}

/** A frame before in-app classification. */
export type RawFrame = Omit<Frame, 'inApp'>;

/** An exception before in-app classification. */
export interface RawException {
  type: string;
  message: string;
  frames: RawFrame[];
  relation?: ExceptionRelation;
  parent?: number;
}

/** Builds a RawFrame, leaving out fields that are undefined (exactOptionalPropertyTypes). */
export function makeFrame(fields: {
  file?: string | undefined;
  line?: number | undefined;
  column?: number | undefined;
  function?: string | undefined;
  module?: string | undefined;
}): RawFrame {
  const frame: RawFrame = {};
  if (fields.file !== undefined && fields.file !== '') frame.file = fields.file;
  if (fields.line !== undefined && Number.isFinite(fields.line)) frame.line = fields.line;
  if (fields.column !== undefined && Number.isFinite(fields.column)) frame.column = fields.column;
  if (fields.function !== undefined && fields.function !== '') frame.function = fields.function;
  if (fields.module !== undefined && fields.module !== '') frame.module = fields.module;
  return frame;
}

/** Splits `Type: message` (the common header shape); a header without `: ` is all type. */
export function splitTypeAndMessage(header: string): { type: string; message: string } {
  const index = header.indexOf(': ');
  if (index === -1) {
    return header.endsWith(':') ? { type: header.slice(0, -1), message: '' } : { type: header, message: '' };
  }
  return { type: header.slice(0, index), message: header.slice(index + 2) };
}
