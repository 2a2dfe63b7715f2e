package sites.deco.buildsecrets.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvFileTest {

  @Test
  void readsAssignmentsCommentsExportsAndQuotes() {
    Map<String, String> read = EnvFile.parse("""
        # a comment
        API_URL=https://api.example.com/v1?a=b

        export REGION = eu-west-1
        GREETING="hello \\"world\\"\\nbye"
        LITERAL='no \\n escape here'
        EMPTY=
        SPACED=  kept as is\r
        """);
    assertThat(read).containsExactly(
        Map.entry("API_URL", "https://api.example.com/v1?a=b"),
        Map.entry("REGION", "eu-west-1"),
        Map.entry("GREETING", "hello \"world\"\nbye"),
        Map.entry("LITERAL", "no \\n escape here"),
        Map.entry("EMPTY", ""),
        Map.entry("SPACED", "kept as is"));
  }

  @Test
  void errorsNameTheLineNeverItsText() {
    String secretLine = "postgres://user:" + CliFixtures.CANARY + "@db";
    assertThatThrownBy(() -> EnvFile.parse("A=1\n" + secretLine + "\n"))
        .hasMessage("env file line 2 is not KEY=VALUE").hasMessageNotContaining(CliFixtures.CANARY);
    assertThatThrownBy(() -> EnvFile.parse("A=\"" + CliFixtures.CANARY))
        .hasMessage("env file line 1 has an unterminated quote");
    assertThatThrownBy(() -> EnvFile.parse("A='" + CliFixtures.CANARY))
        .hasMessage("env file line 1 has an unterminated quote");
    assertThatThrownBy(() -> EnvFile.parse("A=\"x\" " + CliFixtures.CANARY))
        .hasMessage("env file line 1 has text after its closing quote");
    assertThatThrownBy(() -> EnvFile.parse("A=\"\\q\""))
        .hasMessageStartingWith("env file line 1 has an unknown escape");
    assertThatThrownBy(() -> EnvFile.parse("A=1\n\nA=" + CliFixtures.CANARY))
        .hasMessage("env file line 3 sets a key an earlier line sets");
    assertThatThrownBy(() -> EnvFile.parse("=" + CliFixtures.CANARY)).hasMessage("env file line 1 is not KEY=VALUE");
  }
}
