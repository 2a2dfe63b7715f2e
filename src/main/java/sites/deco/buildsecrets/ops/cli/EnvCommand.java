package sites.deco.buildsecrets.ops.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(
    name = "env",
    mixinStandardHelpOptions = true,
    usageHelpWidth = 120,
    subcommands = {EnvListCommand.class, EnvSetCommand.class, EnvUnsetCommand.class, EnvHistoryCommand.class,
        EnvRollbackCommand.class},
    description = {
        "Reads and edits a site's build variables (its upstream key, e.g. sites/<site>/build) with your AWS "
            + "credentials, never the operator's. Every write is checked by the operator's own payload rules, shown "
            + "by key names (added, changed, removed), made only if the version read is still current (a change made "
            + "meanwhile by anyone fails the write, which writes nothing), tagged with your AWS identity, then "
            + "delivered: the namespace's sync is requested and the Secret awaited.",
        "AWS Secrets Manager only: with --build-secrets-backend=vault every env subcommand stops with an error "
            + "(edit Vault keys with vault kv put; the operator syncs them).",
        "Never prints a value. Exit 0 on success, 1 when refused, in conflict or failed, 2 on usage errors."})
public final class EnvCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "name a subcommand: list, set, unset, history or rollback");
  }
}
