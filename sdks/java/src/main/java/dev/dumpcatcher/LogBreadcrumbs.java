package dev.dumpcatcher;

import java.util.Collections;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Automatic breadcrumbs of kind {@code logging}: a java.util.logging handler on the root logger
 * that turns each record at INFO and above into a breadcrumb (category {@code log}, data
 * {@code {logger}}). It prints nothing and never throws into the logging call; the SDK's own
 * loggers ({@code dev.dumpcatcher...}) are left out.
 */
final class LogBreadcrumbs extends Handler {
  static final String KIND = "logging";
  private static final ThreadLocal<Boolean> BUSY = new ThreadLocal<Boolean>();

  private final Client client;
  private final Formatter formatter = new SimpleFormatter();
  private final Logger root = Logger.getLogger("");

  private LogBreadcrumbs(Client client) {
    this.client = client;
    setLevel(Level.INFO);
  }

  /** Adds the handler to the root logger; null when the platform refuses it. */
  static LogBreadcrumbs install(Client client) {
    try {
      LogBreadcrumbs handler = new LogBreadcrumbs(client);
      handler.root.addHandler(handler);
      return handler;
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Takes the handler off the root logger. */
  void remove() {
    try {
      root.removeHandler(this);
    } catch (RuntimeException e) {
      // Nothing else holds it.
    }
  }

  /** The breadcrumb level of a record's level: SEVERE error, WARNING warning, the rest info. */
  static String levelOf(Level level) {
    int v = level.intValue();
    if (v >= Level.SEVERE.intValue()) return "error";
    if (v >= Level.WARNING.intValue()) return "warning";
    return "info";
  }

  @Override
  public void publish(LogRecord record) {
    if (record == null || record.getLevel().intValue() < Level.INFO.intValue()) return;
    String name = record.getLoggerName();
    if (name != null && name.startsWith("dev.dumpcatcher")) return;
    if (BUSY.get() != null) return;
    BUSY.set(Boolean.TRUE);
    try {
      String message;
      try {
        message = formatter.formatMessage(record);
      } catch (RuntimeException e) {
        message = record.getMessage();
      }
      client.addBreadcrumb("log", message, levelOf(record.getLevel()),
          Collections.singletonMap("logger", name == null ? "" : name));
    } catch (Throwable t) {
      // A breadcrumb is never worth an exception in the app's logging call.
    } finally {
      BUSY.remove();
    }
  }

  @Override
  public void flush() {}

  @Override
  public void close() {}
}
