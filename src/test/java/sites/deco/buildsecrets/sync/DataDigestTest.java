package sites.deco.buildsecrets.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static sites.deco.buildsecrets.sync.SyncFixtures.CANARY;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;
import sites.deco.buildsecrets.source.SecretData;

/** The salted digest beside the version annotation: vouches for the data, reveals nothing. */
class DataDigestTest {
  private static final SecretData DATA = SecretData.fromStrings(Map.of("API_TOKEN", CANARY, "NPM_TOKEN", "npm-1"));

  @Test
  void aDigestMatchesItsOwnData() {
    assertThat(DataDigest.matches(DataDigest.of(DATA), DATA)).isTrue();
  }

  @Test
  void aDigestMatchesEqualDataReadBackFromTheSecret() {
    // As LocalSecret reads it: the Secret's own base64 map, in whatever order the API returns it.
    java.util.LinkedHashMap<String, String> reversed = new java.util.LinkedHashMap<>();
    reversed.put("NPM_TOKEN", DATA.base64().get("NPM_TOKEN"));
    reversed.put("API_TOKEN", DATA.base64().get("API_TOKEN"));

    assertThat(DataDigest.matches(DataDigest.of(DATA), SecretData.fromBase64(reversed))).isTrue();
  }

  @Test
  void aDigestDoesNotMatchDifferentData() {
    String digest = DataDigest.of(DATA);

    assertThat(DataDigest.matches(digest, SecretData.fromStrings(Map.of("API_TOKEN", CANARY, "NPM_TOKEN", "npm-2"))))
        .as("one value changed").isFalse();
    assertThat(DataDigest.matches(digest, SecretData.fromStrings(Map.of("API_TOKEN", CANARY))))
        .as("a key removed").isFalse();
    assertThat(DataDigest.matches(digest,
        SecretData.fromStrings(Map.of("API_TOKEN", CANARY, "NPM_TOKEN", "npm-1", "EXTRA", ""))))
        .as("an empty key added").isFalse();
    assertThat(DataDigest.matches(digest, SecretData.fromStrings(Map.of("API_TOKEN", "npm-1", "NPM_TOKEN", CANARY))))
        .as("values swapped between keys").isFalse();
    assertThat(DataDigest.matches(digest, SecretData.fromStrings(Map.of())))
        .as("emptied").isFalse();
  }

  @Test
  void keyAndValueBoundariesCannotBeShifted() {
    // Length-prefixed: {"AB": "C"} and {"A": "BC"} hash differently although they concatenate alike.
    SecretData ab = SecretData.fromStrings(Map.of("AB", "C"));
    SecretData a = SecretData.fromStrings(Map.of("A", "BC"));

    assertThat(DataDigest.matches(DataDigest.of(ab), a)).isFalse();
  }

  @Test
  void theEmptyMapHasADigestToo() {
    SecretData empty = SecretData.fromStrings(Map.of());

    assertThat(DataDigest.matches(DataDigest.of(empty), empty)).isTrue();
    assertThat(DataDigest.matches(DataDigest.of(empty), DATA)).isFalse();
  }

  @Test
  void theSaltDiffersOnEveryCall() {
    Set<String> digests = new HashSet<>();
    Set<String> salts = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      String digest = DataDigest.of(DATA);
      digests.add(digest);
      salts.add(digest.split(":")[1]);
      assertThat(DataDigest.matches(digest, DATA)).isTrue();
    }

    assertThat(digests).hasSize(50);
    assertThat(salts).hasSize(50);
  }

  @Test
  void theFormIsVersionSaltAndHash() {
    String[] parts = DataDigest.of(DATA).split(":", -1);

    assertThat(parts).hasSize(3);
    assertThat(parts[0]).isEqualTo("v1");
    assertThat(Base64.getDecoder().decode(parts[1])).hasSize(16);
    assertThat(Base64.getDecoder().decode(parts[2])).hasSize(32);
  }

  @ParameterizedTest(name = "\"{0}\"")
  @NullAndEmptySource
  @ValueSource(strings = {
      "v1", "v1:", "v1::", "v1:abc", "v2:AAAAAAAAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      "v1:!!notbase64!!:AAAA", "v1:AAAAAAAAAAAAAAAAAAAAAA:!!notbase64!!", "v1:a:b:c", "sha256:deadbeef",
      "garbage"})
  void anAbsentOrMalformedAnnotationNeverMatches(String annotation) {
    assertThat(DataDigest.matches(annotation, DATA)).isFalse();
    assertThat(DataDigest.matches(annotation, SecretData.fromStrings(Map.of()))).isFalse();
  }

  @Test
  void aTruncatedHashDoesNotMatch() {
    String digest = DataDigest.of(DATA);

    assertThat(DataDigest.matches(digest.substring(0, digest.length() - 4), DATA)).isFalse();
  }

  @Test
  void anotherSaltWithTheSameHashDoesNotMatch() {
    String[] parts = DataDigest.of(DATA).split(":");
    String otherSalt = DataDigest.of(DATA).split(":")[1];

    assertThat(DataDigest.matches(parts[0] + ":" + otherSalt + ":" + parts[2], DATA)).isFalse();
  }

  @Test
  void theAnnotationNeverContainsAValuePlainOrEncoded() {
    SecretData oneKey = SecretData.fromStrings(Map.of("TOKEN", CANARY));
    for (int i = 0; i < 20; i++) {
      String digest = DataDigest.of(oneKey);

      for (String leak : SyncFixtures.leakForms(CANARY)) {
        assertThat(digest).doesNotContain(leak);
      }
      assertThat(digest).doesNotContain(oneKey.base64().get("TOKEN")).doesNotContain("TOKEN");
    }
  }

  @Test
  void theAnnotationIsNotAnUnsaltedHashOfTheValue() throws Exception {
    // An unsalted SHA-256 of a one-key map would let a dictionary attack recover a weak value.
    SecretData oneKey = SecretData.fromStrings(Map.of("TOKEN", CANARY));
    byte[] unsalted = MessageDigest.getInstance("SHA-256").digest(CANARY.getBytes(StandardCharsets.UTF_8));
    String digest = DataDigest.of(oneKey);

    assertThat(digest)
        .doesNotContain(Base64.getEncoder().withoutPadding().encodeToString(unsalted))
        .doesNotContain(HexFormat.of().formatHex(unsalted));
  }
}
