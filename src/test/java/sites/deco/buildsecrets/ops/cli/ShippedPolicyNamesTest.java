package sites.deco.buildsecrets.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * What the operator's code assumes about the chart, read from the shipped files (dev/check-chart
 * keeps deploy/ equal to the chart's render), so neither side can change alone.
 */
class ShippedPolicyNamesTest {

  @Test
  void doctorsDefaultPoliciesAreTheOnesTheManifestInstalls() throws IOException {
    String manifest = Files.readString(TestBed.repoRoot().resolve("deploy/build-secrets-operator.yaml"));
    assertThat(first(manifest, "- name: BUILD_SECRETS_ADMISSION_POLICIES\\s+value: \"([^\"]*)\""))
        .isEqualTo(AdmissionPolicyChecks.DEFAULT_NAMES);
    List<String> rendered = Pattern.compile("(?m)^kind: ValidatingAdmissionPolicy\\nmetadata:\\n  name: (\\S+)$")
        .matcher(manifest).results().map(m -> m.group(1)).toList();
    AdmissionPolicyChecks doctor = new AdmissionPolicyChecks();
    doctor.names = AdmissionPolicyChecks.DEFAULT_NAMES;
    assertThat(rendered).containsExactlyInAnyOrderElementsOf(doctor.expected());
  }

  @Test
  void theApprovalPolicyGuardsTheAnnotationTheOperatorReads() throws IOException {
    String helpers = Files.readString(TestBed.repoRoot().resolve("chart/templates/_policies.tpl"));
    assertThat(first(helpers, "define \"build-secrets-operator.deletionApprovalAnnotation\" -}}\\n(\\S+)\\n"))
        .isEqualTo(Naming.DELETION_APPROVAL_ANNOTATION);
  }

  /** The first group of the first match of {@code regex} in {@code text}; fails when there is none. */
  private static String first(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    assertThat(m.find()).as("a match for " + regex).isTrue();
    return m.group(1);
  }
}
