package sites.deco.buildsecrets.ops.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.source.UpstreamWriter;

@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpWidth = 120,
    description = {
        "Lists a site's build variables as Secrets Manager holds them now: key names and value sizes in bytes, the "
            + "current version and when it was stored. Never a value.",
        "Exit 0 when the key holds a payload the operator accepts, 1 when it is missing, refused or unreadable, "
            + "2 on usage errors."})
public final class EnvListCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin NamingOptions namingOptions;
  @Mixin SourceOptions sourceOptions;

  @Parameters(index = "0", paramLabel = "SITE", description = "The site, or its namespace <prefix><site>.")
  String site;

  @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text or json (default text).")
  HandOverSupport.Format output;

  @Override
  public Integer call() throws Exception {
    CliSupport.quietLogging();
    Naming naming = namingOptions.naming();
    String name = EnvSite.siteOf(naming, site);
    String key = naming.upstreamKey(name);
    PrintWriter out = spec.commandLine().getOut();
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("site", name);
    json.put("key", key);
    List<String> lines = new ArrayList<>();
    String problem;
    try (UpstreamWriter reader = sourceOptions.openWriter(sourceOptions.tokenBucket())) {
      UpstreamWriter.Version current = reader.current(key);
      problem = current == null ? "upstream key " + key + " does not exist (env set creates it)" : null;
      if (current != null) {
        json.put("version", current.id());
        json.put("created", String.valueOf(current.created()));
        lines.add("upstream key " + key + ": version " + current.id() + ", stored " + current.created());
        switch (current.payload()) {
          case Upstream.Found f -> {
            List<Map<String, Object>> keys = new ArrayList<>();
            int width = f.data().keys().stream().mapToInt(String::length).max().orElse(3);
            lines.add(String.format("%-" + width + "s  %s", "KEY", "BYTES"));
            f.data().base64().forEach((k, v) -> {
              int bytes = Base64.getDecoder().decode(v).length;
              keys.add(Map.of("name", k, "bytes", bytes));
              lines.add(String.format("%-" + width + "s  %d", k, bytes));
            });
            json.put("keys", keys);
            if (keys.isEmpty()) {
              lines.add("(no keys)");
            }
          }
          case Upstream.Invalid i -> problem = "the payload is refused by the operator: " + i.describe();
          default -> problem = "unexpected answer";
        }
      }
    } catch (SourceException e) {
      problem = "reading " + key + " failed, " + e.getMessage();
    }
    if (problem != null) {
      json.put("error", problem);
      lines.add("error: " + problem);
    }
    EnvHistoryCommand.print(out, output, lines, json);
    return problem == null ? 0 : 1;
  }
}
