package dev.dumpcatcher;

import java.io.File;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Settings for {@link Dumpcatcher#init}; names and defaults are those of docs/sdks.md. */
public final class DumpcatcherOptions {
  private final String endpoint;
  private final String productKey;
  private final String secret;
  private final String appName;
  private final String appVersion;
  private final String label;
  private final Map<String, String> tags;
  private final File queueDir;
  private final double sampleRate;
  private final BeforeSend beforeSend;
  private final boolean debug;
  private final boolean enabled;
  private final boolean installId;
  private final boolean autoSessionTracking;
  private final boolean captureUncaught;
  private final int maxQueueFiles;
  private final long maxQueueBytes;
  private final long maxQueueAgeSeconds;
  private final int gzipThresholdBytes;
  private final int maxReportsPerFingerprint;
  private final long limiterWindowSeconds;
  private final long shutdownTimeoutMs;
  private final int requestTimeoutMs;
  private final Transport transport;
  private final Environment environment;
  private final String environmentName;
  private final int maxBreadcrumbs;
  private final Boolean autoBreadcrumbs;
  private final Map<String, Boolean> autoBreadcrumbKinds;
  private final List<Metric> metrics;
  private final boolean discoverMetrics;
  private final long retryBaseMs;
  private final long retryCapMs;
  private final Clock clock;

  private DumpcatcherOptions(Builder b) {
    this.endpoint = b.endpoint;
    this.productKey = b.productKey;
    this.secret = b.secret;
    this.appName = b.appName;
    this.appVersion = b.appVersion;
    this.label = b.label;
    this.tags = Collections.unmodifiableMap(new LinkedHashMap<>(b.tags));
    this.queueDir = b.queueDir;
    this.sampleRate = b.sampleRate;
    this.beforeSend = b.beforeSend;
    this.debug = b.debug;
    this.enabled = b.enabled;
    this.installId = b.installId;
    this.autoSessionTracking = b.autoSessionTracking;
    this.captureUncaught = b.captureUncaught;
    this.maxQueueFiles = b.maxQueueFiles;
    this.maxQueueBytes = b.maxQueueBytes;
    this.maxQueueAgeSeconds = b.maxQueueAgeSeconds;
    this.gzipThresholdBytes = b.gzipThresholdBytes;
    this.maxReportsPerFingerprint = b.maxReportsPerFingerprint;
    this.limiterWindowSeconds = b.limiterWindowSeconds;
    this.shutdownTimeoutMs = b.shutdownTimeoutMs;
    this.requestTimeoutMs = b.requestTimeoutMs;
    this.transport = b.transport;
    this.environment = b.environment;
    this.environmentName = b.environmentName;
    this.maxBreadcrumbs = b.maxBreadcrumbs;
    this.autoBreadcrumbs = b.autoBreadcrumbs;
    this.autoBreadcrumbKinds = Collections.unmodifiableMap(new LinkedHashMap<>(b.autoBreadcrumbKinds));
    this.metrics = Collections.unmodifiableList(new ArrayList<>(b.metrics));
    this.discoverMetrics = b.discoverMetrics;
    this.retryBaseMs = b.retryBaseMs;
    this.retryCapMs = b.retryCapMs;
    this.clock = b.clock;
  }

  /** Starts a builder with every default. */
  public static Builder builder() {
    return new Builder();
  }

  /** Ingest base URL, e.g. http://127.0.0.1:8080; /v1/crashes, /v1/usage and /v1/sessions are appended (required). */
  public String endpoint() {
    return endpoint;
  }

  /** Public product key (required). */
  public String productKey() {
    return productKey;
  }

  /** Product secret used as the HMAC key; never logged or written to the queue (required). */
  public String secret() {
    return secret;
  }

  /** Application name, 1-128 chars (required). */
  public String appName() {
    return appName;
  }

  /** Application version, 1-64 chars (required). */
  public String appVersion() {
    return appVersion;
  }

  /** Default custom label for every report. */
  public String label() {
    return label;
  }

  /** Default tags, merged under per-capture tags. */
  public Map<String, String> tags() {
    return tags;
  }

  /** Disk queue folder; default $XDG_CACHE_HOME/dumpcatcher/<productKey> (~/.cache/...; %LOCALAPPDATA%\\dumpcatcher\\<productKey> on Windows). */
  public File queueDir() {
    return queueDir;
  }

  /** Fraction of crash reports kept, decided before anything touches disk. */
  public double sampleRate() {
    return sampleRate;
  }

  /** Called with each scrubbed crash report; returns it (possibly edited) or null to drop it. */
  public BeforeSend beforeSend() {
    return beforeSend;
  }

  /** Print each report that would be sent (scrubbed) to stderr; send nothing, write nothing. */
  public boolean debug() {
    return debug;
  }

  /** false turns the SDK into a no-op. */
  public boolean enabled() {
    return enabled;
  }

  /** Keep a random installation id in <queueDir>/install-id and send it with reports. */
  public boolean installId() {
    return installId;
  }

  /** One release health session per process run, started at init. */
  public boolean autoSessionTracking() {
    return autoSessionTracking;
  }

  /** Install the default uncaught-exception handler (chained with the existing one). */
  public boolean captureUncaught() {
    return captureUncaught;
  }

  /** Queue bound: oldest reports dropped first beyond this many files. */
  public int maxQueueFiles() {
    return maxQueueFiles;
  }

  /** Queue bound: oldest reports dropped first beyond this many bytes. */
  public long maxQueueBytes() {
    return maxQueueBytes;
  }

  /** Queue bound: older reports are dropped unsent. */
  public long maxQueueAgeSeconds() {
    return maxQueueAgeSeconds;
  }

  /** Bodies at least this big are sent gzipped. */
  public int gzipThresholdBytes() {
    return gzipThresholdBytes;
  }

  /** Client-side limiter: at most this many crash reports per local fingerprint per window. */
  public int maxReportsPerFingerprint() {
    return maxReportsPerFingerprint;
  }

  /** Client-side limiter window, kept in <queueDir>/limiter.json across restarts. */
  public long limiterWindowSeconds() {
    return limiterWindowSeconds;
  }

  /** How long the shutdown hook (and close()) may spend flushing. */
  public long shutdownTimeoutMs() {
    return shutdownTimeoutMs;
  }

  /** Timeout of one HTTP attempt. */
  public int requestTimeoutMs() {
    return requestTimeoutMs;
  }

  /** How requests are sent; null (the default) means {@link HttpTransport}: HttpURLConnection, with the JVM's proxy settings. */
  public Transport transport() {
    return transport;
  }

  /** Where DO_NOT_TRACK, DUMPCATCHER_DISABLED, DUMPCATCHER_CONFIG and the XDG folders are read from. */
  public Environment environment() {
    return environment;
  }

  /**
   * The environment reports are sent with ({@code production}, {@code staging}, ...), as set with
   * {@link Builder#environment(String)}; null when not set: then DUMPCATCHER_ENVIRONMENT, else
   * {@code production}.
   */
  public String environmentName() {
    return environmentName;
  }

  /** How many breadcrumbs the ring keeps, 0 to 100 (0: none). */
  public int maxBreadcrumbs() {
    return maxBreadcrumbs;
  }

  /** Whether automatic breadcrumbs of kind (only {@code logging}: java.util.logging) are on. */
  public boolean autoBreadcrumbs(String kind) {
    Boolean one = autoBreadcrumbKinds.get(kind);
    if (one != null) return one;
    return autoBreadcrumbs == null || autoBreadcrumbs;
  }

  /** The kinds named with {@link Builder#autoBreadcrumbs(String, boolean)}, known or not (validated at init). */
  Map<String, Boolean> autoBreadcrumbKinds() {
    return autoBreadcrumbKinds;
  }

  /** Extra usage metrics registered at init, after the built-in and discovered ones. */
  public List<Metric> metrics() {
    return metrics;
  }

  /** Register the Metric implementations found by ServiceLoader at init. */
  public boolean discoverMetrics() {
    return discoverMetrics;
  }

  /** Backoff base; tests shorten it. */
  long retryBaseMs() {
    return retryBaseMs;
  }

  /** Backoff cap. */
  long retryCapMs() {
    return retryCapMs;
  }

  /** Clock used to sign; tests skew it. */
  Clock clock() {
    return clock;
  }

  /** Builds {@link DumpcatcherOptions}. */
  public static final class Builder {
    private String endpoint = null;
    private String productKey = null;
    private String secret = null;
    private String appName = null;
    private String appVersion = null;
    private String label = null;
    private Map<String, String> tags = new LinkedHashMap<String, String>();
    private File queueDir = null;
    private double sampleRate = 1.0;
    private BeforeSend beforeSend = null;
    private boolean debug = false;
    private boolean enabled = true;
    private boolean installId = true;
    private boolean autoSessionTracking = true;
    private boolean captureUncaught = true;
    private int maxQueueFiles = 100;
    private long maxQueueBytes = 10485760L;
    private long maxQueueAgeSeconds = 604800L;
    private int gzipThresholdBytes = 8192;
    private int maxReportsPerFingerprint = 10;
    private long limiterWindowSeconds = 3600L;
    private long shutdownTimeoutMs = 2000L;
    private int requestTimeoutMs = 10000;
    private Transport transport = null;
    private Environment environment = Environment.SYSTEM;
    private String environmentName = null;
    private int maxBreadcrumbs = 100;
    private Boolean autoBreadcrumbs = null;
    private Map<String, Boolean> autoBreadcrumbKinds = new LinkedHashMap<String, Boolean>();
    private List<Metric> metrics = new ArrayList<Metric>();
    // Off on Android: ServiceLoader scans the APK's resources on the main thread at init.
    private boolean discoverMetrics = !SystemInfo.isAndroid();
    private long retryBaseMs = 1000L;
    private long retryCapMs = 300000L;
    private Clock clock = Clock.SYSTEM;

    private Builder() {}

    /** Ingest base URL, e.g. http://127.0.0.1:8080; /v1/crashes, /v1/usage and /v1/sessions are appended (required). */
    public Builder endpoint(String endpoint) {
      this.endpoint = endpoint;
      return this;
    }

    /** Public product key (required). */
    public Builder productKey(String productKey) {
      this.productKey = productKey;
      return this;
    }

    /** Product secret used as the HMAC key; never logged or written to the queue (required). */
    public Builder secret(String secret) {
      this.secret = secret;
      return this;
    }

    /** Application name, 1-128 chars (required). */
    public Builder appName(String appName) {
      this.appName = appName;
      return this;
    }

    /** Application version, 1-64 chars (required). */
    public Builder appVersion(String appVersion) {
      this.appVersion = appVersion;
      return this;
    }

    /** Default custom label for every report. */
    public Builder label(String label) {
      this.label = label;
      return this;
    }

    /** Default tags, merged under per-capture tags. */
    public Builder tags(Map<String, String> tags) {
      this.tags = tags == null ? new LinkedHashMap<String, String>() : new LinkedHashMap<>(tags);
      return this;
    }

    /** Adds one default tag. */
    public Builder tag(String key, String value) {
      if (key != null) this.tags.put(key, value);
      return this;
    }

    /**
     * Disk queue folder; default $XDG_CACHE_HOME/dumpcatcher/<productKey> (~/.cache/...;
     * %LOCALAPPDATA%\\dumpcatcher\\<productKey> on Windows). On Android pass a folder of the app's
     * own, such as {@code new File(context.getNoBackupFilesDir(), "dumpcatcher")}. A
     * {@code java.nio.file.Path} converts with {@code path.toFile()}.
     */
    public Builder queueDir(File queueDir) {
      this.queueDir = queueDir;
      return this;
    }

    /** The same as {@link #queueDir(File)} with a folder name; null or empty means the default. */
    public Builder queueDir(String queueDir) {
      this.queueDir = queueDir == null || queueDir.isEmpty() ? null : new File(queueDir);
      return this;
    }

    /** Fraction of crash reports kept, decided before anything touches disk. */
    public Builder sampleRate(double sampleRate) {
      this.sampleRate = sampleRate;
      return this;
    }

    /** Called with each scrubbed crash report; returns it (possibly edited) or null to drop it. */
    public Builder beforeSend(BeforeSend beforeSend) {
      this.beforeSend = beforeSend;
      return this;
    }

    /** Print each report that would be sent (scrubbed) to stderr; send nothing, write nothing. */
    public Builder debug(boolean debug) {
      this.debug = debug;
      return this;
    }

    /** false turns the SDK into a no-op. */
    public Builder enabled(boolean enabled) {
      this.enabled = enabled;
      return this;
    }

    /** Keep a random installation id in <queueDir>/install-id and send it with reports (default true; false opts out). */
    public Builder installId(boolean installId) {
      this.installId = installId;
      return this;
    }

    /** One release health session per process run (per app start on Android), started at init (default true). */
    public Builder autoSessionTracking(boolean autoSessionTracking) {
      this.autoSessionTracking = autoSessionTracking;
      return this;
    }

    /** Install the default uncaught-exception handler (chained with the existing one). */
    public Builder captureUncaught(boolean captureUncaught) {
      this.captureUncaught = captureUncaught;
      return this;
    }

    /** Queue bound: oldest reports dropped first beyond this many files. */
    public Builder maxQueueFiles(int maxQueueFiles) {
      this.maxQueueFiles = maxQueueFiles;
      return this;
    }

    /** Queue bound: oldest reports dropped first beyond this many bytes. */
    public Builder maxQueueBytes(long maxQueueBytes) {
      this.maxQueueBytes = maxQueueBytes;
      return this;
    }

    /** Queue bound: older reports are dropped unsent. */
    public Builder maxQueueAgeSeconds(long maxQueueAgeSeconds) {
      this.maxQueueAgeSeconds = maxQueueAgeSeconds;
      return this;
    }

    /** Bodies at least this big are sent gzipped. */
    public Builder gzipThresholdBytes(int gzipThresholdBytes) {
      this.gzipThresholdBytes = gzipThresholdBytes;
      return this;
    }

    /** Client-side limiter: at most this many crash reports per local fingerprint per window. */
    public Builder maxReportsPerFingerprint(int maxReportsPerFingerprint) {
      this.maxReportsPerFingerprint = maxReportsPerFingerprint;
      return this;
    }

    /** Client-side limiter window, kept in <queueDir>/limiter.json across restarts. */
    public Builder limiterWindowSeconds(long limiterWindowSeconds) {
      this.limiterWindowSeconds = limiterWindowSeconds;
      return this;
    }

    /** How long the shutdown hook (and close()) may spend flushing. */
    public Builder shutdownTimeoutMs(long shutdownTimeoutMs) {
      this.shutdownTimeoutMs = shutdownTimeoutMs;
      return this;
    }

    /** Timeout of one HTTP attempt. */
    public Builder requestTimeoutMs(int requestTimeoutMs) {
      this.requestTimeoutMs = requestTimeoutMs;
      return this;
    }

    /** How requests are sent; null (the default) means {@link HttpTransport}: HttpURLConnection, with the JVM's proxy settings. */
    public Builder transport(Transport transport) {
      this.transport = transport;
      return this;
    }

    /** Where DO_NOT_TRACK, DUMPCATCHER_DISABLED, DUMPCATCHER_CONFIG and the XDG folders are read from. */
    public Builder environment(Environment environment) {
      this.environment = environment;
      return this;
    }

    /**
     * Where the app runs: {@code production}, {@code staging}, ... ({@code [A-Za-z0-9_.-]{1,64}});
     * sent with every report. Default: the DUMPCATCHER_ENVIRONMENT variable, else
     * {@code production}. Anything else disables the SDK with a notice naming environment.
     */
    public Builder environment(String environment) {
      this.environmentName = environment;
      return this;
    }

    /** How many breadcrumbs to keep, 0 to 100 (default 100; 0: none). */
    public Builder maxBreadcrumbs(int maxBreadcrumbs) {
      this.maxBreadcrumbs = maxBreadcrumbs;
      return this;
    }

    /** Every kind of automatic breadcrumbs on (the default) or off. */
    public Builder autoBreadcrumbs(boolean on) {
      this.autoBreadcrumbs = on;
      this.autoBreadcrumbKinds.clear();
      return this;
    }

    /** One kind of automatic breadcrumbs on or off: {@code logging} (java.util.logging at INFO and above). */
    public Builder autoBreadcrumbs(String kind, boolean on) {
      this.autoBreadcrumbKinds.put(kind, on);
      return this;
    }

    /** Extra usage metrics registered at init, after the built-in and discovered ones. */
    public Builder metrics(List<Metric> metrics) {
      this.metrics = metrics == null ? new ArrayList<Metric>() : new ArrayList<>(metrics);
      return this;
    }

    /** Adds one metric registered at init. */
    public Builder metric(Metric metric) {
      if (metric != null) this.metrics.add(metric);
      return this;
    }

    /** Register the Metric implementations found by ServiceLoader at init (default: on, off on Android). */
    public Builder discoverMetrics(boolean discoverMetrics) {
      this.discoverMetrics = discoverMetrics;
      return this;
    }

    /** Backoff base; tests shorten it. */
    Builder retryBaseMs(long retryBaseMs) {
      this.retryBaseMs = retryBaseMs;
      return this;
    }

    /** Backoff cap. */
    Builder retryCapMs(long retryCapMs) {
      this.retryCapMs = retryCapMs;
      return this;
    }

    /** Clock used to sign; tests skew it. */
    Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /** Builds the options; validation happens at init, which never throws. */
    public DumpcatcherOptions build() {
      return new DumpcatcherOptions(this);
    }
  }
}
