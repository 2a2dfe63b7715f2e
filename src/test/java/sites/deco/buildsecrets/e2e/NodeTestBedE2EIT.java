package sites.deco.buildsecrets.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.testbed.ReliabilityRecord;

/**
 * {@code dev/testbed down} on a node-mode test bed with a pod still running: nothing the node
 * started outlives it (processes, mounts under its directory, its cgroup root, the kubelet's log
 * links), so test beds can come and go on one host.
 */
class NodeTestBedE2EIT {
  @Test
  void downLeavesNoProcessMountCgroupOrLogLinkBehind() throws Exception {
    Path dir;
    try (PrivateBed bed = PrivateBed.up("node-lifecycle-testbed", "--node")) {
      dir = bed.dir;
      Pod pod = new PodBuilder().withNewMetadata().withName("sleeper").withNamespace("default").endMetadata()
          .withNewSpec().withHostNetwork(true).withRestartPolicy("Never")
          .addNewContainer().withName("sleep").withImage(bed.env.get("TESTBED_BUILDER_IMAGE"))
          .withImagePullPolicy("Never").withCommand("sleep", "100000").endContainer()
          .endSpec().build();
      bed.kube.pods().resource(pod).create();
      await().atMost(Duration.ofSeconds(120)).until(() -> {
        Pod p = bed.kube.pods().inNamespace("default").withName("sleeper").get();
        return p != null && p.getStatus() != null && "Running".equals(p.getStatus().getPhase());
      });
      assertThat(processesOf(dir)).as("processes started with a path under " + dir).isNotEmpty();
      assertThat(mountsUnder(dir)).isNotEmpty();
    } // close(): dev/testbed down

    assertThat(processesOf(dir)).as("processes left").isEmpty();
    assertThat(mountsUnder(dir)).as("mounts left").isEmpty();
    assertThat(Files.exists(dir.resolve("containerd"))).isFalse();
    assertThat(Files.exists(dir.resolve("kubelet"))).isFalse();
    try (Stream<Path> hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
      assertThat(hierarchies.flatMap(NodeTestBedE2EIT::children)
          .filter(p -> p.getFileName().toString().startsWith("bso-testbed-"))
          .filter(p -> isCgroupRootOf(p, dir))).as("cgroup roots left").isEmpty();
    }
    try (Stream<Path> links = Files.list(Path.of("/var/log/containers"))) {
      assertThat(links.filter(Files::isSymbolicLink).filter(l -> linksInto(l, dir))).as("log links left").isEmpty();
    }
    ReliabilityRecord.passed("Test bed", "dev/testbed down on a node-mode test bed with a pod running",
        "No process, mount, cgroup or log link of the node is left; the pod's process is gone");
  }

  /** Processes whose command line names a path under {@code dir} (every node process does). */
  private static List<Long> processesOf(Path dir) {
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().arguments().map(a -> Stream.of(a).anyMatch(s -> s.startsWith(dir + "/"))).orElse(false)
            || p.info().commandLine().map(c -> c.contains("sleep 100000")).orElse(false))
        .map(ProcessHandle::pid).toList();
  }

  private static List<String> mountsUnder(Path dir) throws Exception {
    return Files.readAllLines(Path.of("/proc/self/mounts")).stream()
        .map(l -> l.split(" ")[1]).filter(m -> m.startsWith(dir + "/")).toList();
  }

  /** The cgroup root dev/testbed names after {@code dir}: /bso-testbed-<first 12 hex of sha256(dir)>. */
  private static boolean isCgroupRootOf(Path cgroup, Path dir) {
    try {
      String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(dir.toString().getBytes(StandardCharsets.UTF_8))).substring(0, 12);
      return cgroup.getFileName().toString().equals("bso-testbed-" + hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Stream<Path> children(Path dir) {
    try {
      return Files.isDirectory(dir) ? Files.list(dir).toList().stream() : Stream.empty();
    } catch (IOException e) {
      return Stream.empty();
    }
  }

  private static boolean linksInto(Path link, Path dir) {
    try {
      return Files.readSymbolicLink(link).toString().startsWith(dir + "/");
    } catch (IOException e) {
      return false;
    }
  }
}
