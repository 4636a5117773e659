package dev.dumpcatcher;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

/** The opt-out decision of docs/sdks.md ("Opt-out"), made once at init. */
final class Consent {
  private Consent() {}

  /** Returns why the SDK must stay silent, or null when it may send. */
  static String optOutReason(DumpcatcherOptions options, Environment env) {
    if (!options.enabled()) return "option enabled=false";
    if (isSet(env.get("DO_NOT_TRACK"))) return "DO_NOT_TRACK";
    if (isSet(env.get("DUMPCATCHER_DISABLED"))) return "DUMPCATCHER_DISABLED";
    File config = configFile(env);
    if (config != null && configSaysDisabled(config)) return "config file " + config;
    return null;
  }

  /** Set means anything but empty, 0 or false. */
  static boolean isSet(String value) {
    if (value == null) return false;
    String v = value.trim().toLowerCase(Locale.ROOT);
    return !(v.isEmpty() || v.equals("0") || v.equals("false"));
  }

  /** $DUMPCATCHER_CONFIG, else $XDG_CONFIG_HOME/dumpcatcher/config.json, ~/.config/..., %APPDATA% on Windows. */
  static File configFile(Environment env) {
    try {
      String explicit = env.get("DUMPCATCHER_CONFIG");
      if (explicit != null && !explicit.isEmpty()) return new File(explicit);
      String base = env.get("XDG_CONFIG_HOME");
      if (base == null || base.isEmpty()) {
        if (SystemInfo.osName().equals("windows") && notEmpty(env.get("APPDATA"))) {
          base = env.get("APPDATA");
        } else {
          String home = SystemInfo.prop("user.home");
          if (home.isEmpty()) return null;
          base = new File(home, ".config").getPath();
        }
      }
      return new File(new File(base, "dumpcatcher"), "config.json");
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static boolean configSaysDisabled(File file) {
    try {
      if (!file.isFile()) return false;
      Object parsed = Json.parse(new String(DiskQueue.readAll(file), StandardCharsets.UTF_8));
      return parsed instanceof Map && Boolean.FALSE.equals(((Map<?, ?>) parsed).get("enabled"));
    } catch (IOException | RuntimeException e) {
      // A missing or unreadable file changes nothing.
      return false;
    }
  }

  private static boolean notEmpty(String s) {
    return s != null && !s.isEmpty();
  }

  /** $XDG_CACHE_HOME/dumpcatcher/<productKey>, ~/.cache/..., %LOCALAPPDATA% on Windows. */
  static File defaultQueueDir(Environment env, String productKey) {
    String base = env.get("XDG_CACHE_HOME");
    if (base == null || base.isEmpty()) {
      if (SystemInfo.osName().equals("windows") && notEmpty(env.get("LOCALAPPDATA"))) {
        base = env.get("LOCALAPPDATA");
      } else {
        String home = SystemInfo.prop("user.home");
        if (home.isEmpty()) home = SystemInfo.prop("java.io.tmpdir");
        base = new File(home, ".cache").getPath();
      }
    }
    return new File(new File(base, "dumpcatcher"), productKey);
  }
}
