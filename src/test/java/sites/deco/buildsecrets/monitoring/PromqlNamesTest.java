package sites.deco.buildsecrets.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PromqlNamesTest {
  @Test
  void selectorsInsideFunctionsAggregationsAndBinaryOperators() {
    assertThat(PromqlNames.of(
        "sum by (namespace) (increase(a_total{operation=\"ListSecrets\",outcome!~\"success|x\"}[30m])) > 0\n"
            + "unless\nsum by (namespace) (increase(b_total{outcome=\"success\"}[30m])) > 0"))
        .containsExactly("a_total", "b_total");
  }

  @Test
  void labelListsStringsNumbersAndGrafanaVariablesAreNotNames() {
    assertThat(PromqlNames.of("histogram_quantile(0.99, sum by (operation, le) (rate(x_bucket{namespace=~\"$namespace\"}"
        + "[$__rate_interval])))")).containsExactly("x_bucket");
    assertThat(PromqlNames.of("sum(rate(c[1h])) * 86400 * 0.05 / 10000")).containsExactly("c");
    assertThat(PromqlNames.of("max(m offset 5m) / ignoring(pod) group_left(x) n")).containsExactly("m", "n");
    assertThat(PromqlNames.of("sum(x) without (pod) > bool 1")).containsExactly("x");
    assertThat(PromqlNames.of("label_replace(y, \"a\", \"$1\", \"b\", \"(.*)\")")).containsExactly("y");
  }

  @Test
  void absentAndBareSelectors() {
    assertThat(PromqlNames.of("absent(deco_operator_buildsecrets_leader)"))
        .containsExactly("deco_operator_buildsecrets_leader");
    assertThat(PromqlNames.of("process_cpu_usage * system_cpu_count")).containsExactly("process_cpu_usage", "system_cpu_count");
  }
}
