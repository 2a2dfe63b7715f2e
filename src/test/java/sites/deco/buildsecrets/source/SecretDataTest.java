package sites.deco.buildsecrets.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecretDataTest {

  @Test
  void toStringShowsKeysOnly() {
    SecretData d = SecretData.fromStrings(Map.of("TOKEN", "s3cr3t-value", "DB", "other-value"));
    assertThat(d.toString())
        .isEqualTo("SecretData[DB, TOKEN]")
        .doesNotContain("s3cr3t")
        .doesNotContain(d.base64().get("TOKEN"));
  }

  @Test
  void toStringOfBase64DataHidesTheBase64() {
    SecretData d = SecretData.fromBase64(Map.of("K", "c2VjcmV0"));
    assertThat(d.toString()).isEqualTo("SecretData[K]");
  }

  @Test
  void equalWhenSameContentRegardlessOfInsertionOrder() {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("A", "1");
    a.put("B", "2");
    Map<String, String> b = new LinkedHashMap<>();
    b.put("B", "2");
    b.put("A", "1");
    assertThat(SecretData.fromStrings(a)).isEqualTo(SecretData.fromStrings(b));
    assertThat(SecretData.fromStrings(a).hashCode()).isEqualTo(SecretData.fromStrings(b).hashCode());
  }

  @Test
  void notEqualWhenAValueDiffers() {
    assertThat(SecretData.fromStrings(Map.of("A", "1"))).isNotEqualTo(SecretData.fromStrings(Map.of("A", "2")));
  }

  @Test
  void notEqualWhenAKeyDiffers() {
    assertThat(SecretData.fromStrings(Map.of("A", "1"))).isNotEqualTo(SecretData.fromStrings(Map.of("B", "1")));
  }

  @Test
  void fromStringsEqualsFromBase64OfTheEncodedValues() {
    assertThat(SecretData.fromStrings(Map.of("A", "hello")))
        .isEqualTo(SecretData.fromBase64(Map.of("A", "aGVsbG8=")));
  }

  @Test
  void fromStringsBase64EncodesUtf8() {
    SecretData d = SecretData.fromStrings(Map.of("A", "é", "B", "ключ", "C", "😀"));
    assertThat(d.base64())
        .containsEntry("A", "w6k=")
        .containsEntry("B", "0LrQu9GO0Yc=")
        .containsEntry("C", "8J+YgA==");
  }

  @Test
  void emptyStringValueEncodesToEmptyBase64() {
    assertThat(SecretData.fromStrings(Map.of("A", "")).base64()).containsEntry("A", "");
  }

  @Test
  void fromBase64NullIsEmpty() {
    assertThat(SecretData.fromBase64(null)).isEqualTo(SecretData.fromStrings(Map.of()));
    assertThat(SecretData.fromBase64(null).keys()).isEmpty();
  }

  @Test
  void keysAreSorted() {
    assertThat(SecretData.fromStrings(Map.of("b", "1", "A", "2", "a", "3")).keys()).containsExactly("A", "a", "b");
  }

  @Test
  void isImmutableAndDetachedFromTheInputMap() {
    Map<String, String> in = new HashMap<>(Map.of("A", "aGk="));
    SecretData d = SecretData.fromBase64(in);
    in.put("B", "eA==");
    assertThat(d.keys()).containsExactly("A");
    assertThatThrownBy(() -> d.base64().put("C", "x")).isInstanceOf(UnsupportedOperationException.class);
  }
}
