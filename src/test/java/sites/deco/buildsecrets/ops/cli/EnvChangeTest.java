package sites.deco.buildsecrets.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.source.SecretData;
import sites.deco.buildsecrets.sync.KeyDiff;

class EnvChangeTest {
  private static final String CANARY = CliFixtures.CANARY;

  /** Files and standard input from maps; a missing file is NoSuchFileException. */
  private static EnvChange.Inputs inputs(Map<String, String> files, String stdin) {
    return new EnvChange.Inputs() {
      @Override
      public byte[] file(String path) throws IOException {
        if (!files.containsKey(path)) throw new NoSuchFileException(path);
        return files.get(path).getBytes(StandardCharsets.UTF_8);
      }

      @Override
      public byte[] stdin() {
        if (stdin == null) throw new UncheckedIOException(new IOException("closed"));
        return stdin.getBytes(StandardCharsets.UTF_8);
      }
    };
  }

  @Test
  void assignmentsComeFromArgumentsFilesStandardInputAndAnEnvFile() {
    EnvChange change = EnvChange.assignments(List.of("PLAIN=a=b", "FROM_FILE=@token.txt", "FROM_STDIN=@-"),
        "vars.env", inputs(Map.of("token.txt", "t0k3n\n", "vars.env", "FROM_ENV_FILE=e\n"), "piped"));
    assertThat(change.set()).containsExactly(Map.entry("PLAIN", "a=b"), Map.entry("FROM_FILE", "t0k3n\n"),
        Map.entry("FROM_STDIN", "piped"), Map.entry("FROM_ENV_FILE", "e"));
    assertThat(EnvChange.assignments(List.of(), "-", inputs(Map.of(), "A=1\nB=2")).set())
        .containsExactly(Map.entry("A", "1"), Map.entry("B", "2"));
  }

  @Test
  void malformedArgumentsAreUsageErrorsThatNeverEchoTheArgument() {
    EnvChange.Inputs none = inputs(Map.of(), "x");
    assertThatThrownBy(() -> EnvChange.assignments(List.of("A=1", CANARY), null, none))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("argument 2 after the site is not KEY=VALUE").hasMessageNotContaining(CANARY);
    assertThatThrownBy(() -> EnvChange.assignments(List.of("=" + CANARY), null, none))
        .hasMessageStartingWith("argument 1 after the site is not KEY=VALUE");
    assertThatThrownBy(() -> EnvChange.assignments(List.of("A=1", "A=" + CANARY), null, none))
        .hasMessage("argument 2 sets a key that is set already: give each key once");
    assertThatThrownBy(() -> EnvChange.assignments(List.of("A=@-"), "-", none))
        .hasMessage("standard input can give one value or one env file, not two");
    assertThatThrownBy(() -> EnvChange.assignments(List.of("A=@missing.txt"), null, none))
        .hasMessage("cannot read file missing.txt (NoSuchFileException)");
    assertThatThrownBy(() -> EnvChange.assignments(List.of(), null, none)).hasMessageStartingWith("nothing to set");
    assertThatThrownBy(() -> EnvChange.removals(List.of())).hasMessage("name the keys to remove");
  }

  @Test
  void aFileThatIsNotUtf8TextIsRefused() {
    EnvChange.Inputs binary = new EnvChange.Inputs() {
      @Override
      public byte[] file(String path) {
        return new byte[] {(byte) 0xff, (byte) 0xfe, 0};
      }

      @Override
      public byte[] stdin() {
        return new byte[0];
      }
    };
    assertThatThrownBy(() -> EnvChange.assignments(List.of("CERT=@cert.der"), null, binary))
        .hasMessage("file cert.der is not UTF-8 text: a build variable holds text");
  }

  @Test
  void theChangeAppliesToTheValuesReadAndIsSummarisedByKeyNames() {
    SecretData read = SecretData.fromStrings(Map.of("KEEP", "k", "CHANGE", "old", "DROP", "d"));
    EnvChange set = EnvChange.assignments(List.of("CHANGE=new", "ADD=" + CANARY, "KEEP=k"), null, inputs(Map.of(), null));
    Map<String, String> after = set.applyTo(read);
    assertThat(after).containsExactly(Map.entry("ADD", CANARY), Map.entry("CHANGE", "new"), Map.entry("DROP", "d"),
        Map.entry("KEEP", "k"));
    KeyDiff diff = KeyDiff.between(read, SecretData.fromStrings(after));
    assertThat(diff.toString()).isEqualTo("added [ADD], changed [CHANGE]").doesNotContain(CANARY);

    EnvChange unset = EnvChange.removals(List.of("DROP", "NEVER_SET"));
    assertThat(unset.applyTo(read)).containsOnlyKeys("KEEP", "CHANGE");
    assertThat(unset.absent(read)).containsExactly("NEVER_SET");
    assertThat(EnvChange.json(unset.applyTo(read))).isEqualTo("{\"CHANGE\":\"old\",\"KEEP\":\"k\"}");
  }
}
