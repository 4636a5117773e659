import dev.dumpcatcher.Dumpcatcher;
import dev.dumpcatcher.DumpcatcherOptions;
import java.io.File;
import java.util.HashMap;
import java.util.Map;

/**
 * A small real program for the end-to-end tests: it starts the Java SDK and then does what its
 * mode says ({@code java CrashApp <mode>}):
 *
 * <ul>
 *   <li>{@code crash}: dies from an uncaught IllegalStateException caused by a
 *       NumberFormatException raised a few calls deep (checkout path);
 *   <li>{@code other-path}: the same, but the order is loaded through preview();
 *   <li>{@code big}: dies from an IllegalArgumentException whose message is about 27 KB (1500
 *       rows);
 *   <li>{@code thread}: a worker thread dies from the NumberFormatException; the program goes on
 *       and exits 0;
 *   <li>{@code usage}: queues one usage report and exits normally;
 *   <li>{@code burst n}: captures n different exceptions and exits normally (the shutdown hook
 *       sends them);
 *   <li>{@code idle ms}: captures an exception and flushes, idles for ms milliseconds (longer than
 *       the ingest keeps an idle connection open), captures another and flushes; exits 0 when
 *       both flushes emptied the queue, else 3;
 *   <li>{@code start}: only starts the SDK and exits normally (a second start after a crash).
 * </ul>
 *
 * <p>Settings come from E2E_ENDPOINT, E2E_PRODUCT_KEY, E2E_SECRET and optionally E2E_QUEUE_DIR
 * (else the SDK's default folder), E2E_SHUTDOWN_TIMEOUT_MS, E2E_MAX_PER_FINGERPRINT and
 * E2E_INSTALL_ID (1: installId(true)), E2E_SESSIONS (1: sessions); opting out (DO_NOT_TRACK, DUMPCATCHER_DISABLED,
 * DUMPCATCHER_CONFIG) is left to the SDK.
 */
public class CrashApp {
  static int parsePrice(String text) {
    return Integer.parseInt(text);
  }

  static int applyDiscount(Map<String, String> order) {
    return parsePrice(order.get("discount"));
  }

  static int checkout(Map<String, String> order) {
    return applyDiscount(order);
  }

  static int preview(Map<String, String> order) {
    return applyDiscount(order);
  }

  static int loadOrder(Map<String, String> order, boolean previewOnly) {
    try {
      return previewOnly ? preview(order) : checkout(order);
    } catch (NumberFormatException e) {
      throw new IllegalStateException("could not load the order", e);
    }
  }

  static void importRows() {
    StringBuilder rows = new StringBuilder();
    for (int i = 0; i < 1500; i++) {
      rows.append(i == 0 ? "" : "; ").append("row ").append(i).append(": bad price");
    }
    throw new IllegalArgumentException(rows.toString());
  }

  public static void main(String[] args) throws InterruptedException {
    String mode = args.length > 0 ? args[0] : "start";
    String shutdownTimeout = System.getenv("E2E_SHUTDOWN_TIMEOUT_MS");
    String maxPerFingerprint = System.getenv("E2E_MAX_PER_FINGERPRINT");
    DumpcatcherOptions.Builder options =
        DumpcatcherOptions.builder()
            .endpoint(System.getenv("E2E_ENDPOINT"))
            .productKey(System.getenv("E2E_PRODUCT_KEY"))
            .secret(System.getenv("E2E_SECRET"))
            .appName("e2e-java")
            .appVersion("1.0.0")
            .maxReportsPerFingerprint(maxPerFingerprint == null ? 1000 : Integer.parseInt(maxPerFingerprint))
            .installId("1".equals(System.getenv("E2E_INSTALL_ID")))
            .autoSessionTracking("1".equals(System.getenv("E2E_SESSIONS")))
            .shutdownTimeoutMs(shutdownTimeout == null ? 2000 : Long.parseLong(shutdownTimeout));
    String queueDir = System.getenv("E2E_QUEUE_DIR");
    if (queueDir != null && !queueDir.isEmpty()) {
      options.queueDir(new File(queueDir));
    }
    Dumpcatcher.init(options.build());
    Map<String, String> order = new HashMap<>();
    order.put("discount", "alice@example.com");
    switch (mode) {
      case "crash":
        loadOrder(order, false);
        break;
      case "other-path":
        loadOrder(order, true);
        break;
      case "big":
        importRows();
        break;
      case "thread":
        Thread worker = new Thread(() -> checkout(order), "order-worker");
        worker.start();
        worker.join();
        break;
      case "usage":
        Dumpcatcher.reportUsage();
        break;
      case "burst":
        for (int i = 0; i < Integer.parseInt(args[1]); i++) {
          Dumpcatcher.captureException(new IllegalStateException("burst report " + i));
        }
        break;
      case "idle":
        Dumpcatcher.captureException(new IllegalStateException("before idling"));
        boolean first = Dumpcatcher.flush(10000);
        Thread.sleep(Long.parseLong(args[1]));
        Dumpcatcher.captureException(new IllegalStateException("after idling"));
        boolean second = Dumpcatcher.flush(10000);
        if (!first || !second) System.exit(3);
        break;
      case "start":
        break;
      default:
        System.err.println("unknown mode: " + mode);
        System.exit(2);
    }
  }
}
