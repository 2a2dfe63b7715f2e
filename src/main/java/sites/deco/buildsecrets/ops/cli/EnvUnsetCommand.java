package sites.deco.buildsecrets.ops.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "unset",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpWidth = 120,
    description = {
        "Removes build variables of a site: reads the current version, removes the keys, checks the result with the "
            + "operator's payload rules, shows the keys removed, and writes a new version only if the version read "
            + "is still current. A removal needs --allow-removal; so does leaving no key at all.",
        "Exit 0 when written (and landed, unless --no-sync) or nothing changed, 1 when refused, in conflict or "
            + "failed, 2 on usage errors."})
public final class EnvUnsetCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin NamingOptions namingOptions;
  @Mixin SourceOptions sourceOptions;

  @Parameters(index = "0", paramLabel = "SITE", description = "The site, or its namespace <prefix><site>.")
  String site;

  @Parameters(index = "1..*", arity = "0..*", paramLabel = "KEY", description = "Variables to remove.")
  List<String> keys = new ArrayList<>();

  @Mixin EnvWriteOptions options;

  @Override
  public Integer call() throws Exception {
    EnvChange change = EnvChange.removals(keys);
    return EnvWrite.run("unset", spec, namingOptions.naming(), sourceOptions, options, site, EnvWrite.edit(change));
  }
}
