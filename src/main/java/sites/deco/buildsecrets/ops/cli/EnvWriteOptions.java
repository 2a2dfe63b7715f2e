package sites.deco.buildsecrets.ops.cli;

import java.time.Duration;
import picocli.CommandLine.Option;
import sites.deco.buildsecrets.config.GoDuration;

/** The flags every {@code env} command that writes shares, as a picocli mixin. */
public final class EnvWriteOptions {

  @Option(names = "--dry-run", description = "Read, validate and show the change (key names only); write nothing.")
  boolean dryRun;

  @Option(names = "--allow-removal",
      description = "Allow a write that removes keys, or leaves the payload empty ({}). Without it such a write is refused.")
  boolean allowRemoval;

  @Option(names = "--force", description = "Write even when the site's namespace is absent or not opted in (the "
      + "operator does not deliver the write there); no sync is requested then.")
  boolean force;

  @Option(names = "--no-sync", description = "Do not request a sync of the namespace after the write; the operator "
      + "picks the change up at its next resync or change event.")
  boolean noSync;

  @Option(names = "--wait-timeout", defaultValue = "60s", paramLabel = "DURATION",
      description = "How long to wait for the Secret to hold the version written, after requesting a sync "
          + "(default 60s; 0 requests the sync without waiting).")
  String waitTimeout;

  @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text or json (default text).")
  HandOverSupport.Format output;

  Duration waitTimeout() {
    try {
      return GoDuration.parse(waitTimeout);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--wait-timeout: " + e.getMessage());
    }
  }
}
