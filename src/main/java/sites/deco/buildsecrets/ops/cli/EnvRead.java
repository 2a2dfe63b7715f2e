package sites.deco.buildsecrets.ops.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.UpstreamWriter;

/** What {@code env list} and {@code env history} share: the site's key, a reader, text or JSON, exit 0 or 1. */
final class EnvRead {
  private EnvRead() {}

  @FunctionalInterface
  interface Body {
    /** Reads {@code key}, adding text lines and JSON fields; returns what went wrong, or null. */
    String read(UpstreamWriter reader, String key, List<String> lines, Map<String, Object> json) throws SourceException;
  }

  /** The flags both take, as a picocli mixin. */
  public static final class Options {
    @Mixin NamingOptions namingOptions;
    @Mixin SourceOptions sourceOptions;

    @Parameters(index = "0", paramLabel = "SITE", description = "The site, or its namespace <prefix><site>.")
    String site;

    @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text or json (default text).")
    HandOverSupport.Format output;
  }

  static int run(CommandSpec spec, Options options, Body body) {
    CliSupport.quietLogging();
    Naming naming = options.namingOptions.naming();
    SourceOptions sourceOptions = options.sourceOptions;
    sourceOptions.requireAws("env");
    HandOverSupport.Format format = options.output;
    String site = EnvSite.siteOf(naming, options.site);
    String key = naming.upstreamKey(site);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("site", site);
    json.put("key", key);
    List<String> lines = new ArrayList<>();
    String problem;
    try (UpstreamWriter reader = sourceOptions.openWriter(sourceOptions.tokenBucket())) {
      problem = body.read(reader, key, lines, json);
    } catch (SourceException e) {
      problem = "reading " + key + " failed, " + e.getMessage();
    }
    if (problem != null) {
      json.put("error", problem);
      lines.add("error: " + problem);
    }
    EnvReport.print(spec.commandLine().getOut(), format, lines, json);
    return problem == null ? 0 : 1;
  }
}
