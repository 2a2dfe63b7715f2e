package sites.deco.buildsecrets.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.config.OperatorConfig;
import sites.deco.buildsecrets.ops.Main;

class DoctorAndCommandLineTest {

  private record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    CommandLine cl = Main.commandLine();
    StringWriter out = new StringWriter(), err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void doctorPrintsOneLinePerCheckAndAFixForEachFailure() {
    String report = DoctorCheck.render(List.of(
        DoctorCheck.ok("kube API reachable"),
        DoctorCheck.fail("RBAC: update secrets named build-secrets (all namespaces): denied", "grant it")));
    assertThat(report).isEqualTo("""
        OK    kube API reachable
        FAIL  RBAC: update secrets named build-secrets (all namespaces): denied
              fix: grant it
        1 of 2 checks failed
        """);
    assertThat(DoctorCheck.render(List.of(DoctorCheck.ok("a")))).endsWith("all 1 checks passed\n");
  }

  @Test
  void doctorChecksEveryVerbTheOperatorUses() {
    List<String> checks = DoctorCommand.permissions(Naming.DEFAULTS, "build-secrets.deco.sites", "ops",
        new OperatorConfig.DeletionLedgerLocation("ops", "build-secrets-deletion-ledger")).stream()
        .map(DoctorCommand.Permission::describe).toList();
    assertThat(checks).contains(
        "RBAC: list namespaces (all namespaces)",
        "RBAC: watch secrets named build-secrets (all namespaces)",
        "RBAC: delete secrets named build-secrets (all namespaces)",
        "RBAC: create secrets (all namespaces)",
        "RBAC: create events (all namespaces)",
        "RBAC: update coordination.k8s.io/leases named build-secrets.deco.sites in namespace ops",
        "RBAC: create coordination.k8s.io/leases in namespace ops",
        "RBAC: get configmaps named build-secrets-deletion-ledger in namespace ops",
        "RBAC: update configmaps named build-secrets-deletion-ledger in namespace ops",
        "RBAC: create configmaps in namespace ops");
    assertThat(DoctorCommand.permissions(Naming.DEFAULTS, "build-secrets.deco.sites", "ops", null))
        .as("--deletion-ledger=none").noneMatch(p -> p.resource().equals("configmaps"));
  }

  @Test
  void subcommandsShareTheOperatorsNamingFlags() {
    for (List<String> sub : List.of(List.of("status"), List.of("sync"), List.of("doctor"), List.of("env", "list"),
        List.of("env", "set"), List.of("env", "unset"), List.of("env", "history"), List.of("env", "rollback"))) {
      List<String> args = new java.util.ArrayList<>(sub);
      args.add("--help");
      Run help = run(args.toArray(String[]::new));
      assertThat(help.exit()).isZero();
      assertThat(help.out()).contains("--namespace-prefix", "BUILD_SECRETS_NAMESPACE_PREFIX", "--key-template",
          "--secret-name", "--managed-by-label", "--aws-call-timeout");
    }
    assertThat(run("--help").out()).contains("status", "sync", "doctor", "env");
  }

  @Test
  void envUsageErrorsExitTwoBeforeAnyCallAndNeverEchoAValue() {
    String canary = CliFixtures.CANARY;
    for (String[] args : List.of(new String[] {"env", "set", "acme", canary}, new String[] {"env", "set", "acme"},
        new String[] {"env", "set", "acme", "A=@/nonexistent/" + "file"}, new String[] {"env", "unset", "acme"},
        new String[] {"env", "rollback", "acme"}, new String[] {"env", "rollback", "acme", "--to", "v1", "--previous"},
        new String[] {"env", "set", "a/b", "A=1"}, new String[] {"env"},
        new String[] {"env", "set", "acme", "A=1", "--wait-timeout", "soon"})) {
      Run r = run(args);
      assertThat(r.exit()).as(String.join(" ", args) + "\n" + r.err()).isEqualTo(2);
      assertThat(r.out() + r.err()).doesNotContain(canary);
    }
    assertThat(run("env", "set", "--help").out()).contains("shell history").contains("KEY=@FILE");
  }

  @Test
  void usageErrorsExitTwo() {
    assertThat(run("status", "-o", "yaml").exit()).isEqualTo(2);
    assertThat(run("sync").exit()).isEqualTo(2);
    Run notASite = run("sync", "kube-system");
    assertThat(notASite.exit()).isEqualTo(2);
    assertThat(notASite.err()).contains("not a site namespace");
    assertThat(run("status", "--feature-label", "nolabel").exit()).isEqualTo(2);
    assertThat(run("sync", "sites-x", "--build-secrets-backend", "disabled").exit()).isEqualTo(2);
  }
}
