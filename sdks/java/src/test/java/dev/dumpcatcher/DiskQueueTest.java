package dev.dumpcatcher;

import static dev.dumpcatcher.TestSupport.options;
import static dev.dumpcatcher.TestSupport.queueFiles;
import static dev.dumpcatcher.TestSupport.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskQueueTest {
  @TempDir Path dir;

  private static QueuedReport report(long createdAt, long counter, String body) {
    return new QueuedReport("/v1/crashes", "client_ABCdef-123", counter, createdAt, body);
  }

  @Test
  void writesOneFilePerReportAndReadsTheBodyBackByteForByte() throws Exception {
    DiskQueue q = new DiskQueue(dir.toFile(), 10, 1 << 20, 3600);
    String body = "{\"reportId\":\"x\",\"n\":1.50,\"s\":\"caf\u00e9 \\u00e9\"}";
    Path file = q.write(report(1000, 7, body)).toPath();
    assertEquals("1000-client_ABCdef-123-7.json", file.getFileName().toString());
    QueuedReport back = q.read(file.toFile());
    assertEquals(body, back.bodyJson());
    assertEquals(7, back.counter());
    assertEquals("client_ABCdef-123", back.clientId());
    assertEquals(1000, back.createdAtMillis());
    try (java.util.stream.Stream<Path> s = Files.list(dir)) {
      assertEquals(1, s.count(), "no temp file left behind");
    }
  }

  @Test
  void listsOldestFirst() throws Exception {
    DiskQueue q = new DiskQueue(dir.toFile(), 10, 1 << 20, Long.MAX_VALUE / 2000);
    q.write(report(3000, 1, "{}"));
    q.write(report(1000, 2, "{}"));
    q.write(report(2000, 3, "{}"));
    List<Path> files = toPaths(q.list());
    assertEquals("1000-client_ABCdef-123-2.json", files.get(0).getFileName().toString());
    assertEquals("3000-client_ABCdef-123-1.json", files.get(2).getFileName().toString());
  }

  @Test
  void dropsTheOldestBeyondTheFileCount() throws Exception {
    DiskQueue q = new DiskQueue(dir.toFile(), 3, 1 << 20, Long.MAX_VALUE / 2000);
    for (int i = 1; i <= 5; i++) q.write(report(1000L * i, i, "{}"));
    assertEquals(2, q.enforceBounds(6000));
    List<Path> files = toPaths(q.list());
    assertEquals(3, files.size());
    assertTrue(files.get(0).getFileName().toString().startsWith("3000-"));
  }

  @Test
  void dropsTheOldestBeyondTheByteBound() throws Exception {
    StringBuilder big = new StringBuilder("{\"pad\":\"");
    for (int i = 0; i < 900; i++) big.append('x');
    big.append("\"}");
    DiskQueue q = new DiskQueue(dir.toFile(), 100, 2500, Long.MAX_VALUE / 2000);
    for (int i = 1; i <= 4; i++) q.write(report(1000L * i, i, big.toString()));
    q.enforceBounds(5000);
    List<Path> files = toPaths(q.list());
    assertEquals(2, files.size());
    assertTrue(files.get(0).getFileName().toString().startsWith("3000-"));
  }

  @Test
  void dropsReportsOlderThanTheAgeBound() throws Exception {
    DiskQueue q = new DiskQueue(dir.toFile(), 100, 1 << 20, 60);
    long now = 10_000_000L;
    q.write(report(now - 61_000, 1, "{}"));
    q.write(report(now - 59_000, 2, "{}"));
    assertEquals(1, q.enforceBounds(now));
    assertEquals(1, q.list().size());
  }

  @Test
  void deletesFilesThatCannotBeParsedAndOldTempFiles() throws Exception {
    DiskQueue q = new DiskQueue(dir.toFile(), 100, 1 << 20, 3600);
    Path broken = dir.resolve("1000-client_ABCdef-123-1.json");
    Files.write(broken, "{\"v\":1,\"path\":".getBytes(StandardCharsets.UTF_8));
    assertNull(q.read(broken.toFile()));
    assertFalse(Files.exists(broken));
    Path oldTmp = dir.resolve("2000-client_ABCdef-123-2.json.abc.tmp");
    Path newTmp = dir.resolve("3000-client_ABCdef-123-3.json.def.tmp");
    Files.write(oldTmp, new byte[] {1});
    Files.write(newTmp, new byte[] {1});
    long now = System.currentTimeMillis();
    Files.setLastModifiedTime(oldTmp, FileTime.fromMillis(now - 3_600_000));
    q.removeLeftoverTemp(now);
    assertFalse(Files.exists(oldTmp), "leftover temp file removed");
    assertTrue(Files.exists(newTmp), "a temp file another process may be writing is kept");
  }

  @Test
  void theClientKeepsTheQueueWithinMaxQueueFiles() throws Exception {
    // The endpoint is unreachable, so everything stays queued.
    Client client = start(options("http://127.0.0.1:9", dir).maxQueueFiles(3).maxReportsPerFingerprint(100).build());
    try {
      for (int i = 0; i < 6; i++) {
        client.captureException(new RuntimeException("n" + i), null);
        Thread.sleep(2);
      }
      List<Path> files = queueFiles(dir);
      assertEquals(3, files.size());
      assertTrue(files.get(0).getFileName().toString().endsWith("-4.json"), files.toString());
    } finally {
      client.close();
    }
  }

  private static List<Path> toPaths(List<java.io.File> files) {
    List<Path> out = new ArrayList<>();
    for (java.io.File f : files) out.add(f.toPath());
    return out;
  }

  private List<Path> tempFiles() throws Exception {
    List<Path> out = new ArrayList<>();
    try (java.nio.file.DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.tmp")) {
      for (Path p : s) out.add(p);
    }
    return out;
  }

  @Test
  void aDeliveredFileIsDeletedAtOnceAndNothingElseIsLeft() throws Exception {
    DiskQueue q = new DiskQueue(dir.toFile(), 10, 1 << 20, 3600);
    q.write(report(1000, 1, "{\"private\":\"first report\"}"));
    Path second = q.write(report(2000, 2, "{\"n\":2}")).toPath();
    q.delivered(q.pending().get(0));
    assertEquals(java.util.Collections.singletonList(second), toPaths(q.list()));
    assertTrue(tempFiles().isEmpty(), "no temp file is left behind");
    assertEquals("{\"n\":2}", q.read(second.toFile()).bodyJson());
    q.delivered(q.pending().get(0));
    q.close();
    try (java.util.stream.Stream<Path> s = Files.list(dir)) {
      assertEquals(0, s.count());
    }
  }

  @Test
  void aDurableWriteLeavesTheSameFile() throws Exception {
    DiskQueue q = new DiskQueue(dir.toFile(), 10, 1 << 20, 3600);
    Path file = q.write(report(1000, 1, "{}"), true).toPath();
    assertEquals("{}", q.read(file.toFile()).bodyJson());
    assertTrue(tempFiles().isEmpty());
    q.close();
  }

  @Test
  void aFileDeliveredByTwoProcessesNeverTouchesTheNextReport() throws Exception {
    DiskQueue writer = new DiskQueue(dir.toFile(), 10, 1 << 20, 3600);
    DiskQueue other = new DiskQueue(dir.toFile(), 10, 1 << 20, 3600);
    writer.write(report(1000, 1, "{\"n\":1}"));
    // The other process's flush finds the file, delivers it, and writes its own next report into it.
    other.enforceBounds(2000);
    other.delivered(other.pending().get(0));
    Path next = other.write(new QueuedReport("/v1/crashes", "other_client_1", 1, 3000, "{\"n\":2}")).toPath();
    // The writer delivers the same file (an overlapping flush; the server said duplicate).
    writer.delivered(writer.pending().get(0));
    assertEquals("{\"n\":2}", other.read(next.toFile()).bodyJson(), "the other process's report is intact");
    writer.close();
    other.close();
  }

  @Test
  void aWriteRecreatesTheQueueFolderRemovedWhileTheAppRan() throws Exception {
    java.io.File folder = dir.resolve("gone").toFile();
    DiskQueue q = new DiskQueue(folder, 10, 1 << 20, 3600);
    assertFalse(folder.exists());
    java.io.File file = q.write(report(1000, 1, "{\"n\":1}"));
    assertEquals(new java.io.File(folder, "1000-client_ABCdef-123-1.json"), file);
    assertEquals("{\"n\":1}", q.read(file).bodyJson());
    assertEquals(java.util.Collections.singletonList(file), q.list());
  }

  @Test
  void anAtomicWriteReplacesTheOldContentAndLeavesNoTempFile() throws Exception {
    java.io.File target = dir.resolve("limiter.json").toFile();
    DiskQueue.writeAtomically(target, "old".getBytes(StandardCharsets.UTF_8), false);
    DiskQueue.writeAtomically(target, "new".getBytes(StandardCharsets.UTF_8), true);
    assertEquals("new", new String(Files.readAllBytes(target.toPath()), StandardCharsets.UTF_8));
    assertTrue(tempFiles().isEmpty());
    try (java.util.stream.Stream<Path> s = Files.list(dir)) {
      assertEquals(1, s.count());
    }
  }

  @Test
  void aFileWhereTheQueueFolderShouldBeDisablesTheClient() throws Exception {
    Path inTheWay = dir.resolve("not-a-folder");
    Files.write(inTheWay, new byte[] {1});
    Client client = new Client(options("http://127.0.0.1:9", inTheWay).build());
    assertEquals(Client.Mode.DISABLED, client.mode());
    assertTrue(client.disabledReason().startsWith("queue folder unusable"), client.disabledReason());
    client.close();
  }

  @Test
  void theQueueFolderOptionTakesAFileOrAName() {
    java.io.File folder = dir.resolve("q").toFile();
    assertEquals(folder, DumpcatcherOptions.builder().queueDir(folder).build().queueDir());
    assertEquals(folder, DumpcatcherOptions.builder().queueDir(folder.getPath()).build().queueDir());
    assertNull(DumpcatcherOptions.builder().queueDir("").build().queueDir(), "empty means the default");
    assertNull(DumpcatcherOptions.builder().queueDir((String) null).build().queueDir());
  }
}
