package dev.dumpcatcher;

import java.util.Map;

/** Sees each scrubbed crash report before it is queued; returns it (possibly edited) or null to drop it. */
public interface BeforeSend {
  /** The report is a mutable JSON-like map with the fields of docs/protocol.md ("Crash report"). */
  Map<String, Object> apply(Map<String, Object> report);
}
