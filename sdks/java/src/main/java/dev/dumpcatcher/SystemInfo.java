package dev.dumpcatcher;

import java.util.Locale;

/** Facts about the running process, named the same way by the three SDKs. */
final class SystemInfo {
  private SystemInfo() {}

  /** OS family: linux, darwin, windows, android, or the lowercased os.name. */
  static String osName() {
    String name = prop("os.name").toLowerCase(Locale.ROOT);
    if (isAndroid()) return "android";
    if (name.startsWith("linux")) return "linux";
    if (name.startsWith("mac") || name.startsWith("darwin")) return "darwin";
    if (name.startsWith("windows")) return "windows";
    return name.isEmpty() ? "unknown" : name;
  }

  /** OS release: the kernel version on Linux; on Android its version name (os.version is the kernel there). */
  static String osVersion() {
    if (isAndroid()) return text(androidField("android.os.Build$VERSION", "RELEASE"));
    return prop("os.version");
  }

  /** CPU architecture with Node's names: x64, arm64, ia32, arm, ppc64, or os.arch as is. */
  static String osArch() {
    return archName(prop("os.arch"));
  }

  /** An os.arch value in Node's process.arch names (test/vectors/arch-v1.json); unknown ones lowercased as is. */
  static String archName(String osArch) {
    String arch = osArch.toLowerCase(Locale.ROOT);
    switch (arch) {
      case "amd64":
      case "x86_64":
        return "x64";
      case "aarch64":
      case "arm64":
        return "arm64";
      case "x86":
      case "i386":
      case "i686":
        return "ia32";
      case "armv6l":
      case "armv7l":
      case "armv8l":
        return "arm";
      case "ppc64le":
        return "ppc64";
      default:
        return arch;
    }
  }

  /** runtime.name: android on Android, java elsewhere. */
  static String runtimeName() {
    return isAndroid() ? "android" : "java";
  }

  /** Java version, e.g. 17.0.15; on Android the API level (java.version is "0" there). */
  static String runtimeVersion() {
    if (isAndroid()) return text(androidField("android.os.Build$VERSION", "SDK_INT"));
    return prop("java.version");
  }

  /** The device model on Android (Build.MODEL), else empty. */
  static String deviceModel() {
    return isAndroid() ? text(androidField("android.os.Build", "MODEL")) : "";
  }

  /** The device maker on Android (Build.MANUFACTURER), else empty. */
  static String deviceManufacturer() {
    return isAndroid() ? text(androidField("android.os.Build", "MANUFACTURER")) : "";
  }

  /**
   * A public static field of an Android class, read by reflection so the jar stays plain Java
   * with no Android library to compile against; null when it cannot be read.
   */
  static Object androidField(String className, String field) {
    try {
      return Class.forName(className).getField(field).get(null);
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      return null;
    }
  }

  private static String text(Object value) {
    return value == null ? "" : String.valueOf(value);
  }

  /** The process locale, e.g. en_US. */
  static String locale() {
    return Locale.getDefault().toString();
  }

  static boolean isAndroid() {
    return prop("java.vendor").toLowerCase(Locale.ROOT).contains("android")
        || prop("java.vm.name").toLowerCase(Locale.ROOT).contains("dalvik");
  }

  static String prop(String name) {
    try {
      String v = System.getProperty(name);
      return v == null ? "" : v;
    } catch (SecurityException e) {
      return "";
    }
  }
}
