package sites.deco.buildsecrets.source.aws;

import sites.deco.buildsecrets.source.KeyName;
import sites.deco.buildsecrets.source.PayloadRule;
import sites.deco.buildsecrets.source.SecretData;
import sites.deco.buildsecrets.source.Upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.testbed.TestBed;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.CreateSecretResponse;
import software.amazon.awssdk.services.secretsmanager.model.PutSecretValueResponse;

/** The AWS source against a real moto_server: request shapes and error mapping as the SDK sees them. */
class AwsSecretsManagerSourceMotoTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private static Process moto;
  private static Path motoLog;
  private static int port;

  private SecretsManagerClient client;
  private AwsSecretsManagerSource source;

  @BeforeAll
  static void startMoto() throws Exception {
    port = TestBed.freePortForDaemon();
    motoLog = Files.createTempFile("moto-server-", ".log");
    moto =
        new ProcessBuilder("moto_server", "-H", "127.0.0.1", "-p", String.valueOf(port))
            .redirectErrorStream(true)
            .redirectOutput(motoLog.toFile())
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        HttpResponse<Void> r =
            HTTP.send(
                HttpRequest.newBuilder(motoUri("/moto-api/")).timeout(Duration.ofSeconds(2)).GET().build(),
                HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      if (!moto.isAlive() || System.nanoTime() > deadline) {
        String log = Files.readString(motoLog);
        stopMoto();
        throw new IllegalStateException("moto_server did not come up on port " + port + ":\n" + log);
      }
      Thread.sleep(200);
    }
  }

  @AfterAll
  static void stopMoto() throws Exception {
    if (moto == null) {
      return;
    }
    // moto_server may be a shim that starts Python as a child: stop the whole tree we started.
    var tree = new java.util.ArrayList<ProcessHandle>(moto.descendants().toList());
    tree.add(0, moto.toHandle());
    tree.forEach(ProcessHandle::destroy);
    for (ProcessHandle p : tree) {
      try {
        p.onExit().get(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        p.destroyForcibly();
        p.onExit().get(5, TimeUnit.SECONDS);
      }
    }
    moto = null;
    Files.deleteIfExists(motoLog);
  }

  @BeforeEach
  void resetMotoAndBuildClient() throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(motoUri("/moto-api/reset")).POST(HttpRequest.BodyPublishers.noBody()).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("moto reset").isEqualTo(200);
    client =
        SecretsManagerClient.builder()
            .endpointOverride(motoUri(""))
            .region(Region.US_EAST_1)
            .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
            .httpClient(UrlConnectionHttpClient.create())
            .build();
    source = new AwsSecretsManagerSource(client);
  }

  @AfterEach
  void closeClient() {
    source.close();
  }

  private static URI motoUri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  private CreateSecretResponse create(String name, String secretString) {
    return client.createSecret(r -> r.name(name).secretString(secretString));
  }

  @Test
  void readAllAnswersEveryKeyAcrossParallelBatches() throws Exception {
    java.util.List<String> keys = new java.util.ArrayList<>();
    for (int i = 0; i < 3 * AwsSecretsManagerSource.BATCH_SIZE + 5; i++) {
      String key = "sites/s" + i + "/build";
      keys.add(key);
      if (i % 10 != 7) { // every tenth key is missing
        create(key, "{\"N\":\"" + i + "\"}");
      }
    }
    Map<String, Upstream> answers = source.readAll(keys);
    assertThat(answers).hasSize(keys.size());
    for (int i = 0; i < keys.size(); i++) {
      Upstream answer = answers.get(keys.get(i));
      if (i % 10 == 7) {
        assertThat(answer).as(keys.get(i)).isEqualTo(new Upstream.Missing(Upstream.MissingReason.NOT_FOUND));
      } else {
        assertThat(answer).as(keys.get(i)).isInstanceOf(Upstream.Found.class);
        assertThat(((Upstream.Found) answer).data()).isEqualTo(SecretData.fromStrings(Map.of("N", Integer.toString(i))));
      }
    }
  }

  @Test
  void existingSecretIsFoundWithItsDataAndTheCreatedVersion() throws Exception {
    CreateSecretResponse created = create("sites/acme/build", "{\"TOKEN\":\"v1\"}");
    Upstream u = source.read("sites/acme/build");
    assertThat(u).isEqualTo(new Upstream.Found(SecretData.fromStrings(Map.of("TOKEN", "v1")), created.versionId()));
    assertThat(created.versionId()).isNotBlank();
  }

  @Test
  void defaultNamingReadsExactlySitesAcmeBuild() throws Exception {
    create("sites/acme/build", "{\"WHICH\":\"right\"}");
    create("sites/acme/build-old", "{\"WHICH\":\"decoy\"}");
    create("acme/build", "{\"WHICH\":\"decoy\"}");
    String key = Naming.DEFAULTS.upstreamKey("acme");
    Upstream u = source.read(key);
    assertThat(u).isInstanceOf(Upstream.Found.class);
    assertThat(((Upstream.Found) u).data()).isEqualTo(SecretData.fromStrings(Map.of("WHICH", "right")));
  }

  @Test
  void similarlyNamedSecretDoesNotSatisfyAMissingKey() throws Exception {
    create("sites/acme/build-old", "{\"TOKEN\":\"v0\"}");
    assertThat(source.read("sites/other/build")).isEqualTo(new Upstream.Missing(Upstream.MissingReason.NOT_FOUND));
  }

  @Test
  void prefixOfAnExistingNameIsNotFound() throws Exception {
    create("sites/acme/build-old", "{\"TOKEN\":\"v0\"}");
    assertThat(source.read("sites/acme/build")).isEqualTo(new Upstream.Missing(Upstream.MissingReason.NOT_FOUND));
  }

  @Test
  void newValuePutIsFoundWithTheNewVersion() throws Exception {
    CreateSecretResponse created = create("sites/acme/build", "{\"TOKEN\":\"v1\"}");
    PutSecretValueResponse put =
        client.putSecretValue(r -> r.secretId("sites/acme/build").secretString("{\"TOKEN\":\"v2\",\"NEW\":\"x\"}"));
    assertThat(put.versionId()).isNotEqualTo(created.versionId());
    Upstream u = source.read("sites/acme/build");
    assertThat(u)
        .isEqualTo(new Upstream.Found(SecretData.fromStrings(Map.of("TOKEN", "v2", "NEW", "x")), put.versionId()));
  }

  @Test
  void secretScheduledForDeletionIsMissingScheduledForDeletion() throws Exception {
    create("sites/acme/build", "{\"TOKEN\":\"v1\"}");
    client.deleteSecret(r -> r.secretId("sites/acme/build").recoveryWindowInDays(7L));
    assertThat(source.read("sites/acme/build"))
        .isEqualTo(new Upstream.Missing(Upstream.MissingReason.SCHEDULED_FOR_DELETION));
  }

  @Test
  void forceDeletedSecretIsMissingNotFound() throws Exception {
    create("sites/acme/build", "{\"TOKEN\":\"v1\"}");
    client.deleteSecret(r -> r.secretId("sites/acme/build").forceDeleteWithoutRecovery(true));
    assertThat(source.read("sites/acme/build")).isEqualTo(new Upstream.Missing(Upstream.MissingReason.NOT_FOUND));
  }

  @Test
  void binarySecretIsInvalidBinarySecret() throws Exception {
    client.createSecret(r -> r.name("sites/acme/build").secretBinary(SdkBytes.fromUtf8String("{\"TOKEN\":\"v1\"}")));
    Upstream u = source.read("sites/acme/build");
    assertThat(u).isInstanceOf(Upstream.Invalid.class);
    assertThat(((Upstream.Invalid) u).rule()).isEqualTo(PayloadRule.BINARY_SECRET);
  }

  @Test
  void numberValueIsInvalidNonStringValue() throws Exception {
    create("sites/acme/build", "{\"A\":1}");
    Upstream u = source.read("sites/acme/build");
    assertThat(u).isInstanceOf(Upstream.Invalid.class);
    assertThat(((Upstream.Invalid) u).rule()).isEqualTo(PayloadRule.NON_STRING_VALUE);
    assertThat(((Upstream.Invalid) u).key()).isEqualTo(KeyName.of("A", 1));
  }

  @Test
  void resetBetweenTestsLeavesNoSecretsBehind() throws Exception {
    // Every other test creates sites/acme/build; after the reset it must be gone again.
    assertThat(source.read("sites/acme/build")).isEqualTo(new Upstream.Missing(Upstream.MissingReason.NOT_FOUND));
  }
}
