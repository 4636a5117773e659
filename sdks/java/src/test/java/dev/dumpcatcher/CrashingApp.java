package dev.dumpcatcher;

import java.io.File;

/**
 * The child JVM of CrashingProcessTest and SessionsTest. {@code crash <queueDir> <endpoint>} inits
 * the SDK and dies of an uncaught exception; {@code send <queueDir> <endpoint>} inits it and
 * flushes what is queued; {@code capture} captures a handled exception and exits; {@code clean}
 * just exits; {@code hang} runs until killed. A fourth argument {@code sessions} turns the
 * automatic session on (the crash tests count crash reports only).
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
        .shutdownTimeoutMs(mode.equals("crash") || mode.equals("send") ? 300 : 5000)
        .autoSessionTracking(args.length > 3 && args[3].equals("sessions"))
        .build());
    if (mode.equals("crash")) {
      throw new IllegalStateException("child crash", new IllegalArgumentException("bad input"));
    }
    if (mode.equals("capture")) Dumpcatcher.captureException(new IllegalArgumentException("handled"));
    if (mode.equals("clean") || mode.equals("capture")) return; // the shutdown hook ends the session and sends
    if (mode.equals("hang")) {
      System.out.println("running");
      System.out.flush();
      Thread.sleep(Long.MAX_VALUE);
    }
    boolean flushed = Dumpcatcher.flush(10_000);
    System.out.println("flushed=" + flushed);
    Dumpcatcher.close();
  }
}
