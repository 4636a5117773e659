package dev.dumpcatcher;

/** Wall-clock time for signing; tests give the SDK a skewed one. */
interface Clock {
  /** Epoch milliseconds. */
  long nowMillis();

  /** The system clock. */
  Clock SYSTEM = new Clock() {
    @Override
    public long nowMillis() {
      return System.currentTimeMillis();
    }
  };
}
