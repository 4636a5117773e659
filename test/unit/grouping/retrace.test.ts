import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { classifyCrash, type ReportRecord } from '../../../functions/src/grouping/classify';
import { reduceClassified } from '../../../functions/src/rollup/aggregate';
import {
  computeFingerprint,
  normalizeFunctionName,
  normalizeModuleName,
  type FingerprintInput,
} from '../../../functions/src/grouping/fingerprint';
import {
  mappingKeyOf,
  mappingKeysOf,
  parseMapping,
  readMapId,
  retraceFrame,
  retraceInput,
  retraceJavaText,
  type Mapping,
  type MappingLookup,
} from '../../../functions/src/grouping/retrace';
import { createMappingCache, MISSING_MAPPING_TTL_MS } from '../../../functions/src/grouping/retrace/cache';
import type { CrashDoc } from '../../../functions/src/grouping/schemas';
import { isInAppByDefault, parseStacktrace } from '../../../functions/src/grouping/stacktrace';

const DIR = join(__dirname, '../../fixtures/android');
const read = (name: string) => readFileSync(join(DIR, name), 'utf8');
const mappingOf = (name: string) => parseMapping(read(`${name}-mapping.txt`));

function fingerprintAfterRetrace(
  trace: string,
  type: string,
  mapping: Mapping | null,
): ReturnType<typeof computeFingerprint> {
  const input: FingerprintInput = { type, message: 'no note', stacktrace: trace, runtime: 'android' };
  const subject = {
    productKey: 'p',
    app: { version: '2.0' },
    exception: { stacktrace: trace },
    runtime: { name: 'android' },
  };
  return computeFingerprint(retraceInput(subject, input, () => mapping).input);
}

describe('parseMapping', () => {
  it('indexes the class blocks of a ProGuard mapping and reads each on first use', () => {
    const mapping = mappingOf('proguard-notes-1.0');
    expect(mapping.classCount).toBe(3);
    expect(mapping.mapId).toBeUndefined();
    const store = mapping.byObfuscated('com.acme.notes.b');
    expect(store?.original).toBe('com.acme.notes.NoteStore');
    expect(store?.sourceFile).toBe('NoteStore.java');
    expect(store?.methods.get('a')?.map((m) => m.name)).toEqual(['put', 'title', 'requireNote', 'title']);
    expect(mapping.byOriginal('com.acme.notes.MissingNoteException')?.obfuscated).toBe('com.acme.notes.a');
  });

  it("reads R8's map id, source files and inlined methods from another class", () => {
    const mapping = mappingOf('r8-notes-2.0');
    expect(mapping.mapId).toBe('7f3c2a1');
    expect(readMapId(read('r8-notes-2.0-mapping.txt'))).toBe('7f3c2a1');
    const inlined = mapping.byObfuscated('com.acme.notes.MainActivity')?.methods.get('m')?.[1];
    expect(inlined).toEqual({
      obfStart: 2,
      obfEnd: 4,
      originalClass: 'com.acme.notes.data.NoteRepository',
      name: 'requireNote',
      origStart: 36,
      origEnd: 38,
    });
    expect(mapping.byObfuscated('a.a')?.sourceFile).toBe('R8$$SyntheticClass');
  });

  it('finds no class in text that is not a mapping', () => {
    expect(parseMapping('hello\nworld\n').classCount).toBe(0);
    expect(parseMapping('').classCount).toBe(0);
  });
});

describe('retraceJavaText on ProGuard output', () => {
  it.each(['1.0', '1.1'])('turns the obfuscated trace of notes %s back into the unshrunk program’s own trace', (v) => {
    const result = retraceJavaText(read(`proguard-notes-${v}.txt`), mappingOf(`proguard-notes-${v}`));
    expect(result.text).toBe(read(`proguard-notes-${v}.plain.txt`));
    expect(result.translated).toBe(4);
  });
});

describe('retraceJavaText headers', () => {
  it('translates the types of Caused by and Suppressed headers and keeps their indentation and messages', () => {
    const mapping = mappingOf('r8-notes-2.0');
    const text = 'java.lang.RuntimeException: wrapped\nCaused by: b.b: no note\n\tSuppressed: b.b\n\t... 3 more\n';
    expect(retraceJavaText(text, mapping).text).toBe(
      'java.lang.RuntimeException: wrapped\n' +
        'Caused by: com.acme.notes.data.MissingNoteException: no note\n' +
        '\tSuppressed: com.acme.notes.data.MissingNoteException\n' +
        '\t... 3 more\n',
    );
  });
});

describe('retraceJavaText and ... N more', () => {
  it('counts the elided frames in retraced lines, so the parser copies the same tail as before', () => {
    const mapping = mappingOf('r8-notes-2.0');
    const text = [
      'java.lang.RuntimeException: wrapped',
      '\tat com.acme.notes.Other.run(Other.java:5)',
      '\tat com.acme.notes.MainActivity.m(r8-map-id-7f3c2a1:3)',
      '\tat android.os.Handler.dispatchMessage(Handler.java:99)',
      'Caused by: b.b: no note',
      '\tat b.a.a(r8-map-id-7f3c2a1:2)',
      '\t... 2 more',
      '',
    ].join('\n');
    const retraced = retraceJavaText(text, mapping).text;
    // The two shared frames (m:3 and dispatchMessage) are 3 + 1 retraced lines.
    expect(retraced).toContain('\t... 4 more');
    const parsed = parseStacktrace(retraced);
    const cause = parsed.exceptions[1]!;
    expect(cause.frames.map((f) => f.function)).toEqual([
      'requireNote',
      'requireNote',
      'titleOf',
      'onCreate$lambda$0',
      'dispatchMessage',
    ]);
  });
});

describe('retraceFrame', () => {
  const mapping = mappingOf('r8-notes-2.0');

  it('expands an inlined frame into the inlined methods, innermost first, with their original lines', () => {
    expect(retraceFrame(mapping, 'com.acme.notes.MainActivity', 'm', 3)).toEqual([
      { className: 'com.acme.notes.data.NoteRepository', method: 'requireNote', file: 'NoteRepository.kt', line: 37 },
      { className: 'com.acme.notes.data.NoteRepository', method: 'titleOf', file: 'NoteRepository.kt', line: 42 },
      { className: 'com.acme.notes.MainActivity', method: 'onCreate$lambda$0', file: 'MainActivity.kt', line: 23 },
    ]);
  });

  it('maps a line inside a plain range onto the original range', () => {
    expect(retraceFrame(mapping, 'com.acme.notes.MainActivity', 'm', 6)).toEqual([
      { className: 'com.acme.notes.MainActivity', method: 'onCreate$lambda$0', file: 'MainActivity.kt', line: 25 },
    ]);
  });

  it('keeps the method name when only the class was renamed, and leaves unknown classes alone', () => {
    expect(retraceFrame(mapping, 'b.b', 'toString', 1)).toEqual([
      {
        className: 'com.acme.notes.data.MissingNoteException',
        method: 'toString',
        file: 'MissingNoteException.kt',
        line: 1,
      },
    ]);
    expect(retraceFrame(mapping, 'android.view.View', 'performClick', 7659)).toBeNull();
  });

  it('takes the first alternative when the frame has no line, and the lines without a range for a line outside every range', () => {
    expect(retraceFrame(mapping, 'com.acme.notes.MainActivity', 'm', undefined)?.[0]?.method).toBe('onCreate$lambda$0');
    const classic = parseMapping(
      'a.B -> a.a:\n    12:15:void run() -> a\n    void stop() -> b\n    void idle() -> a\n',
    );
    expect(retraceFrame(classic, 'a.a', 'a', 13)).toEqual([
      { className: 'a.B', method: 'run', file: 'B.java', line: 13 },
    ]);
    expect(retraceFrame(classic, 'a.a', 'a', 99)).toEqual([
      { className: 'a.B', method: 'idle', file: 'B.java', line: 99 },
    ]);
  });

  it('guesses the source file from the outer class when the mapping names none', () => {
    const bare = parseMapping('com.acme.Outer$Inner -> x:\n    1:1:void go():5:5 -> a\n');
    expect(retraceFrame(bare, 'x', 'a', 1, 'SourceFile')?.[0]?.file).toBe('Outer.java');
    expect(retraceFrame(bare, 'x', 'a', 1, 'Foo.kt')?.[0]?.file).toBe('Outer.kt');
  });
});

describe('retracing R8 traces from Android', () => {
  it('translates the exception type, expands inlined frames and leaves Android frames as they are', () => {
    const text = retraceJavaText(read('r8-notes-2.0.txt'), mappingOf('r8-notes-2.0')).text;
    expect(text.split('\n').slice(2, 9)).toEqual([
      'com.acme.notes.data.MissingNoteException: no note n42',
      '\tat com.acme.notes.data.NoteRepository.requireNote(NoteRepository.kt:37)',
      '\tat com.acme.notes.data.NoteRepository.titleOf(NoteRepository.kt:42)',
      '\tat com.acme.notes.MainActivity.onCreate$lambda$0(MainActivity.kt:23)',
      '\tat com.acme.notes.MainActivity$$ExternalSyntheticLambda0.onClick(R8$$SyntheticClass:0)',
      '\tat android.view.View.performClick(View.java:7659)',
      '\tat android.view.View.performClickInternal(View.java:7636)',
    ]);
  });

  it('groups two obfuscated releases of the same bug as one issue once both mappings are there, with the debug build', () => {
    const v20 = fingerprintAfterRetrace(read('r8-notes-2.0.txt'), 'b.b', mappingOf('r8-notes-2.0'));
    const v21 = fingerprintAfterRetrace(read('r8-notes-2.1.txt'), 'b.d', mappingOf('r8-notes-2.1'));
    const debug = fingerprintAfterRetrace(
      read('d8-notes-2.0-debug.txt'),
      'com.acme.notes.data.MissingNoteException',
      null,
    );
    expect(v21.fingerprint).toBe(v20.fingerprint);
    expect(debug.fingerprint).toBe(v20.fingerprint);
    expect(v20.title).toBe('com.acme.notes.data.MissingNoteException: no note');
    expect(v20.culprit).toBe('com.acme.notes.data.NoteRepository.requireNote');
    expect(v20.topInAppFrame).toMatchObject({ file: 'NoteRepository.kt', line: 37 });
  });

  it('keeps two obfuscated releases apart while their mappings are missing', () => {
    const v20 = fingerprintAfterRetrace(read('r8-notes-2.0.txt'), 'b.b', null);
    const v21 = fingerprintAfterRetrace(read('r8-notes-2.1.txt'), 'b.d', null);
    expect(v20.fingerprint).not.toBe(v21.fingerprint);
    expect(v20.title).toBe('b.b: no note');
  });

  it('groups the ProGuard releases 1.0 and 1.1 together after retracing, under the readable fingerprint', () => {
    const at = (v: string, mapping: Mapping | null) =>
      fingerprintAfterRetrace(read(`proguard-notes-${v}.txt`), 'com.acme.notes.a', mapping).fingerprint;
    expect(at('1.0', mappingOf('proguard-notes-1.0'))).toBe(at('1.1', mappingOf('proguard-notes-1.1')));
    // ProGuard happened to give both releases the same names; the readable issue is another one.
    expect(at('1.0', mappingOf('proguard-notes-1.0'))).not.toBe(at('1.0', null));
  });
});

describe('mappingKeyOf', () => {
  const subject = (stacktrace: string, runtime = 'android') => ({
    productKey: 'p',
    app: { version: '3.1.0' },
    exception: { stacktrace },
    runtime: { name: runtime },
  });

  it.each([
    ['an R8 map id in the frames', 'at a.b.c(r8-map-id-7f3c2a1:3)', 'android', { mapId: '7f3c2a1', source: 'map_id' }],
    ['ProGuard’s SourceFile', 'at a.b.c(SourceFile:3)', 'java', { mapId: '3.1.0', source: 'app_version' }],
    [
      'Android’s Unknown Source with a line',
      'at a.b.c(Unknown Source:3)',
      'android',
      { mapId: '3.1.0', source: 'app_version' },
    ],
    ['a plain JVM trace', 'at com.acme.Shop.run(Shop.java:3)', 'java', null],
    ['Unknown Source on a server JVM', 'at com.acme.Shop.run(Unknown Source:3)', 'java', null],
    [
      'Android’s own Unknown Source:0 frames',
      'at android.view.View.-$$Nest$mperformClickInternal(Unknown Source:0)',
      'android',
      null,
    ],
    ['a D8 bridge at line 0', 'at com.acme.notes.MainActivity.$r8$lambda$Xy3k(Unknown Source:0)', 'android', null],
    ['SourceFile in a library class only', 'at kotlinx.coroutines.DispatchedTask.run(SourceFile:12)', 'android', null],
  ])('reads %s', (_name, line, runtime, expected) => {
    expect(mappingKeyOf(subject(`x.Y: boom\n\t${line}\n`, runtime))).toEqual(expected);
  });

  it('needs no mapping for the unobfuscated debug build of the Android fixture', () => {
    expect(mappingKeyOf(subject(read('d8-notes-2.0-debug.txt')))).toBeNull();
  });

  it('lists each (product, map id) of a batch once and skips reports it cannot read', () => {
    const data = { productKey: 'p', app: { version: '1' }, exception: { stacktrace: 'at a.b(SourceFile:1)' } };
    expect(mappingKeysOf([{ data }, { data }, { data: { nope: true } }])).toEqual([{ productKey: 'p', mapId: '1' }]);
  });
});

describe('retraceInput', () => {
  const subject = { productKey: 'p', app: { version: '2.0' }, exception: { stacktrace: read('r8-notes-2.0.txt') } };
  const input: FingerprintInput = { type: 'b.b', stacktrace: read('r8-notes-2.0.txt') };

  it('says the mapping is missing and leaves the input as it is', () => {
    expect(retraceInput(subject, input, () => null)).toEqual({
      input,
      outcome: { status: 'missing_mapping', mapId: '7f3c2a1', source: 'map_id' },
    });
  });

  it('gives no outcome when the mapping was not looked up', () => {
    expect(retraceInput(subject, input, () => undefined)).toEqual({ input });
  });

  it('retraces the type and the text with the mapping', () => {
    const result = retraceInput(subject, input, () => mappingOf('r8-notes-2.0'));
    expect(result.input.type).toBe('com.acme.notes.data.MissingNoteException');
    expect(result.input.stacktrace).toContain('NoteRepository.requireNote(NoteRepository.kt:37)');
    expect(result.outcome).toEqual({ status: 'retraced', mapId: '7f3c2a1', source: 'map_id' });
  });
});

describe('classifyCrash with mappings', () => {
  function record(id: string, trace: string, type: string, version: string): ReportRecord<CrashDoc> {
    const doc = {
      productKey: 'prod1234',
      clientId: 'c1',
      receivedAt: new Date('2026-12-01T10:00:00Z'),
      exception: { type, message: 'no note', stacktrace: trace },
      app: { version },
      runtime: { name: 'android' },
    } as unknown as CrashDoc;
    return { path: `products/prod1234/crashes/${id}`, id, doc };
  }

  it('puts both releases into one readable issue and records the outcome on it', () => {
    const mappings: MappingLookup = (_p, mapId) =>
      mapId === '7f3c2a1' ? mappingOf('r8-notes-2.0') : mapId === '91be04d' ? mappingOf('r8-notes-2.1') : null;
    const a = classifyCrash(record('a', read('r8-notes-2.0.txt'), 'b.b', '2.0'), undefined, mappings);
    const b = classifyCrash(record('b', read('r8-notes-2.1.txt'), 'b.d', '2.1'), undefined, mappings);
    expect(a.result.fingerprint).toBe(b.result.fingerprint);
    const { issues } = reduceClassified([a, b]);
    expect(issues.size).toBe(1);
    const issue = [...issues.values()][0];
    expect(issue?.title).toBe('com.acme.notes.data.MissingNoteException: no note');
    expect(issue?.retrace).toEqual({ status: 'retraced', mapId: '91be04d', source: 'map_id' });
  });

  it('marks the issue of a crash whose mapping is missing', () => {
    const c = classifyCrash(record('c', read('r8-notes-2.0.txt'), 'b.b', '2.0'), undefined, () => null);
    const issue = [...reduceClassified([c]).issues.values()][0];
    expect(issue?.retrace).toEqual({ status: 'missing_mapping', mapId: '7f3c2a1', source: 'map_id' });
    expect(issue?.title).toBe('b.b: no note');
  });
});

describe('Android grouping rules', () => {
  it.each([
    'android.view.View',
    'androidx.fragment.app.Fragment',
    'com.android.internal.os.ZygoteInit',
    'com.android.okhttp.internal.http.HttpEngine',
    'libcore.io.IoBridge',
    'dalvik.system.VMStack',
    'org.conscrypt.ConscryptEngine',
    'com.google.android.material.button.MaterialButton',
  ])('treats %s as a library frame', (module) => {
    expect(isInAppByDefault({ module, function: 'f' }, 'java')).toBe(false);
  });

  it('keeps the app’s own classes in-app', () => {
    expect(isInAppByDefault({ module: 'com.acme.notes.MainActivity', function: 'f' }, 'java')).toBe(true);
  });

  it.each([
    ['lambda$onClick$0$com-acme-notes-MainActivity', 'lambda$onClick'],
    ['lambda$onCreate$3$com-acme-notes-ui-ListFragment', 'lambda$onCreate'],
    ['onCreate$lambda$0', 'onCreate$lambda'],
  ])('normalises the D8 lambda method %s', (name, expected) => {
    expect(normalizeFunctionName(name)).toBe(expected);
  });

  it.each([
    ['com.acme.notes.MainActivity$$ExternalSyntheticLambda0', 'com.acme.notes.MainActivity$$ExternalSyntheticLambda'],
    ['com.acme.notes.MainActivity$$ExternalSyntheticLambda12', 'com.acme.notes.MainActivity$$ExternalSyntheticLambda'],
    [
      'com.acme.notes.MainActivity$$InternalSyntheticLambda$1$5b1c',
      'com.acme.notes.MainActivity$$InternalSyntheticLambda',
    ],
  ])('normalises the synthetic lambda class %s', (name, expected) => {
    expect(normalizeModuleName(name)).toBe(expected);
  });

  it('leaves synthetic lambda classes and $r8$lambda$ bridges out of the fingerprint', () => {
    const withBridges = read('d8-notes-2.0-debug.txt');
    const without = withBridges
      .split('\n')
      .filter((line) => !line.includes('$r8$lambda$') && !line.includes('ExternalSyntheticLambda'))
      .join('\n');
    const type = 'com.acme.notes.data.MissingNoteException';
    expect(computeFingerprint({ type, stacktrace: withBridges }).fingerprint).toBe(
      computeFingerprint({ type, stacktrace: without }).fingerprint,
    );
    expect(parseStacktrace(withBridges).exceptions[0]?.frames).toHaveLength(17);
  });
});

describe('createMappingCache', () => {
  const text = read('r8-notes-2.0-mapping.txt');

  it('loads each mapping once, and asks again for a missing one only after the TTL', async () => {
    let now = 0;
    const calls: string[] = [];
    const cache = createMappingCache(
      {
        loadCompressed: async (_p, mapId) => {
          calls.push(mapId);
          return mapId === 'here' ? gzipSync(text) : null;
        },
      },
      { now: () => now },
    );
    expect(cache.lookup('p', 'here')).toBeUndefined();
    await cache.prepare([
      { productKey: 'p', mapId: 'here' },
      { productKey: 'p', mapId: 'gone' },
    ]);
    expect(cache.lookup('p', 'here')?.mapId).toBe('7f3c2a1');
    expect(cache.lookup('p', 'gone')).toBeNull();
    await cache.prepare([
      { productKey: 'p', mapId: 'here' },
      { productKey: 'p', mapId: 'gone' },
    ]);
    expect(calls).toEqual(['here', 'gone']);
    now = MISSING_MAPPING_TTL_MS + 1;
    await cache.prepare([
      { productKey: 'p', mapId: 'here' },
      { productKey: 'p', mapId: 'gone' },
    ]);
    expect(calls).toEqual(['here', 'gone', 'gone']);
  });

  it('forgets a cached "missing" at once when told a mapping was uploaded, and keeps a loaded one', async () => {
    const calls: string[] = [];
    let stored = false;
    const cache = createMappingCache({
      loadCompressed: async (_p, mapId) => {
        calls.push(mapId);
        return mapId === 'here' || stored ? gzipSync(text) : null;
      },
    });
    const keys = [
      { productKey: 'p', mapId: 'here' },
      { productKey: 'p', mapId: 'late' },
    ];
    await cache.prepare(keys);
    expect(cache.lookup('p', 'late')).toBeNull();
    stored = true;
    cache.forgetMissing('p', 'late');
    cache.forgetMissing('p', 'here');
    await cache.prepare(keys);
    expect(cache.lookup('p', 'late')?.mapId).toBe('7f3c2a1');
    expect(calls).toEqual(['here', 'late', 'late']);
  });

  it('drops the least recently used mapping when over its byte budget', async () => {
    const cache = createMappingCache({ loadCompressed: async () => gzipSync(text) }, { maxBytes: text.length * 2 });
    await cache.prepare([
      { productKey: 'p', mapId: 'a' },
      { productKey: 'p', mapId: 'b' },
    ]);
    expect(cache.lookup('p', 'a')).not.toBeUndefined();
    await cache.prepare([{ productKey: 'p', mapId: 'c' }]);
    expect(cache.lookup('p', 'b')).toBeUndefined();
    expect(cache.lookup('p', 'a')).not.toBeUndefined();
    expect(cache.lookup('p', 'c')).not.toBeUndefined();
  });
});
