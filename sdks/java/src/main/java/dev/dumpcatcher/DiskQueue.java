package dev.dumpcatcher;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The write-before-send queue: one JSON file per report, written atomically, oldest first. */
public final class DiskQueue {
  private static final Pattern REPORT_FILE =
      Pattern.compile("(\\d{1,19})-([A-Za-z0-9_-]{8,64})-(\\d{1,16})\\.json");
  /** A *.tmp younger than this may belong to a writer in another process. */
  private static final long TMP_GRACE_MS = 60_000L;
  private final Path dir;
  private final int maxFiles;
  private final long maxBytes;
  private final long maxAgeMillis;
  /**
   * The files this process knows of (its own writes and the last scan of the folder), so that
   * the hot path needs no directory listing; {@link #rescan} brings it in line with the disk.
   */
  private final ConcurrentHashMap<String, Entry> index = new ConcurrentHashMap<>();

  /** A queue in dir with the three bounds of docs/sdks.md. */
  public DiskQueue(Path dir, int maxFiles, long maxBytes, long maxAgeSeconds) {
    this.dir = dir;
    this.maxFiles = maxFiles;
    this.maxBytes = maxBytes;
    this.maxAgeMillis = maxAgeSeconds * 1000L;
  }

  /** The queue folder. */
  public Path dir() {
    return dir;
  }

  /**
   * Writes the report's file atomically (temp file, rename) without an fsync, and returns its path.
   * docs/sdks.md lets a report the app captured itself skip the fsync: it only guards against power
   * loss or an OS crash, and a dying process never loses what it wrote.
   */
  public Path write(QueuedReport report) throws IOException {
    return write(report, false);
  }

  /**
   * Writes the report's file atomically: a new temp file in the folder, then an atomic rename;
   * durable (the uncaught-exception path) adds an fdatasync before the rename. No file is kept
   * open afterwards.
   */
  public Path write(QueuedReport report, boolean durable) throws IOException {
    String name = report.fileName();
    Path target = dir.resolve(name);
    byte[] bytes = report.toFileJson().getBytes(StandardCharsets.UTF_8);
    writeFresh(target, bytes, durable);
    Entry e = new Entry(target, report.createdAtMillis(), report.counter());
    e.size = bytes.length;
    e.report = report;
    index.put(name, e);
    return target;
  }

  /** Writes a new temp file and renames it to target. */
  private void writeFresh(Path target, byte[] bytes, boolean durable) throws IOException {
    Path tmp = dir.resolve(target.getFileName().toString() + "." + Long.toHexString(System.nanoTime()) + ".tmp");
    FileChannel ch;
    try {
      ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    } catch (NoSuchFileException e) {
      // The folder was removed while the app ran.
      Files.createDirectories(dir);
      ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }
    try {
      try {
        writeFully(ch, bytes);
        if (durable) force(ch);
      } finally {
        ch.close();
      }
      move(tmp, target);
    } catch (IOException | RuntimeException e) {
      deleteQuietly(tmp);
      throw e;
    }
  }

  private static void writeFully(FileChannel ch, byte[] bytes) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    while (buf.hasRemaining()) ch.write(buf);
  }

  private static void force(FileChannel ch) {
    try {
      // fdatasync: the content and the size reach the disk, which is all a reader needs.
      ch.force(false);
    } catch (IOException e) {
      // fsync where the platform allows; the rename still keeps readers from a half file.
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** A report was delivered (or dropped for good): its file is deleted at once. */
  void delivered(Entry entry) {
    index.remove(entry.path.getFileName().toString(), entry);
    deleteQuietly(entry.path);
  }

  /** Kept for the client's shutdown path: nothing is held open between calls, so nothing to release. */
  void close() {}

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException | RuntimeException e) {
      // Left for the leftover-temp sweep.
    }
  }

  /** Writes bytes to target through a temp file in the same folder and an atomic rename; durable adds an fsync. */
  static void writeAtomically(Path target, byte[] bytes, boolean durable) throws IOException {
    Path folder = target.getParent();
    if (!Files.isDirectory(folder)) Files.createDirectories(folder);
    Path tmp = folder.resolve(target.getFileName().toString() + "." + Long.toHexString(System.nanoTime()) + ".tmp");
    try {
      FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      try {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) ch.write(buf);
        if (durable) {
          try {
            // fdatasync: the content and the size reach the disk, which is all a reader needs.
            ch.force(false);
          } catch (IOException e) {
            // fsync where the platform allows; the rename below still keeps readers from a half file.
          }
        }
      } finally {
        ch.close();
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
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
    if (r == null) index.remove(entry.path.getFileName().toString());
    return r;
  }

  /** Report files on disk, oldest first (by creation time in the name, then counter). */
  public List<Path> list() {
    List<Entry> entries = entries();
    List<Path> out = new ArrayList<>(entries.size());
    for (Entry e : entries) out.add(e.path);
    return out;
  }

  private List<Entry> entries() {
    List<Entry> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) return out;
    // No glob: the JDK matches each name against a regex, which costs more than the listing.
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      for (Path p : stream) {
        String name = p.getFileName().toString();
        if (!name.endsWith(".json")) continue;
        Matcher m = REPORT_FILE.matcher(name);
        if (!m.matches()) continue;
        try {
          out.add(new Entry(p, Long.parseLong(m.group(1)), Long.parseLong(m.group(3))));
        } catch (NumberFormatException e) {
          // A name with an absurd number is not one of ours.
        }
      }
    } catch (IOException | RuntimeException e) {
      return out;
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
        return a.path.getFileName().toString().compareTo(b.path.getFileName().toString());
      }
    });
  }

  private static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9_-]{8,64}");
  /** 2^53-1, the largest counter the protocol allows. */
  private static final long MAX_COUNTER = 9007199254740991L;

  /** Reads a queue file; returns null (after deleting it) when it cannot be parsed, null if it is gone. */
  public QueuedReport read(Path file) {
    String text;
    try {
      text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
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
      Matcher m = REPORT_FILE.matcher(file.getFileName().toString());
      // The checks of test/vectors/files-v1.json, as in the Node and Python SDKs.
      if (!Long.valueOf(1).equals(obj.get("v")) || !("/v1/crashes".equals(path) || "/v1/usage".equals(path))
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
  public void delete(Path file) {
    index.remove(file.getFileName().toString());
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // Nothing useful to do: it will be tried again or aged out.
    }
  }

  /** Removes leftover *.tmp files that no live writer can own. */
  public void removeLeftoverTemp(long nowMillis) {
    if (!Files.isDirectory(dir)) return;
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      for (Path p : stream) {
        String name = p.getFileName().toString();
        if (!name.endsWith(".tmp")) continue;
        try {
          if (nowMillis - Files.getLastModifiedTime(p).toMillis() >= TMP_GRACE_MS) Files.deleteIfExists(p);
        } catch (IOException e) {
          // Gone already, or not ours to delete.
        }
      }
    } catch (IOException | RuntimeException e) {
      // Best effort.
    }
  }

  /** Bounds check for the hot path: scans the folder only when the known files exceed a bound. */
  void enforceBoundsQuickly(long nowMillis) {
    if (index.size() <= maxFiles) {
      long total = 0;
      for (Entry e : index.values()) total += e.size;
      if (total <= maxBytes) return;
    }
    enforceBounds(nowMillis);
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
      Entry known = index.get(e.path.getFileName().toString());
      if (known != null) {
        // The same object, so that its cached report stays with it.
        e = known;
      } else {
        try {
          e.size = Files.size(e.path);
        } catch (IOException ex) {
          continue;
        }
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
    for (int j = i; j < kept.size(); j++) fresh.put(kept.get(j).path.getFileName().toString(), kept.get(j));
    for (Map.Entry<String, Entry> known : index.entrySet()) {
      // A file written while the folder was being listed is not in fresh but must stay known.
      if (!fresh.containsKey(known.getKey()) && !Files.exists(known.getValue().path)) {
        index.remove(known.getKey(), known.getValue());
      }
    }
    // A write that raced the listing has put its own entry (with its content): it stays.
    for (Map.Entry<String, Entry> e : fresh.entrySet()) index.putIfAbsent(e.getKey(), e.getValue());
    return dropped;
  }

  /** One report file: its name's parts, its size, and its content when this process wrote it. */
  static final class Entry {
    final Path path;
    final long createdAt;
    final long counter;
    volatile long size;
    volatile QueuedReport report;
    Entry(Path path, long createdAt, long counter) {
      this.path = path;
      this.createdAt = createdAt;
      this.counter = counter;
    }
  }
}
