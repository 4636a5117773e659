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

  /**
   * The process locale as a BCP 47 tag, e.g. en-US (C for the C/POSIX locale): the first
   * readable of LC_ALL, LC_MESSAGES and LANG (the JVM turns C into en_US), else the default
   * Locale (on Android, the user's setting); null when there is none.
   */
  static String locale() {
    String fallback;
    try {
      fallback = Locale.getDefault().toLanguageTag();
    } catch (RuntimeException e) {
      fallback = null;
    }
    return locale(Environment.SYSTEM, fallback);
  }

  /** As {@link #locale()}, from these variables and this default (test/vectors/locale-v1.json). */
  static String locale(Environment env, String fallback) {
    for (String name : new String[] {"LC_ALL", "LC_MESSAGES", "LANG"}) {
      String tag = normalizeLocale(env.get(name));
      if (tag != null) return tag;
    }
    return normalizeLocale(fallback);
  }

  /**
   * A locale as a BCP 47 tag: {@code en_US.UTF-8} and {@code en-US} give {@code en-US},
   * {@code C} and {@code POSIX} give {@code C}; null when it does not start with a language.
   */
  static String normalizeLocale(String raw) {
    if (raw == null) return null;
    String value = raw;
    int cut = value.indexOf('.');
    if (cut >= 0) value = value.substring(0, cut);
    cut = value.indexOf('@');
    if (cut >= 0) value = value.substring(0, cut);
    value = value.trim();
    if (value.equals("C") || value.equals("POSIX")) return "C";
    String[] parts = value.split("[-_]", -1);
    String language = parts[0];
    if (!language.matches("[A-Za-z]{2,3}") || language.equalsIgnoreCase("und")) return null;
    StringBuilder tag = new StringBuilder(language.toLowerCase(Locale.ROOT));
    boolean script = false;
    for (int i = 1; i < parts.length; i++) {
      String part = parts[i];
      if (!script && part.matches("[A-Za-z]{4}")) {
        script = true;
        tag.append('-').append(part.substring(0, 1).toUpperCase(Locale.ROOT))
            .append(part.substring(1).toLowerCase(Locale.ROOT));
      } else if (part.matches("[A-Za-z]{2}|[0-9]{3}")) {
        tag.append('-').append(part.toUpperCase(Locale.ROOT));
        break;
      } else {
        break;
      }
    }
    return tag.toString();
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
