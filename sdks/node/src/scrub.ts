/** What the scrubber needs to know about the machine and the product. */
export interface ScrubContext {
  homeDir: string;
  userName: string;
  secret: string;
}

/** A function that removes personal data and secrets from one string. */
export type Scrubber = (text: string) => string;

// The e-mail rule of docs/privacy.md is `[\w.+-]+@[\w-]+(\.[\w-]+)+` with the contract's
// Unicode \w (a letter, mark or number of any script, or `_`); applied literally by a
// backtracking engine it is quadratic on long runs of word characters, so it is applied as
// "find each @domain, then walk left over the local part" (same result, linear).
const EMAIL_DOMAIN = /@[\p{L}\p{M}\p{N}_-]+(?:\.[\p{L}\p{M}\p{N}_-]+)+/gu;
const WORD_CHAR = /^[\p{L}\p{M}\p{N}_]$/u;
// The contract's word boundary for the user name: not preceded or followed by a Unicode \w.
const NOT_WORD_BEFORE = '(?<![\\p{L}\\p{M}\\p{N}_])';
const NOT_WORD_AFTER = '(?![\\p{L}\\p{M}\\p{N}_])';
// ASCII word boundary and white space, as in the JWT and name=value rules (docs/privacy.md).
const AUTH_SCHEME = /(?<![A-Za-z0-9_])(Bearer|Basic)[ \t\n\v\f\r]+(?!<redacted>)[A-Za-z0-9._~+/=-]+/g;
// The name is kept; the value (quoted or bare) is replaced. An optional closing quote after
// the name catches JSON-ish text such as `"password": "x"`. White space is the six ASCII
// characters (as `\s` in Java and in Python's re.ASCII): JavaScript's `\s` also has Unicode ones.
const KEY_VALUE =
  /(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|auth)(["']?[ \t\n\v\f\r]*[=:][ \t\n\v\f\r]*)("[^"]*"|'[^']*'|[^ \t\n\v\f\r"',;&)}\]]+)/gi;

// [A-Za-z0-9_], the characters \b looks at.
function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

// The end of the run of [A-Za-z0-9_-] (a JWT part) that starts at `from`.
function jwtRunEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length && (isWordChar(text.charCodeAt(i)) || text.charCodeAt(i) === 45)) i += 1;
  return i;
}

// The JWT rule `\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`: as a regex, every "eyJ"
// after a "-" in a long run ("eyJ-eyJ-…") rescans the run to its end (quadratic), so each run is
// read once here instead (same result, linear).
function scrubJwts(text: string): string {
  let out = '';
  let last = 0;
  let at = text.indexOf('eyJ');
  while (at >= 0) {
    if (at > 0 && isWordChar(text.charCodeAt(at - 1))) {
      at = text.indexOf('eyJ', at + 1);
      continue;
    }
    const header = jwtRunEnd(text, at + 3);
    if (text.charAt(header) === '.') {
      const payload = jwtRunEnd(text, header + 1);
      if (payload > header + 1 && text.charAt(payload) === '.') {
        const end = jwtRunEnd(text, payload + 1);
        out += text.slice(last, at) + '<token>';
        last = end;
        at = text.indexOf('eyJ', end);
        continue;
      }
    }
    // Any later "eyJ" inside the same header run ends where this one did, and fails the same way.
    at = text.indexOf('eyJ', header);
  }
  return last === 0 ? text : out + text.slice(last);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether the code point ending just before `end` is one of `[\w.+-]` (Unicode \w); its length, or 0. */
function localPartCharBefore(text: string, end: number): number {
  const low = text.charCodeAt(end - 1);
  // An astral letter is a surrogate pair: judge the whole code point.
  const size = low >= 0xdc00 && low <= 0xdfff && end >= 2 ? 2 : 1;
  const ch = text.slice(end - size, end);
  return ch === '.' || ch === '+' || ch === '-' || WORD_CHAR.test(ch) ? size : 0;
}

function scrubEmails(text: string): string {
  if (!text.includes('@')) return text;
  let out = '';
  let last = 0;
  for (const match of text.matchAll(EMAIL_DOMAIN)) {
    const at = match.index ?? 0;
    let begin = at;
    while (begin > last) {
      const size = localPartCharBefore(text, begin);
      if (size === 0) break;
      begin -= size;
    }
    if (begin === at) continue;
    out += text.slice(last, begin) + '<email>';
    last = at + match[0].length;
  }
  return out + text.slice(last);
}

// Characters of a "long secret" run: [A-Za-z0-9+/_=-].
function isRunChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 47 && c <= 57) ||
    c === 43 ||
    c === 45 ||
    c === 61 ||
    c === 95
  );
}

// Runs of 32+ run characters, found by one pass over the text: as a regex (`[…]{32,}`) the
// engine rescans every shorter run from each of its characters, which made it the dearest rule.
function scrubLongRuns(text: string): string {
  let out = '';
  let last = 0;
  let start = -1;
  for (let i = 0; i <= text.length; i += 1) {
    if (i < text.length && isRunChar(text.charCodeAt(i))) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0 && i - start >= 32) {
      const run = text.slice(start, i);
      const scrubbed = scrubLongRun(run);
      if (scrubbed !== run) {
        out += text.slice(last, start) + scrubbed;
        last = i;
      }
    }
    start = -1;
  }
  return last === 0 ? text : out + text.slice(last);
}

function isLongSecret(run: string): boolean {
  return run.length >= 32 && /[A-Za-z]/.test(run) && /[0-9]/.test(run);
}

// A run that starts with "/" is a file path (stack frames are full of them), so only its
// segments are judged; a token inside a URL path is still caught. See docs/sdks.md.
function scrubLongRun(run: string): string {
  if (!run.startsWith('/')) return isLongSecret(run) ? '<token>' : run;
  return run
    .split('/')
    .map((segment) => (isLongSecret(segment) ? '<token>' : segment))
    .join('/');
}

/** Builds the scrubber of docs/sdks.md for one machine and product secret. */
export function createScrubber(context: ScrubContext): Scrubber {
  const secret = context.secret.length > 0 ? new RegExp(escapeRegExp(context.secret), 'g') : null;
  const home =
    context.homeDir.length > 1
      ? new RegExp(escapeRegExp(context.homeDir.replace(/[\\/]+$/, '')) + '(?![\\p{L}\\p{M}\\p{N}_.-])', 'gu')
      : null;
  const user =
    context.userName.length >= 3
      ? new RegExp(NOT_WORD_BEFORE + escapeRegExp(context.userName) + NOT_WORD_AFTER, 'gu')
      : null;

  return (text: string): string => {
    let out = text;
    // The secret goes first so that no later rule leaves part of it behind.
    if (secret) out = out.replace(secret, '<redacted>');
    // The home directory goes before the user name, which it usually contains.
    if (home) out = out.replace(home, '~');
    // E-mail before the user name, so that alice@example.com becomes <email>, not <user>@….
    out = scrubEmails(out);
    if (user) out = out.replace(user, '<user>');
    out = out.replace(AUTH_SCHEME, '$1 <redacted>');
    if (out.includes('eyJ')) out = scrubJwts(out);
    out = out.replace(KEY_VALUE, (_m, name: string, sep: string, value: string) => {
      const quote = value.startsWith('"') || value.startsWith("'") ? value.charAt(0) : '';
      return `${name}${sep}${quote}<redacted>${quote}`;
    });
    out = scrubLongRuns(out);
    return out;
  };
}
