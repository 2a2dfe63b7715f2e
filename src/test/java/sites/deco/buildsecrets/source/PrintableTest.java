package sites.deco.buildsecrets.source;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PrintableTest {

  @Test
  void quotesPlainAscii() {
    assertThat(Printable.quote("sites-acme")).isEqualTo("\"sites-acme\"");
  }

  @Test
  void quotesEmptyName() {
    assertThat(Printable.quote("")).isEqualTo("\"\"");
  }

  @Test
  void escapesControlCharacters() {
    assertThat(Printable.quote("a\nb\tc\u0001\u007f")).isEqualTo("\"a\\u000ab\\u0009c\\u0001\\u007f\"");
  }

  @Test
  void escapesQuotesAndBackslashesSoTheQuotingCannotBeBroken() {
    assertThat(Printable.quote("a\"b\\c")).isEqualTo("\"a\\u0022b\\u005cc\"");
  }

  @Test
  void escapesNonAsciiCharacters() {
    assertThat(Printable.quote("é")).isEqualTo("\"\\u00e9\"");
    assertThat(Printable.quote("ключ")).isEqualTo("\"\\u043a\\u043b\\u044e\\u0447\"");
  }

  @Test
  void escapesBidiOverride() {
    assertThat(Printable.quote("a\u202eb")).isEqualTo("\"a\\u202eb\"");
  }

  @Test
  void outputIsPrintableAsciiForAnyShortInput() {
    String out = Printable.quote("x\u0000\u001b[31m\u2028😀\r");
    // The only non-ASCII output Printable ever emits is the truncation ellipsis.
    assertThat(out.chars()).allMatch(c -> c >= 0x20 && c < 0x7f);
  }

  @Test
  void nameOfExactly80CharactersIsNotTruncated() {
    String name = "k".repeat(80);
    assertThat(Printable.quote(name)).isEqualTo("\"" + name + "\"");
  }

  @Test
  void longNameIsCutAt80CharactersWithALengthNote() {
    String name = "a".repeat(80) + "TAIL" + "b".repeat(16);
    assertThat(Printable.quote(name)).isEqualTo("\"" + "a".repeat(80) + "…(100 chars)\"").doesNotContain("TAIL");
  }

  @Test
  void truncationCountsInputCharactersNotEscapedOutput() {
    String name = "\u0001".repeat(81);
    String out = Printable.quote(name);
    assertThat(out).isEqualTo("\"" + "\\u0001".repeat(80) + "…(81 chars)\"");
  }
}
