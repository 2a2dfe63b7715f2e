package sites.deco.buildsecrets.ops.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "set",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpWidth = 120,
    description = {
        "Sets build variables of a site: reads the current version, applies the assignments, checks the result with "
            + "the operator's payload rules, shows the keys added and changed, and writes a new version only if the "
            + "version read is still current. Creates the key when it does not exist.",
        "Give values with KEY=@FILE (the file's exact bytes, a trailing newline included), KEY=@- (standard input) "
            + "or --from-env-file FILE (- for standard input). KEY=VALUE works too, but leaves the value in your "
            + "shell history and in the process list: avoid it for secrets.",
        "Exit 0 when written (and landed, unless --no-sync) or nothing changed, 1 when refused, in conflict or "
            + "failed, 2 on usage errors."})
public final class EnvSetCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin NamingOptions namingOptions;
  @Mixin SourceOptions sourceOptions;

  @Parameters(index = "0", paramLabel = "SITE", description = "The site, or its namespace <prefix><site>.")
  String site;

  @Parameters(index = "1..*", arity = "0..*", paramLabel = "KEY=VALUE|KEY=@FILE|KEY=@-",
      description = "Variables to set.")
  List<String> assignments = new ArrayList<>();

  @Option(names = "--from-env-file", paramLabel = "FILE",
      description = "Also set every KEY=VALUE line of FILE (- for standard input); # comments, blank lines, "
          + "'export ' and quoted values are understood.")
  String envFile;

  @Mixin EnvWriteOptions options;

  @Override
  public Integer call() throws Exception {
    EnvChange change = EnvChange.assignments(assignments, envFile, EnvChange.Inputs.SYSTEM);
    return EnvWrite.run("set", spec, namingOptions.naming(), sourceOptions, options, site, EnvWrite.edit(change));
  }
}
