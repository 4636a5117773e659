package dev.dumpcatcher;

/**
 * CrashingApp as it would run on Android: the system properties Android's runtime reports are
 * set first (java.version is "0" there, os.version the kernel release, the VM Dalvik), then
 * {@code crash <queueDir> <endpoint>} inits the SDK and dies of an uncaught exception.
 */
public final class AndroidApp {
  private AndroidApp() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("java.vendor", "The Android Project");
    System.setProperty("java.vm.name", "Dalvik");
    System.setProperty("java.version", "0");
    System.setProperty("os.name", "Linux");
    System.setProperty("os.version", "5.15.137-android14-11-gbf5f2a3d5f3c");
    System.setProperty("os.arch", "aarch64");
    System.out.println("discoverMetrics=" + DumpcatcherOptions.builder().build().discoverMetrics());
    CrashingApp.main(args);
  }
}
