package dev.dumpcatcher;

import static dev.dumpcatcher.TestSupport.options;
import static dev.dumpcatcher.TestSupport.queueFiles;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FacadeTest {
  @TempDir Path dir;

  @AfterEach
  void closeSdk() {
    Dumpcatcher.close();
  }

  @Test
  void everyCallBeforeInitIsAHarmlessNoOp() {
    Dumpcatcher.close();
    assertFalse(Dumpcatcher.isActive());
    assertDoesNotThrow(() -> {
      Dumpcatcher.captureException(new RuntimeException("too early"));
      Dumpcatcher.captureException(new RuntimeException("too early"), CaptureContext.builder().label("x").build());
      Dumpcatcher.reportUsage();
      Dumpcatcher.metrics().register(new TestMetric());
      Dumpcatcher.close();
      Dumpcatcher.init(null);
    });
    assertTrue(Dumpcatcher.flush(10));
  }

  @Test
  void everyCallAfterCloseIsAHarmlessNoOp() throws Exception {
    try (FakeIngest ingest = new FakeIngest()) {
      Dumpcatcher.init(options(ingest.url(), dir).build());
      assertTrue(Dumpcatcher.isActive());
      Dumpcatcher.captureException(new RuntimeException("while open"));
      assertTrue(Dumpcatcher.flush(5000));
      Dumpcatcher.close();
      assertFalse(Dumpcatcher.isActive());
      Dumpcatcher.captureException(new RuntimeException("after close"));
      Dumpcatcher.reportUsage();
      assertTrue(Dumpcatcher.flush(100));
      Thread.sleep(100);
      assertEquals(1, ingest.received().size());
      assertTrue(queueFiles(dir).isEmpty());
    }
  }

  @Test
  void neverThrowsIntoTheAppEvenForHostileExceptionsAndMetrics() throws Exception {
    try (FakeIngest ingest = new FakeIngest()) {
      Dumpcatcher.init(options(ingest.url(), dir).beforeSend(r -> {
        throw new IllegalStateException("bad hook");
      }).build());
      RuntimeException hostile = new RuntimeException() {
        private static final long serialVersionUID = 1L;
        @Override public String getMessage() { throw new UnsupportedOperationException("no message"); }
        @Override public String toString() { throw new UnsupportedOperationException("no string"); }
      };
      assertDoesNotThrow(() -> Dumpcatcher.captureException(hostile));
      Dumpcatcher.metrics().register(new Metric() {
        @Override public String name() { throw new IllegalStateException("no name"); }
        @Override public Object collect() { return 1; }
      });
      assertDoesNotThrow(Dumpcatcher::reportUsage);
      assertTrue(Dumpcatcher.flush(5000));
      // beforeSend threw, so the crash was not queued; the usage report was.
      assertEquals(1, ingest.received().size());
      assertEquals("/v1/usage", ingest.received().get(0).path);
    }
  }

  @Test
  void hostileExceptionsAreStillReported() throws Exception {
    try (FakeIngest ingest = new FakeIngest()) {
      Dumpcatcher.init(options(ingest.url(), dir).build());
      RuntimeException hostile = new RuntimeException() {
        private static final long serialVersionUID = 1L;
        @Override public String getMessage() { throw new UnsupportedOperationException("no message"); }
      };
      Dumpcatcher.captureException(hostile);
      assertTrue(Dumpcatcher.flush(5000));
      assertEquals(1, ingest.received().size());
      assertEquals(202, ingest.received().get(0).status);
    }
  }
}
