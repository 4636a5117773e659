package dev.dumpcatcher;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Release health sessions (docs/sdks.md#sessions): which session runs and how the ended ones
 * become /v1/sessions report bodies. Plain state, no I/O, not thread-safe (the client locks);
 * checked against test/vectors/sessions-v1.json.
 */
final class SessionBook {
  /** Background time after which coming back to the foreground starts a new session (Sentry's rule). */
  static final long BACKGROUND_SESSION_MS = 30_000L;
  /** Buckets per report at most (the wire allows 1 to 100). */
  static final int MAX_BUCKETS = 100;
  static final String[] STATUSES = {"ok", "errored", "crashed", "abnormal"};

  /** The release and install a session belongs to. */
  static final class Owner {
    final String appName;
    final String appVersion;
    final String installId;
    final String environment;

    Owner(String appName, String appVersion, String installId, String environment) {
      this.appName = appName;
      this.appVersion = appVersion;
      this.installId = installId;
      this.environment = environment;
    }

    boolean same(Owner o) {
      return appName.equals(o.appName) && appVersion.equals(o.appVersion)
          && (installId == null ? o.installId == null : installId.equals(o.installId))
          && environment.equals(o.environment);
    }

    /** A report body without reportId and occurredAt. */
    Map<String, Object> part(List<Map<String, Object>> sessions) {
      Map<String, Object> app = new LinkedHashMap<String, Object>();
      app.put("name", appName);
      app.put("version", appVersion);
      Map<String, Object> body = new LinkedHashMap<String, Object>();
      body.put("app", app);
      if (installId != null) body.put("installId", installId);
      body.put("environment", environment);
      body.put("sessions", sessions);
      return body;
    }
  }

  /** A session an earlier process left behind (its marker's writer is gone). */
  static final class Found {
    final Owner owner;
    final long startedMs;
    final boolean errored;
    /** Null unless that process was in the background (Android): killed there, it ended normally. */
    final Long backgroundSinceMs;
    final List<Map<String, Object>> carried;

    Found(Owner owner, long startedMs, boolean errored, Long backgroundSinceMs, List<Map<String, Object>> carried) {
      this.owner = owner;
      this.startedMs = startedMs;
      this.errored = errored;
      this.backgroundSinceMs = backgroundSinceMs;
      this.carried = carried;
    }
  }

  /** The running session. */
  static final class Current {
    final long startedMs;
    boolean errored;
    /** -1 while in the foreground. */
    long backgroundSinceMs = -1;

    Current(long startedMs) {
      this.startedMs = startedMs;
    }
  }

  final Owner owner;
  private Current current;
  private List<Map<String, Object>> carried = new ArrayList<Map<String, Object>>();

  SessionBook(Owner owner) {
    this.owner = owner;
  }

  Current current() {
    return current;
  }

  List<Map<String, Object>> carried() {
    return carried;
  }

  /** The start of the UTC hour of ms, as the wire writes it: YYYY-MM-DDTHH:00:00Z. */
  static String hourStart(long ms) {
    return Text.rfc3339(Math.floorDiv(ms, 3_600_000L) * 3_600_000L).substring(0, 13) + ":00:00Z";
  }

  /** buckets with count more sessions of status in started's bucket, sorted by hour. */
  static List<Map<String, Object>> add(List<Map<String, Object>> buckets, String started, String status, long count) {
    List<Map<String, Object>> out = new ArrayList<Map<String, Object>>();
    Map<String, Object> bucket = null;
    for (Map<String, Object> b : buckets) {
      Map<String, Object> copy = new LinkedHashMap<String, Object>(b);
      out.add(copy);
      if (started.equals(copy.get("started"))) bucket = copy;
    }
    if (bucket == null) {
      bucket = new LinkedHashMap<String, Object>();
      bucket.put("started", started);
      for (String s : STATUSES) bucket.put(s, 0L);
      out.add(bucket);
    }
    bucket.put(status, ((Number) bucket.get(status)).longValue() + count);
    Collections.sort(out, new Comparator<Map<String, Object>>() {
      @Override
      public int compare(Map<String, Object> a, Map<String, Object> b) {
        return ((String) a.get("started")).compareTo((String) b.get("started"));
      }
    });
    return out;
  }

  static List<Map<String, Object>> merge(List<Map<String, Object>> into, List<Map<String, Object>> more) {
    List<Map<String, Object>> out = into;
    for (Map<String, Object> b : more) {
      for (String s : STATUSES) {
        long n = ((Number) b.get(s)).longValue();
        if (n > 0) out = add(out, (String) b.get("started"), s, n);
      }
    }
    return out;
  }

  /**
   * Takes the sessions earlier processes left: this release and install's ride with the running
   * session's report (when one runs); the others are returned, one report per release and
   * install, to be written now.
   */
  List<Map<String, Object>> found(List<Found> sessions) {
    List<Owner> owners = new ArrayList<Owner>();
    List<List<Map<String, Object>>> groups = new ArrayList<List<Map<String, Object>>>();
    for (Found s : sessions) {
      String status = s.backgroundSinceMs != null ? (s.errored ? "errored" : "ok") : "abnormal";
      List<Map<String, Object>> buckets = add(s.carried, hourStart(s.startedMs), status, 1);
      if (current != null && s.owner.same(owner)) {
        carried = merge(carried, buckets);
        continue;
      }
      int i = 0;
      while (i < owners.size() && !owners.get(i).same(s.owner)) i++;
      if (i == owners.size()) {
        owners.add(s.owner);
        groups.add(new ArrayList<Map<String, Object>>());
      }
      groups.set(i, merge(groups.get(i), buckets));
    }
    List<Map<String, Object>> out = new ArrayList<Map<String, Object>>();
    for (int i = 0; i < owners.size(); i++) out.add(owners.get(i).part(groups.get(i)));
    return out;
  }

  /** Starts a session at nowMs, ending the running one first (its report is returned, else null). */
  Map<String, Object> start(long nowMs) {
    Map<String, Object> previous = current != null ? end("ok") : null;
    current = new Current(nowMs);
    return previous;
  }

  /** A handled error was captured; true when this changed the running session. */
  boolean markErrored() {
    if (current == null || current.errored) return false;
    current.errored = true;
    return true;
  }

  /** Ends the running session (ok becomes errored after a handled error); the report, or null when there is nothing to send. */
  Map<String, Object> end(String status) {
    List<Map<String, Object>> sessions = carried;
    if (current != null) {
      String fin = "ok".equals(status) && current.errored ? "errored" : status;
      sessions = add(sessions, hourStart(current.startedMs), fin, 1);
    }
    current = null;
    carried = new ArrayList<Map<String, Object>>();
    return sessions.isEmpty() ? null : owner.part(sessions);
  }

  /** The app went to the background at nowMs. */
  void background(long nowMs) {
    if (current != null && current.backgroundSinceMs < 0) current.backgroundSinceMs = nowMs;
  }

  /** Back at nowMs: after BACKGROUND_SESSION_MS or more the session ends (returned) and a new one starts. */
  Map<String, Object> foreground(long nowMs) {
    if (current == null || current.backgroundSinceMs < 0) return null;
    if (nowMs - current.backgroundSinceMs < BACKGROUND_SESSION_MS) {
      current.backgroundSinceMs = -1;
      return null;
    }
    Map<String, Object> ended = end("ok");
    current = new Current(nowMs);
    return ended;
  }

  /** whole cut into reports of at most MAX_BUCKETS buckets (one report almost always). */
  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> split(Map<String, Object> whole) {
    List<Map<String, Object>> sessions = (List<Map<String, Object>>) whole.get("sessions");
    List<Map<String, Object>> out = new ArrayList<Map<String, Object>>();
    for (int i = 0; i < sessions.size(); i += MAX_BUCKETS) {
      Map<String, Object> part = new LinkedHashMap<String, Object>(whole);
      part.put("sessions", new ArrayList<Map<String, Object>>(sessions.subList(i, Math.min(sessions.size(), i + MAX_BUCKETS))));
      out.add(part);
    }
    return out;
  }
}
