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

  /** OS release, e.g. the kernel version on Linux. */
  static String osVersion() {
    return prop("os.version");
  }

  /** CPU architecture with Node's names: x64, arm64, ia32, or os.arch as is. */
  static String osArch() {
    String arch = prop("os.arch").toLowerCase(Locale.ROOT);
    if (arch.equals("amd64") || arch.equals("x86_64")) return "x64";
    if (arch.equals("aarch64") || arch.equals("arm64")) return "arm64";
    if (arch.equals("x86") || arch.equals("i386") || arch.equals("i686")) return "ia32";
    return arch;
  }

  /** Java version, e.g. 17.0.15. */
  static String runtimeVersion() {
    return prop("java.version");
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
