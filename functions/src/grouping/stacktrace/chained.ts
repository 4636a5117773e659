import type { ExceptionRelation } from './types';

const SECTION_START = /^(Caused by|Aggregated \d+): (.*)$/;

/** One `err.stack` of a JavaScript chain: its first line (prefix removed) and the lines after it. */
export interface JsSection {
  relation?: ExceptionRelation;
  /** Index of the section this one is the cause or member of. */
  parent?: number;
  lines: string[];
}

/**
 * Splits SDK-formatted JavaScript text (`err.stack`, then `\nCaused by: <stack>` per cause and
 * `\nAggregated <i>: <stack>` per AggregateError member, see docs/protocol.md) into sections.
 */
export function splitJsSections(lines: readonly string[]): JsSection[] {
  const sections: JsSection[] = [{ lines: [] }];
  // The flat text does not say whose cause a section is; a cause belongs to the section just
  // before it, `Aggregated 0` to the section before it and `Aggregated i` to the same owner.
  const aggregateOwners: number[] = [];
  for (const line of lines) {
    const start = SECTION_START.exec(line);
    if (start === null) {
      sections[sections.length - 1]?.lines.push(line);
      continue;
    }
    const previous = sections.length - 1;
    const section: JsSection = { lines: [start[2] ?? ''] };
    if (start[1] === 'Caused by') {
      section.relation = 'cause';
      section.parent = previous;
    } else {
      section.relation = 'aggregated';
      const member = Number(/\d+/.exec(start[1] ?? '')?.[0] ?? 0);
      if (member === 0) aggregateOwners.push(previous);
      section.parent = aggregateOwners[aggregateOwners.length - 1] ?? previous;
    }
    sections.push(section);
  }
  return sections;
}
