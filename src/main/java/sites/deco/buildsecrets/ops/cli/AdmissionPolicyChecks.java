package sites.deco.buildsecrets.ops.cli;

import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code doctor}'s admission-policy checks: whether each ValidatingAdmissionPolicy the Helm chart
 * installs (policy-*.yaml), and its binding of the same name, is present. Which policies to expect
 * comes from {@code --admission-policies}; the chart sets it in the pod (env
 * BUILD_SECRETS_ADMISSION_POLICIES) to exactly what that release renders, {@code none} when the
 * cluster has no v1 policy API.
 */
public final class AdmissionPolicyChecks {
  /** What the chart renders at its defaults (release name build-secrets-operator): its helper policyNames. */
  static final String DEFAULT_NAMES = "build-secrets-operator-operator-identity,build-secrets-operator-managed-secrets,"
      + "build-secrets-operator-opt-in-value,build-secrets-operator-opt-in-identity,"
      + "build-secrets-operator-site-namespace-creators,build-secrets-operator-deletion-approvers,"
      + "build-secrets-operator-deletion-ledger";

  @Option(names = "--admission-policies", paramLabel = "NAMES",
      defaultValue = "${env:BUILD_SECRETS_ADMISSION_POLICIES:-" + DEFAULT_NAMES + "}",
      description = "ValidatingAdmissionPolicies (each with a binding of the same name) that must be present, "
          + "comma-separated, or none (env BUILD_SECRETS_ADMISSION_POLICIES, set by the Helm chart; "
          + "default the chart's seven policies at release name build-secrets-operator).")
  String names;

  /** The expected policy names; empty for {@code none} or blank. */
  List<String> expected() {
    if (names == null || names.isBlank() || names.trim().equals("none")) {
      return List.of();
    }
    return Arrays.stream(names.split(",")).map(String::trim).filter(n -> !n.isEmpty()).toList();
  }

  /** One check per policy and one per binding; an empty list when none are expected. */
  List<DoctorCheck> check(KubernetesClient client) {
    List<DoctorCheck> out = new ArrayList<>();
    for (String name : expected()) {
      out.add(policy(client, name));
      out.add(binding(client, name));
    }
    return out;
  }

  private static DoctorCheck policy(KubernetesClient client, String name) {
    String what = "admission policy " + name;
    try {
      ValidatingAdmissionPolicy p = client.admissionRegistration().v1().validatingAdmissionPolicies().withName(name).get();
      return p == null ? DoctorCheck.fail(what + ": missing", install(name)) : DoctorCheck.ok(what + ": present");
    } catch (KubernetesClientException e) {
      return unreadable(what, e);
    }
  }

  private static DoctorCheck binding(KubernetesClient client, String name) {
    String what = "admission policy binding " + name;
    try {
      ValidatingAdmissionPolicyBinding b =
          client.admissionRegistration().v1().validatingAdmissionPolicyBindings().withName(name).get();
      if (b == null) {
        return DoctorCheck.fail(what + ": missing (the policy is not enforced without it)", install(name));
      }
      String bound = b.getSpec() == null ? null : b.getSpec().getPolicyName();
      if (!name.equals(bound)) {
        return DoctorCheck.fail(what + ": binds " + bound + ", not " + name, install(name));
      }
      List<String> actions = b.getSpec().getValidationActions();
      return DoctorCheck.ok(what + ": present (" + (actions == null ? "" : String.join(",", actions)) + ")");
    } catch (KubernetesClientException e) {
      return unreadable(what, e);
    }
  }

  private static String install(String name) {
    return "install the Helm chart with admissionPolicies.enabled=true (templates/policy-*.yaml), or kubectl apply -f "
        + "deploy/build-secrets-operator.yaml; if " + name + " is deliberately off, leave it out of --admission-policies. "
        + "Clusters before Kubernetes 1.30 have no v1 policy API: set admissionPolicies.enabled=false and "
        + "--admission-policies=none";
  }

  private static DoctorCheck unreadable(String what, KubernetesClientException e) {
    return DoctorCheck.fail(what + ": could not read (" + CliSupport.describe(e) + ")",
        "allow the identity to get validatingadmissionpolicies and validatingadmissionpolicybindings "
            + "(admissionregistration.k8s.io) by these names; the chart's ClusterRole grants it to the operator");
  }
}
