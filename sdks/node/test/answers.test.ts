import { classifyAnswer, parseRetryAfter } from '../src/answers.ts';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-22T08:00:00Z');
  it.each([
    ['seconds', '120', 120_000],
    ['an HTTP date', 'Sun, 22 Nov 2026 08:00:30 GMT', 30_000],
    ['a date in the past', 'Sun, 22 Nov 2026 07:00:00 GMT', 0],
    ['garbage', 'soon', undefined],
    ['absent', undefined, undefined],
  ])('reads %s', (_name, value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('classifyAnswer', () => {
  const now = 0;
  it('treats 202 and 200 (duplicate) as delivered', () => {
    expect(classifyAnswer(202, {}, '{"id":"x"}', now)).toEqual({ kind: 'delivered', status: 202, duplicate: false });
    expect(classifyAnswer(200, {}, '{"id":"x","duplicate":true}', now)).toEqual({
      kind: 'delivered',
      status: 200,
      duplicate: true,
    });
  });

  it('retries 429 and 503 with their Retry-After, other 5xx without', () => {
    expect(classifyAnswer(429, { 'retry-after': '7' }, '', now)).toEqual({
      kind: 'retry',
      reason: 'HTTP 429',
      retryAfterMs: 7000,
    });
    expect(classifyAnswer(503, { 'retry-after': '3' }, '', now)).toMatchObject({ retryAfterMs: 3000 });
    expect(classifyAnswer(500, { 'retry-after': '3' }, '', now)).toEqual({ kind: 'retry', reason: 'HTTP 500' });
  });

  it('hands a 401 its Date for clock correction', () => {
    expect(classifyAnswer(401, { date: 'Sun, 22 Nov 2026 08:00:00 GMT' }, '', now)).toEqual({
      kind: 'unauthorized',
      serverDateMs: Date.parse('2026-11-22T08:00:00Z'),
      fromIngest: false,
    });
  });

  it.each([
    [400, 'refused'],
    [404, 'not-ingest'],
    [405, 'not-ingest'],
    [409, 'refused'],
    [413, 'refused'],
    [415, 'refused'],
  ])('drops on %i, naming the error code, with the notice %s', (status, notice) => {
    expect(classifyAnswer(status, {}, '{"error":{"code":"some_code"}}', now)).toEqual({
      kind: 'drop',
      status,
      reason: `HTTP ${status} some_code`,
      notice,
    });
  });
});
