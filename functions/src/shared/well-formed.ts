/**
 * Well-formed Unicode for everything that reaches Firestore. JSON may carry lone surrogate
 * escapes (`"caf\udce9.py"`: Python's `surrogateescape` makes them from undecodable file
 * names), and Firestore's RPC refuses any string that is not valid UTF-8, failing the whole
 * batch it is in. Each lone surrogate becomes U+FFFD, so the report is stored, not lost.
 */

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const ANY_SURROGATE = /[\uD800-\uDFFF]/;

/** `text` with every lone surrogate replaced by U+FFFD, and how many there were. */
export function toWellFormed(text: string): { text: string; replaced: number } {
  if (!ANY_SURROGATE.test(text)) return { text, replaced: 0 }; // the common case: no scan
  let replaced = 0;
  const fixed = text.replace(LONE_SURROGATE, () => {
    replaced++;
    return '\uFFFD';
  });
  return { text: fixed, replaced };
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Parsed JSON (or any tree of plain objects, arrays and strings) with every string and every
 * key made well-formed, and the number of lone surrogates replaced. Anything else (numbers,
 * dates) is kept as it is. Unchanged subtrees are returned as the same objects.
 */
export function toWellFormedDeep<T>(value: T): { value: T; replaced: number } {
  let replaced = 0;
  const visit = (node: unknown): unknown => {
    if (typeof node === 'string') {
      const fixed = toWellFormed(node);
      replaced += fixed.replaced;
      return fixed.text;
    }
    if (node === null || typeof node !== 'object') return node;
    if (Array.isArray(node)) {
      let copy: unknown[] | undefined;
      for (let i = 0; i < node.length; i++) {
        const item = visit(node[i]);
        if (item !== node[i]) (copy ??= node.slice())[i] = item;
      }
      return copy ?? node;
    }
    if (!isPlainObject(node)) return node;
    let copy: Record<string, unknown> | undefined;
    for (const key of Object.keys(node)) {
      const fixedKey = toWellFormed(key);
      const item = visit(node[key]);
      if (fixedKey.replaced === 0 && item === node[key]) continue;
      replaced += fixedKey.replaced;
      copy ??= { ...node };
      if (fixedKey.text !== key) delete copy[key];
      copy[fixedKey.text] = item;
    }
    return copy ?? node;
  };
  return { value: visit(value) as T, replaced };
}
