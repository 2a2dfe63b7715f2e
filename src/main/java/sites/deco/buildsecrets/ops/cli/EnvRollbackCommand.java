package sites.deco.buildsecrets.ops.cli;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import sites.deco.buildsecrets.source.SecretData;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.source.UpstreamWriter;

@Command(
    name = "rollback",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpWidth = 120,
    description = {
        "Makes an earlier version of a site's key current again (AWSCURRENT moves to it; no new version is stored), "
            + "only if the version read is still current, then delivers it like set. The version must pass the "
            + "operator's payload rules; a rollback that removes keys needs --allow-removal. See env history.",
        "Exit 0 when rolled back (and landed, unless --no-sync) or already current, 1 when refused, in conflict or "
            + "failed, 2 on usage errors."})
public final class EnvRollbackCommand implements Callable<Integer> {
  static final String PREVIOUS = "AWSPREVIOUS";

  @Spec CommandSpec spec;
  @Mixin NamingOptions namingOptions;
  @Mixin SourceOptions sourceOptions;

  @Parameters(index = "0", paramLabel = "SITE", description = "The site, or its namespace <prefix><site>.")
  String site;

  @ArgGroup(multiplicity = "1")
  Target target;

  static final class Target {
    @Option(names = "--to", paramLabel = "VERSION", description = "The version to make current (see env history).")
    String version;

    @Option(names = "--previous", description = "The version labelled AWSPREVIOUS (the one current before the last "
        + "write), else the one stored before the current one.")
    boolean previous;
  }

  @Mixin EnvWriteOptions options;

  @Override
  public Integer call() throws Exception {
    return EnvWrite.run("rollback", spec, namingOptions.naming(), sourceOptions, options, site,
        (source, writer, s, r) -> plan(writer.versions(s.key()), target.version, s.key(), r));
  }

  /** The rollback to {@code to} (null: the previous version) among {@code newestFirst}. */
  static EnvWrite.Proposal plan(List<UpstreamWriter.Version> newestFirst, String to, String key, EnvReport r) {
    UpstreamWriter.Version current = newestFirst.stream().filter(v -> v.stages().contains("AWSCURRENT")).findFirst()
        .orElse(null);
    if (current == null) {
      return new EnvWrite.Proposal.Refused("no version of " + key + " is AWSCURRENT");
    }
    r.put("readVersion", current.id());
    r.line("read: version " + current.id() + " is current");
    UpstreamWriter.Version target = to != null
        ? newestFirst.stream().filter(v -> v.id().equals(to)).findFirst().orElse(null)
        : newestFirst.stream().filter(v -> v.stages().contains(PREVIOUS)).findFirst()
            .orElse(newestFirst.indexOf(current) + 1 < newestFirst.size()
                ? newestFirst.get(newestFirst.indexOf(current) + 1) : null);
    if (target == null) {
      return new EnvWrite.Proposal.Refused(to != null
          ? "version " + to + " is not among the versions Secrets Manager holds for " + key + " (see env history)"
          : "no version of " + key + " was current before " + current.id());
    }
    r.put("targetVersion", target.id());
    if (!(target.payload() instanceof Upstream.Found found)) {
      return new EnvWrite.Proposal.Refused("version " + target.id() + " is refused by the operator ("
          + ((Upstream.Invalid) target.payload()).describe() + "): it cannot become current");
    }
    r.line("target: version " + target.id() + ", stored " + target.created());
    SecretData before = current.payload() instanceof Upstream.Found f ? f.data() : SecretData.fromStrings(Map.of());
    String readVersion = current.id();
    return new EnvWrite.Proposal.Change(before, found.data(), !target.id().equals(readVersion), (w, rep) -> {
      w.makeCurrent(key, target.id(), readVersion);
      rep.line("written: version " + target.id() + " is current again, in place of version " + readVersion);
      return target.id();
    });
  }
}
