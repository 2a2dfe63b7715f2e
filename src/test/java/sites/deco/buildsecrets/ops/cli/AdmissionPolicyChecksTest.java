package sites.deco.buildsecrets.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class AdmissionPolicyChecksTest {

  private static List<String> expected(String names) {
    AdmissionPolicyChecks c = new AdmissionPolicyChecks();
    c.names = names;
    return c.expected();
  }

  @Test
  void expectsTheNamedPoliciesOrNone() {
    assertThat(expected(AdmissionPolicyChecks.DEFAULT_NAMES)).containsExactly(
        "build-secrets-operator-operator-identity", "build-secrets-operator-managed-secrets",
        "build-secrets-operator-opt-in-value", "build-secrets-operator-opt-in-identity",
        "build-secrets-operator-site-namespace-creators", "build-secrets-operator-deletion-approvers",
        "build-secrets-operator-deletion-ledger");
    assertThat(expected(" a , b,")).containsExactly("a", "b");
    assertThat(expected("none")).isEmpty();
    assertThat(expected("")).isEmpty();
  }
}
