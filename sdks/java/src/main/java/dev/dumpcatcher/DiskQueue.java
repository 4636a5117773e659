package dev.dumpcatcher;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The write-before-send queue: one JSON file per report, written atomically, oldest first.
 * Only java.io.File and FileOutputStream/FileChannel are used (no java.nio.file), so that the SDK
 * runs on Android API 21.
 */
public final class DiskQueue {
  private static final Pattern REPORT_FILE =
      Pattern.compile("(\\d{1,19})-([A-Za-z0-9_-]{8,64})-(\\d{1,16})\\.json");
  /** A *.tmp younger than this may belong to a writer in another process. */
  private static final long TMP_GRACE_MS = 60_000L;
  private final File dir;
  private final int maxFiles;
  private final long maxBytes;
  private final long maxAgeMillis;
  /**
   * The files this process knows of (its own writes and the last scan of the folder), so that
   * the hot path needs no directory listing; {@link #rescan} brings it in line with the disk.
   */
  private final ConcurrentHashMap<String, Entry> index = new ConcurrentHashMap<>();

  /** A queue in dir with the three bounds of docs/sdks.md. */
  public DiskQueue(File dir, int maxFiles, long maxBytes, long maxAgeSeconds) {
    this.dir = dir;
    this.maxFiles = maxFiles;
    this.maxBytes = maxBytes;
    this.maxAgeMillis = maxAgeSeconds * 1000L;
  }

  /** The queue folder. */
  public File dir() {
    return dir;
  }

  /**
   * Writes the report's file atomically (temp file, rename) without an fsync, and returns its path.
   * docs/sdks.md lets a report the app captured itself skip the fsync: it only guards against power
   * loss or an OS crash, and a dying process never loses what it wrote.
   */
  public File write(QueuedReport report) throws IOException {
    return write(report, false);
  }

  /**
   * Writes the report's file atomically: a new temp file in the folder, then an atomic rename;
   * durable (the uncaught-exception path) adds an fdatasync before the rename. No file is kept
   * open afterwards.
   */
  public File write(QueuedReport report, boolean durable) throws IOException {
    String name = report.fileName();
    File target = new File(dir, name);
    byte[] bytes = report.toFileJson().getBytes(StandardCharsets.UTF_8);
    writeFresh(target, bytes, durable);
    Entry e = new Entry(target, report.createdAtMillis(), report.counter());
    e.size = bytes.length;
    e.report = report;
    index.put(name, e);
    return target;
  }

  /** Writes a new temp file and renames it to target. */
  private void writeFresh(File target, byte[] bytes, boolean durable) throws IOException {
    File tmp = new File(dir, target.getName() + "." + Long.toHexString(System.nanoTime()) + ".tmp");
    if (!createNew(tmp)) {
      // The folder was removed while the app ran.
      makeDirs(dir);
      if (!createNew(tmp)) throw new IOException("cannot create " + tmp);
    }
    writeAndRename(tmp, target, bytes, durable);
  }

  /** Creates an empty file that did not exist (CREATE_NEW); false when its folder is missing or it exists. */
  private static boolean createNew(File f) {
    try {
      return f.createNewFile();
    } catch (IOException e) {
      return false;
    }
  }

  /** Creates dir and its parents (a folder already there is fine), or throws. */
  static void makeDirs(File dir) throws IOException {
    if (dir.isDirectory()) return;
    if (!dir.mkdirs() && !dir.isDirectory()) throw new IOException("cannot create the folder " + dir);
  }

  /** Fills the new file tmp, fsyncs it when durable, renames it to target; tmp is deleted on failure. */
  private static void writeAndRename(File tmp, File target, byte[] bytes, boolean durable) throws IOException {
    try {
      FileOutputStream out = new FileOutputStream(tmp);
      try {
        out.write(bytes);
        if (durable) force(out);
      } finally {
        out.close();
      }
      move(tmp, target);
    } catch (IOException | RuntimeException e) {
      deleteQuietly(tmp);
      throw e;
    }
  }

  private static void force(FileOutputStream out) {
    try {
      // fdatasync: the content and the size reach the disk, which is all a reader needs.
      out.getChannel().force(false);
    } catch (IOException e) {
      // fsync where the platform allows; the rename still keeps readers from a half file.
    }
  }

  /**
   * Renames from to to in the same folder: rename(2) on Linux, macOS and Android, which replaces
   * to atomically. Where a rename cannot replace (Windows), to is deleted first and the rename
   * tried once more.
   */
  private static void move(File from, File to) throws IOException {
    if (from.renameTo(to)) return;
    if (to.exists() && to.delete() && from.renameTo(to)) return;
    throw new IOException("cannot rename " + from + " to " + to);
  }

  /** The whole content of a file; FileNotFoundException when it is missing. */
  static byte[] readAll(File file) throws IOException {
    FileInputStream in = new FileInputStream(file);
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(Math.max(file.length(), 64), 1 << 20));
      byte[] buf = new byte[8192];
      int n;
      while ((n = in.read(buf)) != -1) out.write(buf, 0, n);
      return out.toByteArray();
    } finally {
      in.close();
    }
  }

  /** A report was delivered (or dropped for good): its file is deleted at once. */
  void delivered(Entry entry) {
    index.remove(entry.path.getName(), entry);
    deleteQuietly(entry.path);
  }

  /** Kept for the client's shutdown path: nothing is held open between calls, so nothing to release. */
  void close() {}

  private static void deleteQuietly(File f) {
    try {
      f.delete();
    } catch (RuntimeException e) {
      // Left for the leftover-temp sweep.
    }
  }

  /** Writes bytes to target through a temp file in the same folder and an atomic rename; durable adds an fsync. */
  static void writeAtomically(File target, byte[] bytes, boolean durable) throws IOException {
    File folder = target.getAbsoluteFile().getParentFile();
    makeDirs(folder);
    File tmp = new File(folder, target.getName() + "." + Long.toHexString(System.nanoTime()) + ".tmp");
    if (!createNew(tmp)) throw new IOException("cannot create " + tmp);
    writeAndRename(tmp, target, bytes, durable);
  }

  /** The known report files, oldest first, without touching the disk. */
  List<Entry> pending() {
    List<Entry> out = new ArrayList<>(index.values());
    sort(out);
    return out;
  }

  /** The report of a known entry: from memory when this process wrote it, else from its file. */
  QueuedReport read(Entry entry) {
    QueuedReport cached = entry.report;
    if (cached != null) return cached;
    QueuedReport r = read(entry.path);
    if (r == null) index.remove(entry.path.getName());
    return r;
  }

  /** Report files on disk, oldest first (by creation time in the name, then counter). */
  public List<File> list() {
    List<Entry> entries = entries();
    List<File> out = new ArrayList<>(entries.size());
    for (Entry e : entries) out.add(e.path);
    return out;
  }

  private List<Entry> entries() {
    List<Entry> out = new ArrayList<>();
    String[] names;
    try {
      // Null when the folder is missing or cannot be read.
      names = dir.list();
    } catch (RuntimeException e) {
      return out;
    }
    if (names == null) return out;
    for (String name : names) {
      if (!name.endsWith(".json")) continue;
      Matcher m = REPORT_FILE.matcher(name);
      if (!m.matches()) continue;
      try {
        out.add(new Entry(new File(dir, name), Long.parseLong(m.group(1)), Long.parseLong(m.group(3))));
      } catch (NumberFormatException e) {
        // A name with an absurd number is not one of ours.
      }
    }
    sort(out);
    return out;
  }

  private static void sort(List<Entry> out) {
    Collections.sort(out, new Comparator<Entry>() {
      @Override
      public int compare(Entry a, Entry b) {
        if (a.createdAt != b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
        if (a.counter != b.counter) return a.counter < b.counter ? -1 : 1;
        return a.path.getName().compareTo(b.path.getName());
      }
    });
  }

  private static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9_-]{8,64}");
  /** 2^53-1, the largest counter the protocol allows. */
  private static final long MAX_COUNTER = 9007199254740991L;

  /** Reads a queue file; returns null (after deleting it) when it cannot be parsed, null if it is gone. */
  public QueuedReport read(File file) {
    String text;
    try {
      text = new String(readAll(file), StandardCharsets.UTF_8);
    } catch (FileNotFoundException e) {
      return null;
    } catch (IOException e) {
      return null;
    }
    try {
      Map<String, String> raw = new LinkedHashMap<>();
      Map<String, Object> obj = Json.parseObjectKeepingRaw(text, raw);
      Object path = obj.get("path");
      Object clientId = obj.get("clientId");
      Object counter = obj.get("counter");
      String body = raw.get("body");
      Matcher m = REPORT_FILE.matcher(file.getName());
      // The checks of test/vectors/files-v1.json, as in the Node and Python SDKs.
      if (!Long.valueOf(1).equals(obj.get("v")) || !("/v1/crashes".equals(path) || "/v1/usage".equals(path) || "/v1/sessions".equals(path))
          || !(clientId instanceof String) || !CLIENT_ID.matcher((String) clientId).matches()
          || !(counter instanceof Long) || (Long) counter < 1 || (Long) counter > MAX_COUNTER
          || !(obj.get("createdAt") instanceof String)
          || body == null || !(obj.get("body") instanceof Map) || !m.matches()) {
        throw new Json.ParseException("not a queue file");
      }
      return new QueuedReport((String) path, (String) clientId, (Long) counter,
          Long.parseLong(m.group(1)), body);
    } catch (RuntimeException e) {
      delete(file);
      return null;
    }
  }

  /** Deletes a report file; a missing file is fine. */
  public void delete(File file) {
    index.remove(file.getName());
    try {
      file.delete();
    } catch (RuntimeException e) {
      // Nothing useful to do: it will be tried again or aged out.
    }
  }

  /** Removes leftover *.tmp files that no live writer can own. */
  public void removeLeftoverTemp(long nowMillis) {
    try {
      String[] names = dir.list();
      if (names == null) return;
      for (String name : names) {
        if (!name.endsWith(".tmp")) continue;
        File f = new File(dir, name);
        // lastModified is 0 for a file already gone; deleting it again is harmless.
        long modified = f.lastModified();
        if (modified != 0 && nowMillis - modified >= TMP_GRACE_MS) f.delete();
      }
    } catch (RuntimeException e) {
      // Best effort.
    }
  }

  /** Bounds check for the hot path: scans the folder only when the known files exceed a bound; returns how many were dropped. */
  int enforceBoundsQuickly(long nowMillis) {
    if (index.size() <= maxFiles) {
      long total = 0;
      for (Entry e : index.values()) total += e.size;
      if (total <= maxBytes) return 0;
    }
    return enforceBounds(nowMillis);
  }

  /**
   * Scans the folder (picking up what other runs left), drops reports older than the age bound,
   * then the oldest until count and bytes fit; returns how many were dropped.
   */
  public int enforceBounds(long nowMillis) {
    List<Entry> entries = entries();
    int dropped = 0;
    long total = 0;
    List<Entry> kept = new ArrayList<>(entries.size());
    for (Entry e : entries) {
      if (nowMillis - e.createdAt > maxAgeMillis) {
        delete(e.path);
        dropped++;
        continue;
      }
      Entry known = index.get(e.path.getName());
      if (known != null) {
        // The same object, so that its cached report stays with it.
        e = known;
      } else {
        long size = e.path.length();
        // 0 is also what a file deleted since the listing gives.
        if (size == 0 && !e.path.isFile()) continue;
        e.size = size;
      }
      total += e.size;
      kept.add(e);
    }
    int i = 0;
    while (i < kept.size() && (kept.size() - i > maxFiles || total > maxBytes)) {
      Entry e = kept.get(i++);
      delete(e.path);
      total -= e.size;
      dropped++;
    }
    Map<String, Entry> fresh = new LinkedHashMap<>();
    for (int j = i; j < kept.size(); j++) fresh.put(kept.get(j).path.getName(), kept.get(j));
    for (Map.Entry<String, Entry> known : index.entrySet()) {
      // A file written while the folder was being listed is not in fresh but must stay known.
      if (!fresh.containsKey(known.getKey()) && !known.getValue().path.exists()) {
        index.remove(known.getKey(), known.getValue());
      }
    }
    // A write that raced the listing has put its own entry (with its content): it stays.
    for (Map.Entry<String, Entry> e : fresh.entrySet()) index.putIfAbsent(e.getKey(), e.getValue());
    return dropped;
  }

  /** One report file: its name's parts, its size, and its content when this process wrote it. */
  static final class Entry {
    final File path;
    final long createdAt;
    final long counter;
    volatile long size;
    volatile QueuedReport report;
    Entry(File path, long createdAt, long counter) {
      this.path = path;
      this.createdAt = createdAt;
      this.counter = counter;
    }
  }
}
