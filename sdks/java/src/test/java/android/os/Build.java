package android.os;

/**
 * Stands in for Android's android.os.Build in tests: the fields the SDK reads by reflection,
 * with the values of a Pixel 8 on Android 14 (API 34). Only on the test classpath.
 */
public final class Build {
  private Build() {}

  public static final String MODEL = "Pixel 8";
  public static final String MANUFACTURER = "Google";

  /** android.os.Build.VERSION. */
  public static final class VERSION {
    private VERSION() {}

    public static final int SDK_INT = 34;
    public static final String RELEASE = "14";
  }
}
