package sites.deco.buildsecrets.ops.cli;

import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import sites.deco.buildsecrets.source.SecretData;
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
  @Mixin EnvRead.Options options;

  @Override
  public Integer call() {
    return EnvRead.run(spec, options, (reader, key, lines, json) -> {
      UpstreamWriter.Version current = reader.current(key);
      if (current == null) {
        return "upstream key " + key + " does not exist (env set creates it)";
      }
      json.put("version", current.id());
      json.put("created", String.valueOf(current.created()));
      lines.add("upstream key " + key + ": version " + current.id() + ", stored " + current.created());
      if (current.payload() instanceof Upstream.Invalid invalid) {
        return "the payload is refused by the operator: " + invalid.describe();
      }
      SecretData data = ((Upstream.Found) current.payload()).data();
      int width = Math.max(3, data.keys().stream().mapToInt(String::length).max().orElse(3));
      lines.add(String.format("%-" + width + "s  %s", "KEY", "BYTES"));
      List<Map<String, Object>> keys = new ArrayList<>();
      data.base64().forEach((k, v) -> {
        int bytes = Base64.getDecoder().decode(v).length;
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("name", k);
        row.put("bytes", bytes);
        keys.add(row);
        lines.add(String.format("%-" + width + "s  %d", k, bytes));
      });
      json.put("keys", keys);
      if (keys.isEmpty()) {
        lines.add("(no keys)");
      }
      return null;
    });
  }
}
