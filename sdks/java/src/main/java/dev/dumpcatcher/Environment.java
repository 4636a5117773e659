package dev.dumpcatcher;

/** Reads environment variables; injectable so that tests can drive opt-out without touching the process. */
public interface Environment {
  /** The variable's value, or null when unset. */
  String get(String name);

  /** The real process environment. */
  Environment SYSTEM = new Environment() {
    @Override
    public String get(String name) {
      try {
        return System.getenv(name);
      } catch (SecurityException e) {
        return null;
      }
    }
  };
}
