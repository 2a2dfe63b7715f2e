package sites.deco.buildsecrets.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static sites.deco.buildsecrets.sync.SyncFixtures.CANARY;

import java.util.Map;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.source.SecretData;

class KeyDiffTest {

  private static SecretData data(Map<String, String> plain) {
    return SecretData.fromStrings(plain);
  }

  @Test
  void equalDataChangesNoKey() {
    KeyDiff diff = KeyDiff.between(data(Map.of("A", "1", "B", "2")), data(Map.of("A", "1", "B", "2")));

    assertThat(diff.isEmpty()).isTrue();
    assertThat(diff.added()).isEmpty();
    assertThat(diff.removed()).isEmpty();
    assertThat(diff.changed()).isEmpty();
    assertThat(diff).hasToString("no key changed");
  }

  @Test
  void emptyToEmptyChangesNoKey() {
    assertThat(KeyDiff.between(SecretData.fromBase64(null), SecretData.fromBase64(Map.of())))
        .hasToString("no key changed");
  }

  @Test
  void keyOnlyAfterIsAdded() {
    KeyDiff diff = KeyDiff.between(data(Map.of("A", "1")), data(Map.of("A", "1", "B", "2")));

    assertThat(diff.added()).containsExactly("B");
    assertThat(diff.removed()).isEmpty();
    assertThat(diff.changed()).isEmpty();
    assertThat(diff.isEmpty()).isFalse();
    assertThat(diff).hasToString("added [B]");
  }

  @Test
  void keyOnlyBeforeIsRemoved() {
    KeyDiff diff = KeyDiff.between(data(Map.of("A", "1", "B", "2")), data(Map.of("A", "1")));

    assertThat(diff.removed()).containsExactly("B");
    assertThat(diff.added()).isEmpty();
    assertThat(diff.changed()).isEmpty();
    assertThat(diff).hasToString("removed [B]");
  }

  @Test
  void keyWithADifferentValueIsChanged() {
    KeyDiff diff = KeyDiff.between(data(Map.of("A", "1", "B", "2")), data(Map.of("A", "1", "B", "3")));

    assertThat(diff.changed()).containsExactly("B");
    assertThat(diff.added()).isEmpty();
    assertThat(diff.removed()).isEmpty();
    assertThat(diff).hasToString("changed [B]");
  }

  @Test
  void allThreeKindsAreListedInOrderWithSortedKeys() {
    KeyDiff diff = KeyDiff.between(
        data(Map.of("gone2", "x", "gone1", "x", "kept", "same", "z-edit", "old", "a-edit", "old")),
        data(Map.of("new2", "y", "new1", "y", "kept", "same", "z-edit", "new", "a-edit", "new")));

    assertThat(diff.added()).containsExactly("new1", "new2");
    assertThat(diff.removed()).containsExactly("gone1", "gone2");
    assertThat(diff.changed()).containsExactly("a-edit", "z-edit");
    assertThat(diff).hasToString("added [new1, new2], removed [gone1, gone2], changed [a-edit, z-edit]");
  }

  @Test
  void removedAndChangedWithoutAddedHaveNoLeadingSeparator() {
    KeyDiff diff = KeyDiff.between(data(Map.of("A", "1", "B", "2")), data(Map.of("B", "3")));

    assertThat(diff).hasToString("removed [A], changed [B]");
  }

  @Test
  void neverPrintsAValue() {
    KeyDiff diff = KeyDiff.between(
        data(Map.of("TOKEN", "before-" + CANARY, "OLD", "old-" + CANARY)),
        data(Map.of("TOKEN", "after-" + CANARY, "NEW", "new-" + CANARY)));

    assertThat(diff).hasToString("added [NEW], removed [OLD], changed [TOKEN]");
    for (String value : new String[] {"before-" + CANARY, "old-" + CANARY, "after-" + CANARY, "new-" + CANARY}) {
      for (String leak : SyncFixtures.leakForms(value)) {
        assertThat(diff.toString()).doesNotContain(leak);
      }
    }
    assertThat(diff.toString()).doesNotContain(CANARY);
  }
}
