package sites.deco.buildsecrets.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class PayloadParserTest {
  /** One identifier-like token, so a parser message quoting an unrecognised token would quote all of it. */
  private static final String CANARY = "CANARY7f3e9";
  private static final int MAX_VALUE = 65_536;

  private static Upstream parse(String payload) {
    return PayloadParser.parse(payload, "v1");
  }

  private static Upstream.Invalid invalid(String payload) {
    Upstream u = parse(payload);
    assertThat(u).as("result of %s", payload.length() > 100 ? payload.substring(0, 100) + "…" : payload)
        .isInstanceOf(Upstream.Invalid.class);
    return (Upstream.Invalid) u;
  }

  private static String repeat(char c, int n) {
    return String.valueOf(c).repeat(n);
  }

  // ---- valid payloads ----

  @Test
  void validObjectIsFoundWithItsDataAndVersion() {
    Upstream u = PayloadParser.parse("{\"TOKEN\":\"v1\",\"db.url\":\"postgres://x\"}", "ver-42");
    assertThat(u).isInstanceOf(Upstream.Found.class);
    Upstream.Found f = (Upstream.Found) u;
    assertThat(f.data()).isEqualTo(SecretData.fromStrings(Map.of("TOKEN", "v1", "db.url", "postgres://x")));
    assertThat(f.version()).isEqualTo("ver-42");
  }

  @Test
  void unicodeAndEscapedValuesAreDecoded() {
    Upstream u = parse("{\"A\":\"caf\\u00e9 \\\"q\\\"\\n\",\"B\":\"ключ\"}");
    assertThat(((Upstream.Found) u).data())
        .isEqualTo(SecretData.fromStrings(Map.of("A", "café \"q\"\n", "B", "ключ")));
  }

  @Test
  void whitespaceAroundTheObjectIsAllowed() {
    Upstream u = parse("\n  {\"A\" : \"b\"}\n\t ");
    assertThat(((Upstream.Found) u).data()).isEqualTo(SecretData.fromStrings(Map.of("A", "b")));
  }

  @Test
  void emptyObjectIsFoundAndEmpty() {
    Upstream u = parse("{}");
    assertThat(u).isInstanceOf(Upstream.Found.class);
    assertThat(((Upstream.Found) u).data().keys()).isEmpty();
    assertThat(((Upstream.Found) u).version()).isEqualTo("v1");
  }

  @Test
  void emptyStringValueIsAllowed() {
    Upstream u = parse("{\"A\":\"\"}");
    assertThat(((Upstream.Found) u).data()).isEqualTo(SecretData.fromStrings(Map.of("A", "")));
  }

  @Test
  void keyOf253CharactersIsValid() {
    String key = repeat('k', 253);
    Upstream u = parse("{\"" + key + "\":\"v\"}");
    assertThat(u).isInstanceOf(Upstream.Found.class);
    assertThat(((Upstream.Found) u).data().keys()).containsExactly(key);
  }

  @Test
  void keysWithAllAllowedCharacterClassesAreValid() {
    Upstream u = parse("{\"a-B_c.9\":\"v\",\".dotfile\":\"v\",\"...\":\"v\"}");
    assertThat(((Upstream.Found) u).data().keys()).containsExactly("...", ".dotfile", "a-B_c.9");
  }

  @Test
  void singleValueOfExactly65536BytesIsFound() {
    Upstream u = parse("{\"A\":\"" + repeat('x', MAX_VALUE) + "\"}");
    assertThat(u).isInstanceOf(Upstream.Found.class);
  }

  @Test
  void totalOfExactlyOneMebibyteIsFound() {
    Upstream u = parse(objectOfValues(16, MAX_VALUE)); // 16 * 65536 = 1048576
    assertThat(u).isInstanceOf(Upstream.Found.class);
    assertThat(((Upstream.Found) u).data().keys()).hasSize(16);
  }

  @Test
  void tenThousandSmallKeysAreFound() {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < 10_000; i++) {
      if (i > 0) sb.append(',');
      sb.append("\"K").append(i).append("\":\"v").append(i).append('"');
    }
    Upstream u = parse(sb.append('}').toString());
    assertThat(u).isInstanceOf(Upstream.Found.class);
    assertThat(((Upstream.Found) u).data().keys()).hasSize(10_000).contains("K0", "K9999");
  }

  // ---- payload-level rules ----

  @Test
  void jsonNullIsNullPayload() {
    Upstream.Invalid i = invalid("null");
    assertThat(i.rule()).isEqualTo(PayloadRule.NULL_PAYLOAD);
    assertThat(i.key()).isNull();
  }

  @Test
  void jsonNullWithTrailingContentIsMalformed() {
    assertThat(invalid("null {}").rule()).isEqualTo(PayloadRule.MALFORMED_JSON);
  }

  @ParameterizedTest
  @ValueSource(strings = {"[]", "[\"a\"]", "\"x\"", "42", "4.2", "true"})
  void nonObjectTopLevelIsNotAnObject(String payload) {
    Upstream.Invalid i = invalid(payload);
    assertThat(i.rule()).isEqualTo(PayloadRule.NOT_AN_OBJECT);
    assertThat(i.key()).isNull();
  }

  @Test
  void notAnObjectDetailNamesTheType() {
    assertThat(invalid("[]").detail()).isEqualTo("got array");
    assertThat(invalid("\"x\"").detail()).isEqualTo("got string");
    assertThat(invalid("42").detail()).isEqualTo("got number");
  }

  // ---- value rules ----

  @Test
  void numberValueIsNonStringNamingKeyAndType() {
    Upstream.Invalid i = invalid("{\"A\":1}");
    assertThat(i.rule()).isEqualTo(PayloadRule.NON_STRING_VALUE);
    assertThat(i.key().name()).isEqualTo("A");
    assertThat(i.detail()).isEqualTo("got number");
  }

  @Test
  void nullValueIsNonString() {
    Upstream.Invalid i = invalid("{\"A\":null}");
    assertThat(i.rule()).isEqualTo(PayloadRule.NON_STRING_VALUE);
    assertThat(i.key().name()).isEqualTo("A");
    assertThat(i.detail()).isEqualTo("got null");
  }

  @Test
  void objectValueIsNonString() {
    Upstream.Invalid i = invalid("{\"A\":{\"b\":\"c\"}}");
    assertThat(i.rule()).isEqualTo(PayloadRule.NON_STRING_VALUE);
    assertThat(i.key().name()).isEqualTo("A");
    assertThat(i.detail()).isEqualTo("got object");
  }

  @Test
  void booleanValueIsNonString() {
    Upstream.Invalid i = invalid("{\"A\":true}");
    assertThat(i.rule()).isEqualTo(PayloadRule.NON_STRING_VALUE);
    assertThat(i.detail()).isEqualTo("got boolean");
  }

  @Test
  void arrayValueIsNonString() {
    Upstream.Invalid i = invalid("{\"A\":[\"x\"]}");
    assertThat(i.rule()).isEqualTo(PayloadRule.NON_STRING_VALUE);
    assertThat(i.detail()).isEqualTo("got array");
  }

  @Test
  void nonStringAfterValidMembersNamesTheOffendingKey() {
    Upstream.Invalid i = invalid("{\"OK\":\"fine\",\"BAD\":3}");
    assertThat(i.key().name()).isEqualTo("BAD");
  }

  @Test
  void deeplyNestedValueIsNonStringWithoutStackOverflow() {
    String payload = "{\"A\":" + repeat('[', 5000) + repeat(']', 5000) + "}";
    Upstream.Invalid i = invalid(payload);
    assertThat(i.rule()).isEqualTo(PayloadRule.NON_STRING_VALUE);
    assertThat(i.key().name()).isEqualTo("A");
  }

  @Test
  void deeplyNestedUnclosedValueIsNonStringWithoutStackOverflow() {
    Upstream.Invalid i = invalid("{\"A\":" + repeat('[', 5000));
    assertThat(i.rule()).isEqualTo(PayloadRule.NON_STRING_VALUE);
  }

  // ---- key rules ----

  static Stream<Arguments> invalidKeys() {
    return Stream.of(
        Arguments.of("space", "a b", "a b"),
        Arguments.of("empty", "", ""),
        Arguments.of("dot", ".", "."),
        Arguments.of("dotdot", "..", ".."),
        Arguments.of("254 chars", repeat('k', 254), repeat('k', 254)),
        Arguments.of("cyrillic", "ключ", "ключ"),
        Arguments.of("control char", "a\\u0001", "a\u0001"),
        Arguments.of("slash", "a/b", "a/b"),
        Arguments.of("colon", "a:b", "a:b"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidKeys")
  void invalidKeyIsNamedByPositionLengthAndHashNeverItsText(String label, String jsonKey, String decodedKey) {
    Upstream.Invalid i = invalid("{\"OK\":\"v\",\"" + jsonKey + "\":\"v\"}");
    assertThat(i.rule()).isEqualTo(PayloadRule.INVALID_KEY);
    assertThat(i.key()).isEqualTo(new KeyName(2, null, decodedKey.length(), sha256Prefix(decodedKey)));
    assertThat(i.describe()).startsWith("key #2 (" + decodedKey.length() + " character");
    if (decodedKey.length() > 2) {
      assertThat(i.describe()).doesNotContain(decodedKey);
    }
  }

  @Test
  void aCredentialPastedAsAKeyReachesNoMessage() {
    String key = "postgres://app:S3cr3t@db/app";
    Upstream.Invalid i = invalid("{\"" + key + "\":\"DATABASE_URL\"}");
    assertThat(i.describe()).isEqualTo("key #1 (28 characters, sha256 " + sha256Prefix(key) + "): "
        + PayloadRule.INVALID_KEY.description());
    assertThat(List.of(i.describe(), i.toString())).allSatisfy(text -> assertThat(text)
        .doesNotContain("S3cr3t").doesNotContain("postgres").doesNotContain("app:").doesNotContain("@db"));
  }

  @Test
  void aValueRuleCheckedBeforeTheKeyRuleHidesAKeyThatIsNotValidToo() {
    assertThat(invalid("{\"OK\":\"v\",\"tok=S3cr3t\":1}").describe())
        .startsWith("key #2 (10 characters, sha256 " + sha256Prefix("tok=S3cr3t") + "): "
            + PayloadRule.NON_STRING_VALUE.description())
        .doesNotContain("S3cr3t");
  }

  @Test
  void isValidKeyMatchesKubernetesRule() {
    assertThat(PayloadParser.isValidKey("A_b-c.1")).isTrue();
    assertThat(PayloadParser.isValidKey(repeat('a', 253))).isTrue();
    assertThat(PayloadParser.isValidKey(repeat('a', 254))).isFalse();
    assertThat(PayloadParser.isValidKey(".")).isFalse();
    assertThat(PayloadParser.isValidKey("..")).isFalse();
    assertThat(PayloadParser.isValidKey("")).isFalse();
  }

  @Test
  void duplicateKeyIsRejectedNamingTheKey() {
    Upstream.Invalid i = invalid("{\"A\":\"x\",\"B\":\"y\",\"A\":\"z\"}");
    assertThat(i.rule()).isEqualTo(PayloadRule.DUPLICATE_KEY);
    assertThat(i.key().name()).isEqualTo("A");
    assertThat(i.describe()).contains("\"A\"");
  }

  // ---- size ----

  @Test
  void totalOverOneMebibyteIsTooLarge() {
    Upstream.Invalid i = invalid(objectOfValues(17, MAX_VALUE));
    assertThat(i.rule()).isEqualTo(PayloadRule.TOO_LARGE);
    assertThat(i.key()).isNull();
  }

  @Test
  void sizeCountsUtf8BytesNotCharacters() {
    // 16 values of 32768 two-byte characters = 1 MiB; one more byte tips it over
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < 16; i++) values.put("K" + i, "é".repeat(MAX_VALUE / 2));
    values.put("LAST", "x");
    assertThat(invalid(objectOf(values)).rule()).isEqualTo(PayloadRule.TOO_LARGE);
  }

  // ---- environment-variable limits (the Secret feeds envFrom) ----

  @Test
  void entryOfExactlyTheLinuxLimitIsFound() {
    // "A" + '=' + value + NUL = 131072 bytes
    Upstream u = parse("{\"A\":\"" + repeat('x', PayloadParser.MAX_ENV_ENTRY_BYTES - 3) + "\"}");
    assertThat(u).isInstanceOf(Upstream.Found.class);
  }

  @Test
  void entryOverTheLinuxLimitIsValueTooLongNamingTheKey() {
    Upstream.Invalid i = invalid("{\"OK\":\"v\",\"A\":\"" + repeat('x', PayloadParser.MAX_ENV_ENTRY_BYTES - 2) + "\"}");
    assertThat(i.rule()).isEqualTo(PayloadRule.VALUE_TOO_LONG);
    assertThat(i.key().name()).isEqualTo("A");
    assertThat(i.detail()).isEqualTo("over 131072 bytes");
  }

  @Test
  void entryLengthCountsTheKeyAndUtf8Bytes() {
    // a longer key tips the same value over
    assertThat(invalid("{\"AB\":\"" + repeat('x', PayloadParser.MAX_ENV_ENTRY_BYTES - 3) + "\"}").rule())
        .isEqualTo(PayloadRule.VALUE_TOO_LONG);
    // 65536 two-byte characters are 131072 bytes
    assertThat(invalid("{\"A\":\"" + "é".repeat(MAX_VALUE) + "\"}").rule()).isEqualTo(PayloadRule.VALUE_TOO_LONG);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"x\\u0000y", "\\u0000", "x\\ud800", "\\udc00x", "\\udc00\\ud800", "\\ud83d\\ud83d\\ude00"})
  void nulOrUnpairedSurrogateInAValueIsNotEnvSafe(String escapedValue) {
    Upstream.Invalid i = invalid("{\"OK\":\"v\",\"A\":\"" + escapedValue + "\"}");
    assertThat(i.rule()).isEqualTo(PayloadRule.VALUE_NOT_ENV_SAFE);
    assertThat(i.key().name()).isEqualTo("A");
    assertThat(i.detail()).isNull();
  }

  @Test
  void pairedSurrogatesAndOtherControlCharactersInValuesAreFound() {
    Upstream u = parse("{\"A\":\"\\ud83d\\ude00 😀\",\"B\":\"\\u0001\\t\\n\\u001b\"}");
    assertThat(((Upstream.Found) u).data())
        .isEqualTo(SecretData.fromStrings(Map.of("A", "\ud83d\ude00 😀", "B", "\u0001\t\n\u001b")));
  }

  @Test
  void isEnvironmentTextRejectsOnlyNulAndUnpairedSurrogates() {
    assertThat(PayloadParser.isEnvironmentText("")).isTrue();
    assertThat(PayloadParser.isEnvironmentText("a\u007f\u00e9\ud83d\ude00")).isTrue();
    assertThat(PayloadParser.isEnvironmentText("\u0000")).isFalse();
    assertThat(PayloadParser.isEnvironmentText("\ud83d")).isFalse();
    assertThat(PayloadParser.isEnvironmentText("\ude00\ud83d")).isFalse();
  }

  // ---- malformed ----

  @ParameterizedTest
  @ValueSource(strings = {"{\"A\":", "{A:\"b\"}", "{\"A\":\"b\",}", "{\"A\" \"b\"}", "{'A':'b'}", "{\"A\":\"b\""})
  void malformedJsonReportsLineAndColumn(String payload) {
    Upstream.Invalid i = invalid(payload);
    assertThat(i.rule()).isEqualTo(PayloadRule.MALFORMED_JSON);
    assertThat(i.detail()).matches("at line \\d+, column \\d+");
  }

  @Test
  void malformedJsonLocationPointsAtTheSecondLine() {
    Upstream.Invalid i = invalid("{\n\"A\": x}");
    assertThat(i.detail()).startsWith("at line 2, column ");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "\n"})
  void emptyPayloadIsMalformed(String payload) {
    Upstream.Invalid i = invalid(payload);
    assertThat(i.rule()).isEqualTo(PayloadRule.MALFORMED_JSON);
    assertThat(i.detail()).isEqualTo("empty");
  }

  @Test
  void trailingGarbageIsMalformed() {
    assertThat(invalid("{\"A\":\"b\"} x").rule()).isEqualTo(PayloadRule.MALFORMED_JSON);
  }

  @Test
  void trailingGarbageDetailSaysWhereItStarts() {
    // an unparsable token and a well-formed second value both give the position
    assertThat(invalid("{\"A\":\"b\"} xyz").detail()).isEqualTo("trailing content after the JSON value, at line 1, column 11");
    assertThat(invalid("{\"A\":\"b\"}\n  {}").detail())
        .isEqualTo("trailing content after the JSON value, at line 2, column 3");
    assertThat(invalid("null 1").detail()).isEqualTo("trailing content after the JSON value, at line 1, column 6");
  }

  @Test
  void secondTopLevelObjectIsMalformed() {
    Upstream.Invalid i = invalid("{} {}");
    assertThat(i.rule()).isEqualTo(PayloadRule.MALFORMED_JSON);
    assertThat(i.detail()).contains("trailing");
  }

  @Test
  void leadingByteOrderMarkIsMalformed() {
    Upstream.Invalid i = invalid("\uFEFF{\"A\":\"b\"}");
    assertThat(i.rule()).isEqualTo(PayloadRule.MALFORMED_JSON);
    assertThat(i.detail()).isEqualTo("starts with a byte-order mark, at line 1, column 1");
  }

  // ---- secrecy: no value ever in a message ----

  static Stream<Arguments> invalidPayloadsWithCanary() {
    String c = CANARY;
    return Stream.of(
        Arguments.of(PayloadRule.MALFORMED_JSON, "{\"A\":\"" + c),
        Arguments.of(PayloadRule.MALFORMED_JSON, "{\"A\":\"" + c + "\""),
        Arguments.of(PayloadRule.MALFORMED_JSON, "{\"A\":\"" + c + "\",}"),
        Arguments.of(PayloadRule.MALFORMED_JSON, "{\"A\" \"" + c + "\"}"),
        Arguments.of(PayloadRule.MALFORMED_JSON, "{\"A\":\"x\" \"" + c + "\"}"),
        Arguments.of(PayloadRule.MALFORMED_JSON, "{\"A\":" + c + "}"),
        Arguments.of(PayloadRule.MALFORMED_JSON, "{\"A\":'" + c + "'}"),
        Arguments.of(PayloadRule.MALFORMED_JSON, "{\"A\":\"x\"} " + c),
        Arguments.of(PayloadRule.MALFORMED_JSON, "{\"A\":\"x\"} {\"B\":\"" + c + "\"}"),
        Arguments.of(PayloadRule.MALFORMED_JSON, "{\"A\":\"abc\"" + c + "\"}"),
        Arguments.of(PayloadRule.MALFORMED_JSON, "{\"A\":\"" + c + "\u0001\"}"),
        Arguments.of(PayloadRule.MALFORMED_JSON, "{\"A\":\"" + c + "\\q\"}"),
        Arguments.of(PayloadRule.MALFORMED_JSON, "\uFEFF{\"A\":\"" + c + "\"}"),
        Arguments.of(PayloadRule.MALFORMED_JSON, "null \"" + c + "\""),
        Arguments.of(PayloadRule.NOT_AN_OBJECT, "[\"" + c + "\"]"),
        Arguments.of(PayloadRule.NOT_AN_OBJECT, "\"" + c + "\""),
        Arguments.of(PayloadRule.NON_STRING_VALUE, "{\"A\":[\"" + c + "\"]}"),
        Arguments.of(PayloadRule.NON_STRING_VALUE, "{\"A\":{\"b\":\"" + c + "\"}}"),
        Arguments.of(PayloadRule.NON_STRING_VALUE, "{\"OK\":\"" + c + "\",\"A\":1}"),
        Arguments.of(PayloadRule.DUPLICATE_KEY, "{\"A\":\"" + c + "\",\"A\":\"" + c + "2\"}"),
        Arguments.of(PayloadRule.INVALID_KEY, "{\"a b\":\"" + c + "\"}"),
        Arguments.of(PayloadRule.INVALID_KEY, "{\"OK\":\"" + c + "\",\"..\":\"" + c + "\"}"),
        Arguments.of(PayloadRule.INVALID_KEY, "{\"ключ\":\"" + c + "\"}"),
        Arguments.of(PayloadRule.MALFORMED_JSON, "{\"A\":\"x\"} trailing" + c),
        Arguments.of(PayloadRule.VALUE_NOT_ENV_SAFE, "{\"A\":\"" + c + "\\u0000\"}"),
        Arguments.of(PayloadRule.VALUE_NOT_ENV_SAFE, "{\"A\":\"" + c + "\\ud800\"}"),
        Arguments.of(PayloadRule.VALUE_TOO_LONG, "{\"A\":\"" + c + repeat('x', PayloadParser.MAX_ENV_ENTRY_BYTES) + "\"}"),
        Arguments.of(PayloadRule.TOO_LARGE, tooLargeWithCanary()));
  }

  @ParameterizedTest(name = "{0} #{index}")
  @MethodSource("invalidPayloadsWithCanary")
  void invalidResultsNeverContainTheValue(PayloadRule expected, String payload) {
    Upstream.Invalid i = invalid(payload);
    assertThat(i.rule()).isEqualTo(expected);
    assertThat(i.describe()).doesNotContain("CANARY").doesNotContain("7f3e9");
    assertThat(i.toString()).doesNotContain("CANARY").doesNotContain("7f3e9");
  }

  @Test
  void foundToStringNeverContainsAValue() {
    Upstream u = parse("{\"TOKEN\":\"" + CANARY + "\",\"OTHER\":\"" + CANARY + "-b\"}");
    assertThat(u).isInstanceOf(Upstream.Found.class);
    assertThat(u.toString()).doesNotContain(CANARY).contains("TOKEN", "OTHER", "v1");
    // nor its base64 form
    String b64 = ((Upstream.Found) u).data().base64().get("TOKEN");
    assertThat(u.toString()).doesNotContain(b64);
  }

  @Test
  void describeNamesTheKeyAndRuleAndDetail() {
    Upstream.Invalid i = invalid("{\"A\":1}");
    assertThat(i.describe()).isEqualTo("key \"A\": " + PayloadRule.NON_STRING_VALUE.description() + " (got number)");
  }

  @Test
  void describeWithoutKeySaysPayload() {
    assertThat(invalid("null").describe()).isEqualTo("payload: " + PayloadRule.NULL_PAYLOAD.description());
  }

  // ---- helpers ----

  private static String sha256Prefix(String text) {
    try {
      byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(d).substring(0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private static String tooLargeWithCanary() {
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < 17; i++) {
      values.put("K" + i, CANARY + repeat('x', MAX_VALUE - CANARY.length()));
    }
    return objectOf(values);
  }

  private static String objectOfValues(int count, int valueBytes) {
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) values.put("K" + i, repeat('x', valueBytes));
    return objectOf(values);
  }

  /** Only for keys and values that need no JSON escaping. */
  private static String objectOf(Map<String, String> values) {
    StringBuilder sb = new StringBuilder("{");
    values.forEach((k, v) -> {
      if (sb.length() > 1) sb.append(',');
      sb.append('"').append(k).append("\":\"").append(v).append('"');
    });
    return sb.append('}').toString();
  }
}
