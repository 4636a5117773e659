package dev.dumpcatcher;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The client-side crash limiter: at most N reports per local fingerprint per window, with its
 * state in {@code <queueDir>/limiter.json} so that a crash loop across restarts is limited too.
 */
public final class Limiter {
  /** The state file's name inside the queue folder. */
  public static final String FILE_NAME = "limiter.json";
  private static final int MAX_ENTRIES = 1000;

  private final File file;
  private final int maxPerWindow;
  private final long windowMillis;
  private final Map<String, long[]> state;
  private boolean dirty;

  /** A limiter persisted in queueDir/limiter.json; the file is read once, here. */
  public Limiter(File queueDir, int maxPerWindow, long windowSeconds) {
    this.file = new File(queueDir, FILE_NAME);
    this.maxPerWindow = maxPerWindow;
    this.windowMillis = windowSeconds * 1000L;
    this.state = load();
  }

  /**
   * Counts one report with this fingerprint and says whether it may be enqueued. The count is
   * kept in memory; {@link #persist()} writes it (the sender does so on its next pass, and the
   * uncaught-exception path at once, before the process dies).
   */
  public synchronized boolean tryAcquire(String fingerprint, long nowMillis) {
    Iterator<Map.Entry<String, long[]>> it = state.entrySet().iterator();
    while (it.hasNext()) {
      long start = it.next().getValue()[0];
      // A window starting in the future means the clock went back: it would never end.
      if (nowMillis - start >= windowMillis || start > nowMillis) {
        it.remove();
        dirty = true;
      }
    }
    long[] entry = state.get(fingerprint);
    if (entry == null) {
      entry = new long[] {nowMillis, 0};
      state.put(fingerprint, entry);
    }
    if (entry[1] >= maxPerWindow) return false;
    entry[1]++;
    dirty = true;
    while (state.size() > MAX_ENTRIES) {
      // The window that started first goes, as in the other SDKs.
      String oldest = null;
      long oldestStart = Long.MAX_VALUE;
      for (Map.Entry<String, long[]> e : state.entrySet()) {
        if (e.getValue()[0] < oldestStart) {
          oldest = e.getKey();
          oldestStart = e.getValue()[0];
        }
      }
      state.remove(oldest);
    }
    return true;
  }

  /** Writes limiter.json (without an fsync) if a count changed since the last write. */
  public void persist() {
    persist(false);
  }

  /** Writes limiter.json if a count changed since the last write; durable adds an fsync (the uncaught path). */
  public void persist(boolean durable) {
    String text;
    synchronized (this) {
      if (!dirty) return;
      dirty = false;
      text = serialise();
    }
    try {
      DiskQueue.writeAtomically(file, text.getBytes(StandardCharsets.UTF_8), durable);
    } catch (IOException | RuntimeException e) {
      // Limiting in memory still works for this process.
    }
  }

  private Map<String, long[]> load() {
    Map<String, long[]> state = new LinkedHashMap<>();
    try {
      if (!file.isFile()) return state;
      Object parsed = Json.parse(new String(DiskQueue.readAll(file), StandardCharsets.UTF_8));
      if (!(parsed instanceof Map)) return state;
      // The layout the Node and Python SDKs write too: one queue folder can be shared by all three.
      Object windows = ((Map<?, ?>) parsed).get("windows");
      if (!(windows instanceof Map)) return state;
      for (Map.Entry<?, ?> e : ((Map<?, ?>) windows).entrySet()) {
        if (!(e.getValue() instanceof Map)) continue;
        Object start = ((Map<?, ?>) e.getValue()).get("start");
        Object count = ((Map<?, ?>) e.getValue()).get("count");
        if (start instanceof Number && count instanceof Number) {
          state.put(String.valueOf(e.getKey()), new long[] {((Number) start).longValue(), ((Number) count).longValue()});
        }
      }
    } catch (IOException | RuntimeException e) {
      // A broken state file starts the count afresh rather than blocking every report.
    }
    return state;
  }

  private String serialise() {
    StringBuilder out = new StringBuilder(64 + state.size() * 96);
    out.append("{\"v\":1,\"windows\":{");
    boolean first = true;
    for (Map.Entry<String, long[]> e : state.entrySet()) {
      if (!first) out.append(',');
      first = false;
      Json.writeString(out, e.getKey());
      out.append(":{\"start\":").append(e.getValue()[0]).append(",\"count\":").append(e.getValue()[1]).append('}');
    }
    return out.append("}}").toString();
  }

  /**
   * The local fingerprint: SHA-256 of the given fingerprint, or of type + "\n" + the first five
   * stack frame lines with digits removed.
   */
  public static String localFingerprint(String type, String stacktrace, String fingerprint) {
    String basis;
    if (fingerprint != null && !fingerprint.isEmpty()) {
      basis = "fingerprint\n" + fingerprint;
    } else {
      StringBuilder b = new StringBuilder(type == null ? "" : type);
      int frames = 0;
      int start = 0;
      String s = stacktrace == null ? "" : stacktrace;
      while (frames < 5 && start < s.length()) {
        int end = s.indexOf('\n', start);
        if (end < 0) end = s.length();
        String line = s.substring(start, end).trim();
        if (line.startsWith("at ")) {
          b.append('\n');
          for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c < '0' || c > '9') b.append(c);
          }
          frames++;
        }
        start = end + 1;
      }
      basis = b.toString();
    }
    return Signer.sha256Hex(basis.getBytes(StandardCharsets.UTF_8));
  }
}
