package sites.deco.buildsecrets.ops.cli;

import picocli.CommandLine.Option;

/** The output flags {@code adopt} and {@code release} share, as a picocli mixin. */
public final class HandOverOptions {

  @Option(names = "--dry-run", description = "Print what would happen; write nothing anywhere.")
  boolean dryRun;

  @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text or json (default text).")
  HandOverSupport.Format output;
}
