package sites.deco.buildsecrets.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import sites.deco.buildsecrets.testbed.FaultProxy;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * One run of a CLI subcommand of the built jar, as a person runs it: exit status, stdout, stderr.
 * Both outputs also go to {@code outputs}, which the tests search for leaked values afterwards.
 */
record CliRun(int exit, String out, String err) {

  @Override
  public String toString() {
    return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
  }

  /** Runs {@code java -jar <jar> args...} with the environment {@code env} added to this one's. */
  static CliRun of(Map<String, String> env, Collection<String> outputs, int timeoutSeconds, String... args) {
    List<String> command = new ArrayList<>(List.of(OperatorProcess.java(), "-jar", OperatorProcess.jar().toString()));
    command.addAll(List.of(args));
    try {
      Path dir = TestBed.repoRoot().resolve("target/e2e-logs");
      Files.createDirectories(dir);
      Path out = Files.createTempFile(dir, "cli-" + args[0] + "-", ".out");
      Path err = Files.createTempFile(dir, "cli-" + args[0] + "-", ".err");
      ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", args) + " did not finish within " + timeoutSeconds + "s");
      }
      CliRun r = new CliRun(p.exitValue(), Files.readString(out), Files.readString(err));
      outputs.add(r.out());
      outputs.add(r.err());
      return r;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * A run whose Secrets Manager calls go through a proxy on which the {@code hangFrom}-th call and
   * those after it hang: once one hangs, {@code meanwhile} runs (a concurrent write), the proxy heals
   * and the finished run is returned. {@code run} gets the environment that points at the proxy; give
   * it a call timeout longer than the wait.
   */
  static CliRun whileUpstreamHangs(String motoUrl, int hangFrom, Runnable meanwhile,
      Function<Map<String, String>, CliRun> run) throws Exception {
    try (FaultProxy slow = new FaultProxy(motoUrl)) {
      slow.inject(FaultProxy.Mode.HANG, n -> n >= hangFrom);
      CompletableFuture<CliRun> done = new CompletableFuture<>();
      // On a thread of its own: the common pool (one thread on two cores) serves the kube client's answers.
      Thread.ofPlatform().daemon().name("cli-race").start(() -> {
        try {
          done.complete(run.apply(Map.of("AWS_ENDPOINT_URL_SECRETS_MANAGER", slow.url())));
        } catch (RuntimeException e) {
          done.completeExceptionally(e);
        }
      });
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
          .until(() -> slow.injected(FaultProxy.Mode.HANG) >= 1 || done.isDone());
      assertThat(done.isDone()).as("the command waits on upstream").isFalse();
      meanwhile.run();
      slow.heal();
      return done.get(120, TimeUnit.SECONDS);
    }
  }
}
