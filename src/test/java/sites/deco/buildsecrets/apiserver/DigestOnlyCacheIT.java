package sites.deco.buildsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.SecretData;
import sites.deco.buildsecrets.sync.DataDigest;
import sites.deco.buildsecrets.testbed.OperatorUnderTest;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * The informer cache keeps no Secret value, only each Secret's key names and a digest of its data
 * computed as it arrived: on a real API server, a hand edit of a value, an added key and a removed
 * key are each found and repaired, live and after a restart, and a value edit that also forges the
 * digest annotation is found too.
 */
class DigestOnlyCacheIT {
  private static final Duration WITHIN = Duration.ofSeconds(30);
  private static final Duration QUIET = Duration.ofSeconds(3);

  private final TestBed bed = TestBed.get();
  private OperatorUnderTest op;

  @AfterEach
  void stop() {
    if (op != null) op.close();
  }

  private static Map<String, String> upstreamOf(String site) {
    return Map.of("A", "a-" + site, "B", "b-" + site);
  }

  /** {@code size} opted-in sites holding {@link #upstreamOf}, each Secret written by the operator. */
  private static List<String> syncedSites(Sites sites, int size) {
    List<String> all = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      String site = Sites.fresh("d");
      Map<String, String> data = upstreamOf(site);
      sites.putUpstream(site, "{\"A\":\"" + data.get("A") + "\",\"B\":\"" + data.get("B") + "\"}");
      sites.createNamespace(site, Naming.OPT_IN_VALUE);
      all.add(site);
    }
    await().atMost(WITHIN).until(() -> all.stream().allMatch(s -> upstreamOf(s).equals(Sites.decoded(sites.secret(s)))));
    return all;
  }

  private static String b64(String plain) {
    return Base64.getEncoder().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
  }

  private void edit(Sites sites, String site, UnaryOperator<Secret> change) {
    bed.admin().secrets().inNamespace(sites.ns(site)).withName(sites.naming.secretName()).edit(change);
  }

  private static Secret valueEdited(Secret s) {
    s.getData().put("A", b64("hand-edited"));
    return s;
  }

  private static Secret keyAdded(Secret s) {
    s.getData().put("EXTRA", b64("hand-added"));
    return s;
  }

  private static Secret keyRemoved(Secret s) {
    s.getData().remove("B");
    return s;
  }

  /** A value edit that also writes a valid digest annotation for the edited data. */
  private static Secret valueEditedWithForgedDigest(Secret s) {
    s.getData().put("A", b64("forged"));
    s.getMetadata().getAnnotations().put(Naming.DIGEST_ANNOTATION, DataDigest.of(SecretData.fromBase64(s.getData())));
    return s;
  }

  private static void awaitRepaired(Sites sites, List<String> repaired) {
    await().atMost(WITHIN).untilAsserted(() -> {
      for (String site : repaired) {
        Secret s = sites.secret(site);
        assertThat(Sites.decoded(s)).as(site).isEqualTo(upstreamOf(site));
        assertThat(DataDigest.matches(s.getMetadata().getAnnotations().get(Naming.DIGEST_ANNOTATION),
            SecretData.fromBase64(s.getData()))).as(site + ": the digest annotation vouches for the repaired data").isTrue();
      }
    });
  }

  @Test
  void liveHandEditsOfAValueAKeyAddedAKeyRemovedAndAForgedDigestAreEachRepaired() {
    Sites sites = new Sites(bed, Sites.isolated("lean"));
    op = OperatorUnderTest.start(bed, sites.naming);
    List<String> all = syncedSites(sites, 5);
    String value = all.get(0), added = all.get(1), removed = all.get(2), forged = all.get(3), untouched = all.get(4);
    String untouchedRv = sites.secret(untouched).getMetadata().getResourceVersion();

    edit(sites, value, DigestOnlyCacheIT::valueEdited);
    edit(sites, added, DigestOnlyCacheIT::keyAdded);
    edit(sites, removed, DigestOnlyCacheIT::keyRemoved);
    edit(sites, forged, DigestOnlyCacheIT::valueEditedWithForgedDigest);

    awaitRepaired(sites, List.of(value, added, removed, forged));
    await().atMost(WITHIN).until(() -> sites.events(forged, "Updated").stream()
        .anyMatch(e -> e.getMessage().contains("changed [A]") && !e.getMessage().contains("forged")));
    await().atMost(WITHIN).until(() -> sites.events(added, "Updated").stream()
        .anyMatch(e -> e.getMessage().contains("removed [EXTRA]")));
    await().atMost(WITHIN).until(() -> sites.events(removed, "Updated").stream()
        .anyMatch(e -> e.getMessage().contains("added [B]")));
    await().during(QUIET).atMost(QUIET.plusSeconds(3)).until(() ->
        untouchedRv.equals(sites.secret(untouched).getMetadata().getResourceVersion()));
  }

  @Test
  void handEditsMadeWhileStoppedAreRepairedAfterARestartReadingOnlyTheirKeys() {
    Sites sites = new Sites(bed, Sites.isolated("leanrs"));
    op = OperatorUnderTest.start(bed, sites.naming);
    List<String> all = syncedSites(sites, 5);
    op.close();
    String value = all.get(0), added = all.get(1), removed = all.get(2);

    edit(sites, value, DigestOnlyCacheIT::valueEdited);
    edit(sites, added, DigestOnlyCacheIT::keyAdded);
    edit(sites, removed, DigestOnlyCacheIT::keyRemoved);
    Map<String, String> rvs = new HashMap<>();
    all.forEach(s -> rvs.put(s, sites.secret(s).getMetadata().getResourceVersion()));

    op = OperatorUnderTest.start(bed, sites.naming);
    awaitRepaired(sites, List.of(value, added, removed));
    await().during(QUIET).atMost(QUIET.plusSeconds(3)).until(() -> op.source.singleReads() == 0);
    for (String s : all.subList(3, 5)) {
      assertThat(op.source.reads(sites.key(s))).as(s + ": in sync, its key not read").isZero();
      assertThat(sites.secret(s).getMetadata().getResourceVersion()).as(s + " not rewritten").isEqualTo(rvs.get(s));
    }
  }
}
