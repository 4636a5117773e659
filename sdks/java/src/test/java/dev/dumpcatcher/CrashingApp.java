package dev.dumpcatcher;

import java.io.File;

/**
 * The child JVM of CrashingProcessTest. {@code crash <queueDir> <endpoint>} inits the SDK and dies
 * of an uncaught exception; {@code send <queueDir> <endpoint>} inits it and flushes what is queued.
 */
public final class CrashingApp {
  private CrashingApp() {}

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    Dumpcatcher.init(DumpcatcherOptions.builder()
        .endpoint(args[2])
        .productKey(FakeIngest.KEY)
        .secret(FakeIngest.SECRET)
        .appName("crashing-app")
        .appVersion("0.0.1")
        .queueDir(new File(args[1]))
        .environment(TestSupport.env())
        .shutdownTimeoutMs(300)
        .build());
    if (mode.equals("crash")) {
      throw new IllegalStateException("child crash", new IllegalArgumentException("bad input"));
    }
    boolean flushed = Dumpcatcher.flush(10_000);
    System.out.println("flushed=" + flushed);
    Dumpcatcher.close();
  }
}
