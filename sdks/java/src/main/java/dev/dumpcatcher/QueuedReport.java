package dev.dumpcatcher;

/** One queue file's content: the report body and the identity it is always sent with. */
public final class QueuedReport {
  private final String path;
  private final String clientId;
  private final long counter;
  private final long createdAtMillis;
  private final String bodyJson;

  /** path is /v1/crashes, /v1/usage or /v1/sessions; bodyJson is the exact JSON text sent on every attempt. */
  public QueuedReport(String path, String clientId, long counter, long createdAtMillis, String bodyJson) {
    this.path = path;
    this.clientId = clientId;
    this.counter = counter;
    this.createdAtMillis = createdAtMillis;
    this.bodyJson = bodyJson;
  }

  /** Ingest path, /v1/crashes, /v1/usage or /v1/sessions. */
  public String path() {
    return path;
  }

  /** Client id assigned when the report was enqueued. */
  public String clientId() {
    return clientId;
  }

  /** Counter assigned when the report was enqueued. */
  public long counter() {
    return counter;
  }

  /** When the report was enqueued, epoch milliseconds. */
  public long createdAtMillis() {
    return createdAtMillis;
  }

  /** The report body as JSON text. */
  public String bodyJson() {
    return bodyJson;
  }

  /** The queue file name: {@code <createdAtMillis>-<clientId>-<counter>.json}. */
  public String fileName() {
    return createdAtMillis + "-" + clientId + "-" + counter + ".json";
  }

  /** The queue file's JSON text (docs/sdks.md, "Disk queue"). */
  String toFileJson() {
    StringBuilder out = new StringBuilder(bodyJson.length() + 160);
    out.append("{\"v\":1,\"path\":");
    Json.writeString(out, path);
    out.append(",\"clientId\":");
    Json.writeString(out, clientId);
    out.append(",\"counter\":").append(counter).append(",\"createdAt\":");
    Json.writeString(out, Text.rfc3339(createdAtMillis));
    out.append(",\"body\":").append(bodyJson).append('}');
    return out.toString();
  }
}
