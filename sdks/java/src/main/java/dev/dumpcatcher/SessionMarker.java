package dev.dumpcatcher;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Session marker files (docs/sdks.md#sessions). {@code <queueDir>/session-<clientId>.json} says a
 * session runs in a live process; a marker whose writer is gone is a session that ended without
 * the SDK seeing it end (abnormal), found at the next start.
 *
 * <p>While its session runs, the writer holds a {@link FileChannel#tryLock()} on
 * {@code session-<clientId>.lock}; the operating system releases it when the process dies,
 * however it dies, so a lock another process can take means the writer is gone. This works on
 * Java 8 and Android 21, which have no ProcessHandle; on Linux it is the POSIX record lock the
 * Python SDK takes too (fcntl.lockf). Such locks belong to the process, and closing any channel
 * of the file may drop them, so this JVM never tests the lock of its own clients' markers (it
 * knows them). Markers without a lock (the Node SDK's) are judged by the pid and process start
 * time they name, from /proc where there is one.
 */
final class SessionMarker {
  private static final Pattern MARKER = Pattern.compile("session-([A-Za-z0-9_-]{8,64})\\.json");
  private static final Pattern HOUR = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:00:00Z");
  private static final Pattern INSTALL_ID = Pattern.compile("[A-Za-z0-9_-]{8,64}");

  /** Client ids whose markers this JVM holds the lock of. */
  private static final java.util.Set<String> HELD_HERE =
      java.util.Collections.synchronizedSet(new java.util.HashSet<String>());

  private final File dir;
  private final String clientId;
  private final File file;
  private final File lockFile;
  private final Map<String, Object> self;
  private RandomAccessFile lockHandle;
  private FileLock lock;

  SessionMarker(File dir, String clientId) {
    this.dir = dir;
    this.clientId = clientId;
    this.file = new File(dir, "session-" + clientId + ".json");
    this.lockFile = new File(dir, "session-" + clientId + ".lock");
    this.self = selfIdentity();
  }

  File file() {
    return file;
  }

  /** Writes (atomically) the marker of the running session, taking the lock first. */
  void write(SessionBook.Owner owner, SessionBook.Current session, List<Map<String, Object>> carried, boolean durable)
      throws IOException {
    if (lock == null) {
      RandomAccessFile handle = new RandomAccessFile(lockFile, "rw");
      FileLock l;
      try {
        l = handle.getChannel().tryLock();
      } catch (IOException | OverlappingFileLockException e) {
        l = null;
      }
      if (l == null) {
        handle.close();
        throw new IOException("session lock " + lockFile + " is held");
      }
      lockHandle = handle;
      lock = l;
      HELD_HERE.add(clientId);
    }
    Map<String, Object> marker = new LinkedHashMap<String, Object>();
    marker.put("v", 1L);
    marker.put("started", Text.rfc3339(session.startedMs));
    Map<String, Object> app = new LinkedHashMap<String, Object>();
    app.put("name", owner.appName);
    app.put("version", owner.appVersion);
    marker.put("app", app);
    if (owner.installId != null) marker.put("installId", owner.installId);
    marker.put("environment", owner.environment);
    marker.put("errored", session.errored);
    if (session.backgroundSinceMs >= 0) marker.put("backgroundSince", Text.rfc3339(session.backgroundSinceMs));
    if (!carried.isEmpty()) marker.put("carried", carried);
    marker.put("writer", self);
    marker.put("lock", Boolean.TRUE);
    DiskQueue.writeAtomically(file, Json.write(marker).getBytes(StandardCharsets.UTF_8), durable);
  }

  /** No session runs: the marker goes, then the lock. */
  void remove() {
    if (!file.delete() && file.exists()) file.delete();
    if (lock != null) {
      lockFile.delete();
      try {
        lock.release();
        lockHandle.close();
      } catch (IOException e) {
        // Closing releases it anyway; the process end certainly does.
      }
      lock = null;
      lockHandle = null;
      HELD_HERE.remove(clientId);
    }
  }

  /**
   * Claims the markers whose writers are gone (renamed first, so that of two processes starting
   * at once only one counts each): their sessions, and the claimed files to delete once the
   * sessions are safe in a report or this client's marker.
   */
  List<SessionBook.Found> claimDead(List<File> claimedOut) {
    List<SessionBook.Found> found = new ArrayList<SessionBook.Found>();
    String[] names = dir.list();
    if (names == null) return found;
    for (String name : names) {
      Matcher m = MARKER.matcher(name);
      if (!m.matches() || m.group(1).equals(clientId) || HELD_HERE.contains(m.group(1))) continue;
      File f = new File(dir, name);
      Object parsed;
      try {
        parsed = Json.parse(new String(DiskQueue.readAll(f), StandardCharsets.UTF_8));
      } catch (IOException e) {
        continue;
      } catch (RuntimeException e) {
        parsed = null;
      }
      SessionBook.Found session = parse(parsed);
      if (session == null) {
        f.delete();
        continue;
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> marker = (Map<String, Object>) parsed;
      File otherLock = new File(dir, "session-" + m.group(1) + ".lock");
      if (Boolean.TRUE.equals(marker.get("lock"))) {
        if (lockHeld(otherLock)) continue;
      } else if (writerAlive(marker.get("writer"))) {
        continue;
      }
      File claim = new File(dir, name + "." + clientId + ".claimed");
      if (!f.renameTo(claim)) continue; // another process claimed it first
      otherLock.delete();
      found.add(session);
      claimedOut.add(claim);
    }
    return found;
  }

  /** Whether another process (or this JVM) holds the lock; a missing lock file means no writer. */
  private static boolean lockHeld(File lockFile) {
    if (!lockFile.isFile()) return false;
    RandomAccessFile handle = null;
    try {
      handle = new RandomAccessFile(lockFile, "rw");
      FileLock l = handle.getChannel().tryLock();
      if (l == null) return true;
      l.release();
      return false;
    } catch (OverlappingFileLockException e) {
      return true; // held by this JVM
    } catch (IOException e) {
      return true; // cannot tell: leave it alone
    } finally {
      if (handle != null) {
        try {
          handle.close();
        } catch (IOException ignored) {
          // Nothing held.
        }
      }
    }
  }

  /** A lock-less marker (the Node SDK's): its pid and start time against /proc, where there is one. */
  private boolean writerAlive(Object writerValue) {
    if (!(writerValue instanceof Map)) return true;
    Map<?, ?> writer = (Map<?, ?>) writerValue;
    Object boot = writer.get("bootId");
    if (boot instanceof String && self.get("bootId") instanceof String && !boot.equals(self.get("bootId"))) return false;
    if (!(writer.get("pid") instanceof Long)) return true;
    long pid = (Long) writer.get("pid");
    Object ticks = writer.get("startTicks");
    if (self.get("pid") instanceof Long && pid == (Long) self.get("pid")) {
      return !(ticks instanceof String) || !(self.get("startTicks") instanceof String) || ticks.equals(self.get("startTicks"));
    }
    if (!new File("/proc/self/stat").isFile()) return true; // no way to tell
    String now = startTicks("/proc/" + pid + "/stat");
    if (now == null) return false; // no such process
    return !(ticks instanceof String) || ticks.equals(now);
  }

  /** This process: pid, start time in clock ticks since boot and boot id, from /proc (Linux, Android). */
  private static Map<String, Object> selfIdentity() {
    Map<String, Object> me = new LinkedHashMap<String, Object>();
    String stat = read("/proc/self/stat");
    if (stat != null) {
      int space = stat.indexOf(' ');
      try {
        me.put("pid", Long.parseLong(stat.substring(0, space)));
      } catch (RuntimeException e) {
        // Not a stat line.
      }
    }
    me.put("startTicks", startTicks("/proc/self/stat"));
    me.put("bootId", read("/proc/sys/kernel/random/boot_id"));
    return me;
  }

  private static String startTicks(String statPath) {
    String stat = read(statPath);
    if (stat == null) return null;
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    int close = stat.lastIndexOf(')');
    if (close < 0 || close + 2 > stat.length()) return null;
    String[] fields = stat.substring(close + 2).split(" ");
    return fields.length > 19 && fields[19].matches("\\d+") ? fields[19] : null;
  }

  private static String read(String path) {
    try {
      String s = new String(DiskQueue.readAll(new File(path)), StandardCharsets.UTF_8).trim();
      return s.isEmpty() ? null : s;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** A marker's session, or null when it is not a marker this SDK family wrote. */
  static SessionBook.Found parse(Object value) {
    if (!(value instanceof Map)) return null;
    Map<?, ?> m = (Map<?, ?>) value;
    if (!Long.valueOf(1).equals(m.get("v")) || !(m.get("app") instanceof Map) || !(m.get("writer") instanceof Map)) return null;
    Map<?, ?> app = (Map<?, ?>) m.get("app");
    Long started = m.get("started") instanceof String ? Text.parseRfc3339((String) m.get("started")) : null;
    Object install = m.get("installId");
    Long background = null;
    if (m.containsKey("backgroundSince")) {
      background = m.get("backgroundSince") instanceof String ? Text.parseRfc3339((String) m.get("backgroundSince")) : null;
      if (background == null) return null;
    }
    List<Map<String, Object>> carried = buckets(m.get("carried"));
    if (started == null || !(app.get("name") instanceof String) || !(app.get("version") instanceof String)
        || (install != null && !(install instanceof String && INSTALL_ID.matcher((String) install).matches()))
        || carried == null) {
      return null;
    }
    // Markers of SDKs from before environments have none: their sessions ran in production.
    Object environment = m.get("environment");
    if (environment != null && !(environment instanceof String)) return null;
    SessionBook.Owner owner = new SessionBook.Owner((String) app.get("name"), (String) app.get("version"), (String) install,
        environment == null ? Client.DEFAULT_ENVIRONMENT : (String) environment);
    return new SessionBook.Found(owner, started, Boolean.TRUE.equals(m.get("errored")), background, carried);
  }

  /** Buckets as the wire writes them (also the vectors' carried), or null when malformed. */
  static List<Map<String, Object>> buckets(Object value) {
    List<Map<String, Object>> out = new ArrayList<Map<String, Object>>();
    if (value == null) return out;
    if (!(value instanceof List)) return null;
    for (Object o : (List<?>) value) {
      if (!(o instanceof Map)) return null;
      Map<?, ?> b = (Map<?, ?>) o;
      if (!(b.get("started") instanceof String) || !HOUR.matcher((String) b.get("started")).matches()) return null;
      Map<String, Object> bucket = new LinkedHashMap<String, Object>();
      bucket.put("started", b.get("started"));
      for (String s : SessionBook.STATUSES) {
        if (!(b.get(s) instanceof Long) || (Long) b.get(s) < 0) return null;
        bucket.put(s, b.get(s));
      }
      out.add(bucket);
    }
    return out;
  }
}
