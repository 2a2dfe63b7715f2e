package sites.deco.buildsecrets.ops.cli;

import java.util.ArrayList;
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
import sites.deco.buildsecrets.sync.KeyDiff;

@Command(
    name = "history",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpWidth = 120,
    description = {
        "Lists the versions Secrets Manager still holds for a site's key, newest first: when each was stored, its "
            + "staging labels (AWSCURRENT is the one builds get) and which key names it added, changed or removed "
            + "against the version stored before it, computed by reading the versions. Never a value.",
        "Exit 0 on success, 1 when the key is missing or unreadable, 2 on usage errors."})
public final class EnvHistoryCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin EnvRead.Options options;

  @Override
  public Integer call() {
    return EnvRead.run(spec, options, (reader, key, lines, json) -> {
      if (reader.current(key) == null) {
        return "upstream key " + key + " does not exist";
      }
      List<UpstreamWriter.Version> versions = reader.versions(key);
      List<Map<String, Object>> rows = rows(versions);
      json.put("versions", rows);
      lines.add(String.format("%-36s  %-24s  %-24s  %s", "VERSION", "STORED", "LABELS", "CHANGE"));
      for (int i = 0; i < rows.size(); i++) {
        List<String> stages = versions.get(i).stages();
        lines.add(String.format("%-36s  %-24s  %-24s  %s", versions.get(i).id(), versions.get(i).created(),
            stages.isEmpty() ? "-" : String.join(",", stages), rows.get(i).get("change")));
      }
      return null;
    });
  }

  /** One row per version, newest first, each compared with the version stored before it. */
  static List<Map<String, Object>> rows(List<UpstreamWriter.Version> newestFirst) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (int i = 0; i < newestFirst.size(); i++) {
      UpstreamWriter.Version v = newestFirst.get(i);
      Upstream older = i + 1 < newestFirst.size() ? newestFirst.get(i + 1).payload() : null;
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("version", v.id());
      row.put("created", String.valueOf(v.created()));
      row.put("stages", v.stages());
      if (v.payload() instanceof Upstream.Invalid invalid) {
        row.put("invalid", invalid.describe());
        row.put("change", "refused by the operator: " + invalid.describe());
      } else if (older instanceof Upstream.Invalid) {
        SecretData now = ((Upstream.Found) v.payload()).data();
        row.put("change", "keys " + now.keys() + " (the version before is invalid)");
      } else {
        SecretData now = ((Upstream.Found) v.payload()).data();
        SecretData before = older == null ? SecretData.fromStrings(Map.of()) : ((Upstream.Found) older).data();
        KeyDiff diff = KeyDiff.between(before, now);
        row.put("added", List.copyOf(diff.added()));
        row.put("changed", List.copyOf(diff.changed()));
        row.put("removed", List.copyOf(diff.removed()));
        row.put("change", diff.toString());
      }
      rows.add(row);
    }
    return rows;
  }
}
