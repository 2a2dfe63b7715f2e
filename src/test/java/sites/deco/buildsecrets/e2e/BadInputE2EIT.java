package sites.deco.buildsecrets.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.core.SdkBytes;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.KeyName;
import sites.deco.buildsecrets.source.PayloadRule;
import sites.deco.buildsecrets.testbed.ReliabilityRecord;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * Bad upstream payloads and namespace edge cases, against the built jar run as one process at
 * DEBUG with default names. Every bad payload starts from a namespace whose managed Secret holds a
 * good payload; the payload goes upstream and the namespace is force-synced. Each must leave the
 * Secret exactly as it was, raise one Warning {@code InvalidPayload} naming the key (escaped) and
 * the rule, or the rule and position for whole-document failures, and leave the operator alive
 * and quick: a good change in another namespace still syncs within seconds. Every value carries a
 * canary that must reach neither the operator's output, nor Events, nor /metrics.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BadInputE2EIT {
  private static final Duration WITHIN = Duration.ofSeconds(30);
  private static final Duration QUICK = Duration.ofSeconds(5);
  private static final String CANARY_ID = UUID.randomUUID().toString();
  private static final String CANARY = "CANARY-" + CANARY_ID;
  private static final String PAYLOADS = "Bad upstream payloads";
  private static final String NAMESPACES = "Namespace edge cases";
  private static final String POSITION = "at line \\d+, column \\d+";
  /** A connection string pasted where a key belongs; none of its parts may be printed anywhere. */
  private static final String PASTED_KEY = "postgres://app:S3cr3t@db/app";
  private static final List<String> PASTED_PARTS = List.of("S3cr3t", "postgres", "//app", "@db");
  private static final int DEPTH = 10_000;

  static TestBed bed;
  static Sites sites;
  static OperatorProcess operator;
  static String probe;
  static int probeRound;
  /** Case name to its site, each synced with a good payload before the cases run. */
  static final Map<String, String> SITE_OF = new LinkedHashMap<>();

  /**
   * One bad payload.
   *
   * @param payload the SecretString, or the SecretBinary's bytes when {@code binary}
   * @param printedKey the offending key as the Event must print it (a valid key quoted, any other by
   *     position, length and hash); null for whole-document rules
   * @param detail a regular expression for the parenthesised detail, null when there is none
   */
  record Bad(String name, String payload, boolean binary, PayloadRule rule, String printedKey, String detail) {
    @Override
    public String toString() {
      return name;
    }
  }

  static String value(String label) {
    return label + "-" + CANARY;
  }

  static String goodPayload(String label) {
    return "{\"GOOD\":\"" + value(label) + "\",\"SHARED\":\"same\"}";
  }

  /** How the Event names a key that is not valid: never by its text. */
  static String hidden(int position, String key) {
    return KeyName.of(key, position).toString();
  }

  static Bad bad(String name, String payload, PayloadRule rule, String printedKey, String detail) {
    return new Bad(name, payload, false, rule, printedKey, detail);
  }

  static Stream<Bad> badPayloads() {
    String v = "\"" + value("v") + "\"";
    String ok = "\"OK\":" + v;
    String obj = "{" + ok + "}";
    List<Bad> c = new ArrayList<>();
    // whole-document rules
    c.add(bad("JSON null", "null", PayloadRule.NULL_PAYLOAD, null, null));
    c.add(bad("top-level array", "[" + v + "]", PayloadRule.NOT_AN_OBJECT, null, "got array"));
    c.add(bad("top-level string", v, PayloadRule.NOT_AN_OBJECT, null, "got string"));
    c.add(bad("arrays nested 10,000 deep at the top level", "[".repeat(DEPTH) + v + "]".repeat(DEPTH),
        PayloadRule.NOT_AN_OBJECT, null, "got array"));
    c.add(bad("byte-order mark before the object", "\uFEFF" + obj, PayloadRule.MALFORMED_JSON, null,
        "starts with a byte-order mark, at line 1, column 1"));
    c.add(bad("trailing garbage after the object", obj + " garbage", PayloadRule.MALFORMED_JSON, null,
        "trailing content after the JSON value, at line 1, column " + (obj.length() + 2)));
    c.add(bad("a second object after the first", obj + "\n{\"B\":" + v + "}", PayloadRule.MALFORMED_JSON, null,
        "trailing content after the JSON value, at line 2, column 1"));
    c.add(bad("unterminated string", "{\"A\":\"" + value("cut"), PayloadRule.MALFORMED_JSON, null, POSITION));
    c.add(bad("trailing comma", "{" + ok + ",}", PayloadRule.MALFORMED_JSON, null, POSITION));
    c.add(bad("single-quoted strings", "{'A':'" + value("q") + "'}", PayloadRule.MALFORMED_JSON, null, POSITION));
    c.add(bad("unquoted value token", "{\"A\":" + value("bare") + "}",
        PayloadRule.MALFORMED_JSON, null, POSITION));
    c.add(bad("raw control character in a key", "{" + ok + ",\"A\u0001B\":" + v + "}",
        PayloadRule.MALFORMED_JSON, null, POSITION));
    c.add(bad("raw newline in a key", "{" + ok + ",\"A\nB\":" + v + "}", PayloadRule.MALFORMED_JSON, null, POSITION));
    c.add(bad("whitespace only", "  \n ", PayloadRule.MALFORMED_JSON, null, "empty"));
    c.add(new Bad("binary secret", "{" + ok + "}", true, PayloadRule.BINARY_SECRET, null, null));
    c.add(bad("over 1 MiB in total (17 values of 65,536 bytes)", seventeenLargeValues(), PayloadRule.TOO_LARGE,
        null, "over 1048576 bytes"));
    // value rules
    c.add(bad("number where a string belongs", "{" + ok + ",\"PORT\":8080}", PayloadRule.NON_STRING_VALUE,
        "\"PORT\"", "got number"));
    c.add(bad("null value", "{" + ok + ",\"A\":null}", PayloadRule.NON_STRING_VALUE, "\"A\"", "got null"));
    c.add(bad("boolean value", "{" + ok + ",\"A\":true}", PayloadRule.NON_STRING_VALUE, "\"A\"", "got boolean"));
    c.add(bad("arrays nested 10,000 deep in a value", "{" + ok + ",\"DEEP\":" + "[".repeat(DEPTH) + v
        + "]".repeat(DEPTH) + "}", PayloadRule.NON_STRING_VALUE, "\"DEEP\"", "got array"));
    c.add(bad("objects nested 10,000 deep in a value", "{\"DEEP\":" + "{\"a\":".repeat(DEPTH) + v
        + "}".repeat(DEPTH) + "}", PayloadRule.NON_STRING_VALUE, "\"DEEP\"", "got object"));
    c.add(bad("NUL in a value", "{" + ok + ",\"A\":\"" + value("nul") + "\\u0000\"}", PayloadRule.VALUE_NOT_ENV_SAFE,
        "\"A\"", null));
    c.add(bad("unpaired surrogate escape in a value", "{\"A\":\"" + value("sur") + "\\ud800\"}",
        PayloadRule.VALUE_NOT_ENV_SAFE, "\"A\"", null));
    c.add(bad("value too long for one environment variable (131,072 bytes)",
        "{" + ok + ",\"BIG\":\"" + value("big") + "x".repeat(131_072) + "\"}", PayloadRule.VALUE_TOO_LONG, "\"BIG\"",
        "over 131072 bytes"));
    // key rules
    c.add(bad("duplicate key", "{\"A\":" + v + ",\"B\":" + v + ",\"A\":\"" + value("again") + "\"}",
        PayloadRule.DUPLICATE_KEY, "\"A\"", null));
    c.add(bad("duplicate key spelled with an escape", "{\"A\":" + v + ",\"\\u0041\":" + v + "}",
        PayloadRule.DUPLICATE_KEY, "\"A\"", null));
    c.add(bad("empty key", "{" + ok + ",\"\":" + v + "}", PayloadRule.INVALID_KEY, hidden(2, ""), null));
    c.add(bad("key .", "{\".\":" + v + "}", PayloadRule.INVALID_KEY, hidden(1, "."), null));
    c.add(bad("key ..", "{\"..\":" + v + "}", PayloadRule.INVALID_KEY, hidden(1, ".."), null));
    c.add(bad("key with a space", "{\"a b\":" + v + "}", PayloadRule.INVALID_KEY, hidden(1, "a b"), null));
    c.add(bad("key with a slash", "{\"a/b\":" + v + "}", PayloadRule.INVALID_KEY, hidden(1, "a/b"), null));
    c.add(bad("key of 254 characters", "{\"" + "k".repeat(254) + "\":" + v + "}", PayloadRule.INVALID_KEY,
        hidden(1, "k".repeat(254)), null));
    c.add(bad("unicode key (Cyrillic, raw UTF-8)", "{\"ключ\":" + v + "}", PayloadRule.INVALID_KEY,
        hidden(1, "ключ"), null));
    c.add(bad("unicode key (emoji, escaped surrogate pair)", "{\"\\ud83d\\ude00KEY\":" + v + "}",
        PayloadRule.INVALID_KEY, hidden(1, "\ud83d\ude00KEY"), null));
    c.add(bad("key with a right-to-left override", "{\"A\u202eB\":" + v + "}", PayloadRule.INVALID_KEY,
        hidden(1, "A\u202eB"), null));
    c.add(bad("key with an escaped NUL", "{\"A\\u0000B\":" + v + "}", PayloadRule.INVALID_KEY, hidden(1, "A\u0000B"), null));
    c.add(bad("key with an escaped newline", "{\"A\\nB\":" + v + "}", PayloadRule.INVALID_KEY, hidden(1, "A\nB"), null));
    c.add(bad("key with an ANSI escape sequence", "{\"\\u001b[31mRED\":" + v + "}", PayloadRule.INVALID_KEY,
        hidden(1, "\u001b[31mRED"), null));
    c.add(bad("key with a quote and a backslash", "{\"A\\\"B\\\\C\":" + v + "}", PayloadRule.INVALID_KEY,
        hidden(1, "A\"B\\C"), null));
    c.add(bad("a credential pasted as a key", "{" + ok + ",\"" + PASTED_KEY + "\":\"DATABASE_URL\"}",
        PayloadRule.INVALID_KEY, hidden(2, PASTED_KEY), null));
    return c.stream();
  }

  /** Acceptable by the rules on purpose: the operator writes them. */
  static Map<String, Map<String, String>> acceptedPayloads() {
    Map<String, Map<String, String>> out = new LinkedHashMap<>();
    out.put("a 65,536-byte value", Map.of("BIG", value("big") + "x".repeat(65_536 - value("big").length())));
    Map<String, String> many = new LinkedHashMap<>();
    for (int i = 0; i < 10_000; i++) {
      many.put("K" + i, i == 0 ? value("k0") : "v" + i);
    }
    out.put("10,000 small keys", many);
    out.put("control characters and an emoji in values",
        Map.of("CTRL", value("c") + "\u0001\t\n\u001b[0m", "EMOJI", value("e") + "😀"));
    return out;
  }

  @BeforeAll
  static void start() {
    bed = TestBed.get();
    sites = new Sites(bed, Naming.DEFAULTS);
    operator = OperatorProcess.start(bed, "bad-input", Map.of(), "--log-level=debug", "--log-format=json").awaitReady();
    probe = Sites.fresh("bad-probe");
    sites.putUpstream(probe, goodPayload("probe"));
    sites.createNamespace(probe, Naming.OPT_IN_VALUE);
    // One site per case, all synced with a good payload before any case runs.
    Stream.concat(badPayloads().map(Bad::name), acceptedPayloads().keySet().stream()).forEach(name -> {
      String site = Sites.fresh("bad");
      SITE_OF.put(name, site);
      sites.putUpstream(site, goodPayload(site));
      sites.createNamespace(site, Naming.OPT_IN_VALUE);
    });
    await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
      assertThat(Sites.decoded(sites.secret(probe))).isEqualTo(Map.of("GOOD", value("probe"), "SHARED", "same"));
      for (String site : SITE_OF.values()) {
        assertThat(Sites.decoded(sites.secret(site))).as(site).isEqualTo(Map.of("GOOD", value(site), "SHARED", "same"));
      }
    });
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      assertThat(operator.stop()).as("exit code after SIGTERM").isEqualTo(0);
    }
  }

  // ---- bad upstream payloads ----

  @ParameterizedTest(name = "{0}")
  @MethodSource("badPayloads")
  @Order(1)
  void badPayloadKeepsTheSecretAndNamesTheRule(Bad c) {
    String site = SITE_OF.get(c.name());
    Secret before = sites.secret(site);
    assertThat(Sites.decoded(before)).isEqualTo(Map.of("GOOD", value(site), "SHARED", "same"));
    if (!c.payload().isBlank() && !c.payload().equals("null")) {
      assertThat(c.payload()).as("every bad payload with a value carries the canary").contains(CANARY);
    }

    if (c.binary()) {
      bed.secretsManager().putSecretValue(r -> r.secretId(sites.key(site)).secretBinary(SdkBytes.fromUtf8String(c.payload())));
    } else {
      sites.putUpstream(site, c.payload());
    }
    sites.forceSync(site);

    await().atMost(WITHIN).until(() -> !sites.events(site, "InvalidPayload").isEmpty());
    List<Event> warnings = sites.events(site, "InvalidPayload");
    assertThat(warnings).hasSize(1);
    Event warning = warnings.get(0);
    assertThat(warning.getType()).isEqualTo("Warning");
    String message = warning.getMessage();
    String where = c.printedKey() == null ? "payload: " : "key " + c.printedKey() + ": ";
    String detail = c.detail() == null ? ""
        : " \\(" + (c.detail().equals(POSITION) ? POSITION : Pattern.quote(c.detail())) + "\\)";
    assertThat(message).matches(Pattern.quote("upstream payload rejected, " + where + c.rule().description())
        + detail + Pattern.quote("; the existing Secret is kept"));
    assertThat(message.chars()).as("printable ASCII only, control characters escaped")
        .allMatch(ch -> (ch >= 0x20 && ch < 0x7f) || ch == '…');
    assertThat(message).doesNotContain(CANARY_ID);

    stillQuickAndAlive();
    Secret after = sites.secret(site);
    assertThat(after.getMetadata().getResourceVersion()).isEqualTo(before.getMetadata().getResourceVersion());
    assertThat(after.getData()).isEqualTo(before.getData());
    assertThat(operator.output()).doesNotContain(CANARY_ID);
    assertThat(operator.metrics()).doesNotContain(CANARY_ID);

    ReliabilityRecord.passed(PAYLOADS, c.name(), "Secret kept (data and resourceVersion); Warning InvalidPayload names "
        + (c.printedKey() == null ? "" : c.printedKey().startsWith("#")
            ? "the key by position, length and hash, never its text, and " : "the key, escaped, and ")
        + "rule " + c.rule()
        + (c.printedKey() == null && c.detail() != null && c.detail().contains("line") ? " and the position" : "")
        + "; operator alive and another namespace still syncs");
  }

  @Test
  @Order(2)
  void acceptedEdgePayloadsAreWritten() {
    acceptedPayloads().forEach((name, data) -> {
      String site = SITE_OF.get(name);
      String json = json(data);
      assertThat(json).contains(CANARY);
      sites.putUpstream(site, json);
      sites.forceSync(site);
      await().atMost(WITHIN).untilAsserted(() -> assertThat(Sites.decoded(sites.secret(site))).isEqualTo(data));
      assertThat(sites.events(site, "InvalidPayload")).isEmpty();
      stillQuickAndAlive();
      ReliabilityRecord.passed(PAYLOADS, name, "accepted by design: Secret updated byte for byte, no Warning");
    });
  }

  // ---- namespace edge cases ----

  @Test
  @Order(3)
  void barePrefixIsNotALegalNamespaceName() {
    assertThatThrownBy(() -> bed.admin().namespaces().resource(
            new NamespaceBuilder().withNewMetadata().withName("sites-").endMetadata().build()).create())
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(422));
    stillQuickAndAlive();
    ReliabilityRecord.passed(NAMESPACES, "namespace sites- (empty site name)",
        "cannot exist: creating it is rejected by the API server with HTTP 422 (not a DNS label); asserted: the 422 only");
  }

  @Test
  @Order(4)
  void longestLegalNamespaceNameSyncsItsKey() {
    String head = Sites.fresh("max") + "-";
    String site = head + "a".repeat(57 - head.length());
    assertThat(sites.ns(site)).hasSize(63);
    assertThat(sites.key(site)).isEqualTo("sites/" + site + "/build");
    sites.putUpstream(site, goodPayload("long"));
    sites.createNamespace(site, Naming.OPT_IN_VALUE);
    await().atMost(WITHIN).untilAsserted(() ->
        assertThat(Sites.decoded(sites.secret(site))).isEqualTo(Map.of("GOOD", value("long"), "SHARED", "same")));
    sites.putUpstream(site, goodPayload("long-2"));
    sites.forceSync(site);
    await().atMost(QUICK).untilAsserted(() ->
        assertThat(Sites.decoded(sites.secret(site))).isEqualTo(Map.of("GOOD", value("long-2"), "SHARED", "same")));
    assertThat(sites.events(site, "Created")).hasSize(1);
    // one more character is not a namespace at all
    assertThatThrownBy(() -> sites.createNamespace(site + "b", null))
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(422));
    ReliabilityRecord.passed(NAMESPACES, "63-character namespace (longest legal name)",
        "Secret created from sites/<57-character site>/build and updated on force-sync; Normal Created recorded");
  }

  @Test
  @Order(5)
  void terminatingNamespaceLosesItsManagedSecret() {
    String site = Sites.fresh("term-managed");
    sites.putUpstream(site, goodPayload("term"));
    sites.createNamespace(site, Naming.OPT_IN_VALUE);
    await().atMost(WITHIN).until(() -> sites.secret(site) != null);

    bed.admin().namespaces().withName(sites.ns(site)).delete();
    await().atMost(WITHIN).until(() -> sites.secret(site) == null);
    assertTerminating(site);
    stillQuickAndAlive();
    ReliabilityRecord.passed(NAMESPACES, "Terminating namespace with a managed Secret",
        "not opted in: managed Secret deleted while the namespace stays Terminating");
  }

  @Test
  @Order(6)
  void terminatingNamespaceWithoutASecretGetsNone() {
    String site = Sites.fresh("term-none");
    sites.createNamespace(site, Naming.OPT_IN_VALUE); // no upstream key yet: nothing is created
    await().atMost(WITHIN).until(() -> !sites.events(site, "UpstreamMissing").isEmpty());

    String notOptedIn = "namespace " + sites.ns(site) + ": namespace is not opted in";
    long before = count(notOptedIn);
    bed.admin().namespaces().withName(sites.ns(site)).delete();
    assertTerminating(site);
    sites.putUpstream(site, goodPayload("late"));
    sites.forceSync(site);
    // the deletion and the force-sync each reach the reconciler, which finds the namespace off
    await().atMost(WITHIN).until(() -> count(notOptedIn) >= before + 2);
    assertThat(sites.secret(site)).isNull();
    assertThat(operator.output().lines().filter(l -> l.contains(sites.ns(site)))
        .filter(l -> l.contains("\"WARN\"") || l.contains("\"ERROR\""))).isEmpty();
    stillQuickAndAlive();
    ReliabilityRecord.passed(NAMESPACES, "Terminating namespace without a Secret",
        "not opted in, also on force-sync: no Secret created, no warning or error");
  }

  @Test
  @Order(7)
  void terminatingNamespaceWithAnUnownedSecretIsLeftAlone() {
    String site = Sites.fresh("term-unowned");
    sites.putUpstream(site, goodPayload("unowned"));
    sites.createNamespace(site, null);
    Secret manual = bed.admin().secrets().inNamespace(sites.ns(site)).resource(new SecretBuilder()
        .withNewMetadata().withName("build-secrets").endMetadata()
        .withStringData(Map.of("A", value("manual"))).build()).create();
    sites.optIn(site);
    await().atMost(WITHIN).until(() -> !sites.events(site, "NotOwned").isEmpty());

    String notOptedIn = "namespace " + sites.ns(site) + ": namespace is not opted in";
    long before = count(notOptedIn);
    bed.admin().namespaces().withName(sites.ns(site)).delete();
    assertTerminating(site);
    sites.forceSync(site);
    await().atMost(WITHIN).until(() -> count(notOptedIn) >= before + 2);
    Secret after = sites.secret(site);
    assertThat(after.getMetadata().getResourceVersion()).isEqualTo(manual.getMetadata().getResourceVersion());
    assertThat(Sites.decoded(after)).isEqualTo(Map.of("A", value("manual")));
    stillQuickAndAlive();
    ReliabilityRecord.passed(NAMESPACES, "Terminating namespace with an unowned Secret",
        "not opted in: the Secret is left untouched (same resourceVersion)");
  }

  @Test
  @Order(8)
  void whitespaceAroundEnabledIsOffAndExplained() {
    String fresh = Sites.fresh("ws-new");
    sites.putUpstream(fresh, goodPayload("ws"));
    sites.createNamespace(fresh, " enabled ");
    assertUnrecognised(fresh, " enabled ");
    assertThat(sites.secret(fresh)).isNull();

    String synced = Sites.fresh("ws-synced");
    sites.putUpstream(synced, goodPayload("ws2"));
    sites.createNamespace(synced, Naming.OPT_IN_VALUE);
    await().atMost(WITHIN).until(() -> sites.secret(synced) != null);
    sites.annotate(synced, Naming.DEFAULTS.managedAnnotation(), "enabled\n");
    await().atMost(WITHIN).until(() -> sites.secret(synced) == null);
    assertUnrecognised(synced, "enabled\\u000a");
    stillQuickAndAlive();
    ReliabilityRecord.passed(NAMESPACES, "annotation with whitespace around enabled",
        "off: no Secret created, a managed one deleted as an opt-out; Warning UnrecognisedOptIn quotes the value escaped");
  }

  @Test
  @Order(9)
  void trueIsOffAndExplained() {
    String site = Sites.fresh("true");
    sites.putUpstream(site, goodPayload("true"));
    sites.createNamespace(site, "true");
    assertUnrecognised(site, "true");
    assertThat(sites.secret(site)).isNull();
    stillQuickAndAlive();
    ReliabilityRecord.passed(NAMESPACES, "annotation value true",
        "off: no Secret; Warning UnrecognisedOptIn says the value must be exactly \"enabled\"");
  }

  // ---- secrecy, over the whole run ----

  /**
   * The pasted connection string was rejected above (case "a credential pasted as a key"); no part
   * of it may reach an Event, the operator's log at DEBUG, or what status and sync print.
   */
  @Test
  @Order(9)
  void aCredentialPastedAsAKeyIsInNoEventLogOrCliOutput() {
    String site = SITE_OF.get("a credential pasted as a key");
    assertThat(sites.events(site, "InvalidPayload")).isNotEmpty();
    List<String> outputs = new ArrayList<>();
    CliRun sync = CliRun.of(bed.env(), outputs, 120, "sync", sites.ns(site));
    assertThat(sync.out()).as(sync.toString()).contains("invalid payload: key " + hidden(2, PASTED_KEY));
    CliRun.of(bed.env(), outputs, 120, "status");
    CliRun.of(bed.env(), outputs, 120, "status", "-o", "json");
    List<String> everything = new ArrayList<>(outputs);
    everything.add(operator.output());
    bed.admin().v1().events().inAnyNamespace().list().getItems().forEach(e -> everything.add(e.getMessage()));
    for (String text : everything) {
      for (String part : PASTED_PARTS) {
        assertThat(text).doesNotContain(part);
      }
    }
    ReliabilityRecord.passed(PAYLOADS, "a credential pasted as a key, operator at DEBUG",
        "no part of it appears in any Event, log line, or the output of sync and status");
  }

  @Test
  @Order(10)
  void theCanaryIsNowhere() {
    assertThat(operator.output()).isNotEmpty().contains("\"DEBUG\"").doesNotContain(CANARY_ID);
    for (Event e : bed.admin().v1().events().inAnyNamespace().list().getItems()) {
      assertThat(e.getMessage()).as(e.getMetadata().getNamespace()).doesNotContain(CANARY_ID);
    }
    assertThat(operator.metrics())
        .contains("deco_operator_buildsecrets_syncs_total{result=\"invalid_payload\"}")
        .doesNotContain(CANARY_ID);
    ReliabilityRecord.passed(PAYLOADS, "canary in every value, operator at DEBUG",
        "the canary appears in no log line, Event or /metrics sample");
  }

  // ---- helpers ----

  /** A good change in another namespace still lands within seconds, and the process is healthy. */
  static void stillQuickAndAlive() {
    assertThat(operator.isAlive()).as("operator process alive").isTrue();
    String label = "probe-" + (++probeRound);
    sites.putUpstream(probe, goodPayload(label));
    sites.forceSync(probe);
    await().atMost(QUICK).untilAsserted(() ->
        assertThat(Sites.decoded(sites.secret(probe))).isEqualTo(Map.of("GOOD", value(label), "SHARED", "same")));
    assertThat(operator.get(operator.healthPort(), "/healthz").statusCode()).isEqualTo(200);
  }

  /** Log lines holding this text (the reconciler's DEBUG line for each decision). */
  static long count(String text) {
    return operator.output().lines().filter(l -> l.contains(text)).count();
  }

  static void assertTerminating(String site) {
    Namespace ns = bed.admin().namespaces().withName(sites.ns(site)).get();
    assertThat(ns).isNotNull();
    assertThat(ns.getMetadata().getDeletionTimestamp()).isNotNull();
    assertThat(ns.getStatus().getPhase()).isEqualTo("Terminating");
  }

  static void assertUnrecognised(String site, String printedValue) {
    await().atMost(WITHIN).until(() -> !sites.events(site, "UnrecognisedOptIn").isEmpty());
    Event e = sites.events(site, "UnrecognisedOptIn").get(0);
    assertThat(e.getType()).isEqualTo("Warning");
    assertThat(e.getMessage()).isEqualTo(
        "annotation value \"" + printedValue + "\" does not opt in: the value must be exactly \"enabled\"");
  }

  private static String seventeenLargeValues() {
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < 17; i++) {
      String v = value("large" + i);
      values.put("K" + i, v + "x".repeat(65_536 - v.length()));
    }
    return json(values);
  }

  /** Only for keys needing no escaping; values are escaped. */
  private static String json(Map<String, String> values) {
    StringBuilder sb = new StringBuilder("{");
    values.forEach((k, v) -> {
      if (sb.length() > 1) sb.append(',');
      sb.append('"').append(k).append("\":\"");
      for (char ch : v.toCharArray()) {
        if (ch == '"' || ch == '\\') sb.append('\\').append(ch);
        else if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch));
        else sb.append(ch);
      }
      sb.append('"');
    });
    return sb.append('}').toString();
  }
}
