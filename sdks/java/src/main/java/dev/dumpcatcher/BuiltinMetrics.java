package dev.dumpcatcher;

import java.util.ArrayList;
import java.util.List;

/** The eight built-in metrics listed in docs/sdks.md, the same in every SDK. */
final class BuiltinMetrics {
  private BuiltinMetrics() {}

  /** Returns os.name, os.version, os.arch, runtime.name, runtime.version, app.version, locale, cpu.count. */
  static List<Metric> all(final String appVersion) {
    List<Metric> list = new ArrayList<>();
    list.add(new Fixed("os.name") {
      @Override public Object collect() { return SystemInfo.osName(); }
    });
    list.add(new Fixed("os.version") {
      @Override public Object collect() { return SystemInfo.osVersion(); }
    });
    list.add(new Fixed("os.arch") {
      @Override public Object collect() { return SystemInfo.osArch(); }
    });
    list.add(new Fixed("runtime.name") {
      @Override public Object collect() { return SystemInfo.runtimeName(); }
    });
    list.add(new Fixed("runtime.version") {
      @Override public Object collect() { return SystemInfo.runtimeVersion(); }
    });
    list.add(new Fixed("app.version") {
      @Override public Object collect() { return appVersion; }
    });
    list.add(new Fixed("locale") {
      @Override public Object collect() { return SystemInfo.locale(); }
    });
    list.add(new Fixed("cpu.count") {
      @Override public Object collect() { return Runtime.getRuntime().availableProcessors(); }
    });
    return list;
  }

  private abstract static class Fixed implements Metric {
    private final String name;

    Fixed(String name) {
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }
  }
}
