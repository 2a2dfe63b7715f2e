package sites.deco.buildsecrets.testbed;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Client certificates signed by the test bed's CA, so a test can act as any user or
 * ServiceAccount: kube-apiserver takes the user from the CN and the groups from each O. Minted
 * with {@code openssl}, like the test bed's own PKI, into a fresh temp directory.
 */
public final class ClientCerts {
  /** A minted certificate and its key, PEM files. */
  public record Cert(Path certFile, Path keyFile) {}

  private ClientCerts() {}

  /** The identity kube-apiserver gives a ServiceAccount's token, as a client certificate. */
  public static Cert serviceAccount(TestBed bed, String namespace, String name) {
    return mint(bed, "system:serviceaccount:" + namespace + ":" + name,
        List.of("system:serviceaccounts", "system:serviceaccounts:" + namespace));
  }

  /** Mints a one-day client certificate for user {@code cn} in {@code groups}. */
  public static Cert mint(TestBed bed, String cn, List<String> groups) {
    return mint(bed.env(), cn, groups);
  }

  /** The same, for any test bed: {@code env} holds its TESTBED_CA_CERT and TESTBED_CA_KEY. */
  public static Cert mint(java.util.Map<String, String> env, String cn, List<String> groups) {
    try {
      Path dir = Files.createTempDirectory("bso-client-cert");
      dir.toFile().deleteOnExit();
      Path key = dir.resolve("client.key");
      Path csr = dir.resolve("client.csr");
      Path cert = dir.resolve("client.crt");
      Path ext = dir.resolve("client.ext");
      Path conf = dir.resolve("openssl.cnf");
      // A ServiceAccount's user name (system:serviceaccount:<ns>:<name>) is usually longer than
      // the 64 characters X.520 allows a CN, which openssl enforces and kube-apiserver does not:
      // lift openssl's bound with its string-table module.
      Files.writeString(conf, """
          openssl_conf = openssl_init
          [openssl_init]
          stbl_section = string_table
          [string_table]
          commonName = min:1,max:1024
          [req]
          distinguished_name = dn
          prompt = no
          [dn]
          """);
      Files.writeString(ext, "basicConstraints=CA:FALSE\n"
          + "keyUsage=critical,digitalSignature,keyEncipherment\n"
          + "extendedKeyUsage=clientAuth\n");
      StringBuilder subject = new StringBuilder();
      for (String g : groups) {
        subject.append("/O=").append(checked(g));
      }
      subject.append("/CN=").append(checked(cn));
      openssl(List.of("req", "-config", conf.toString(), "-new", "-newkey", "rsa:2048", "-nodes",
          "-keyout", key.toString(), "-out", csr.toString(), "-subj", subject.toString()));
      openssl(List.of("x509", "-req", "-in", csr.toString(),
          "-CA", env.get("TESTBED_CA_CERT"), "-CAkey", env.get("TESTBED_CA_KEY"),
          "-set_serial", "0x" + Long.toHexString(System.nanoTime()), "-days", "1",
          "-extfile", ext.toString(), "-out", cert.toString()));
      for (Path p : List.of(key, csr, cert, ext, conf)) {
        p.toFile().deleteOnExit();
      }
      return new Cert(cert, key);
    } catch (IOException e) {
      throw new IllegalStateException("could not mint a client certificate for " + cn + ": " + e.getMessage(), e);
    }
  }

  /**
   * A client for the test bed's API server authenticated by {@code cert} only. Built from an empty
   * Config, so nothing (a kubeconfig, a token, a proxy) leaks in from the developer's environment.
   */
  public static KubernetesClient client(TestBed bed, Cert cert) {
    return client(bed.env(), cert);
  }

  /** The same, for any test bed: {@code env} holds its TESTBED_APISERVER_URL and TESTBED_CA_CERT. */
  public static KubernetesClient client(java.util.Map<String, String> env, Cert cert) {
    return isolated(env, b -> b.withClientCertFile(cert.certFile().toString())
        .withClientKeyFile(cert.keyFile().toString()));
  }

  /**
   * A client authenticated by a bearer token only, e.g. a ServiceAccount's token from the
   * TokenRequest API; isolated from the developer's environment like a certificate's client.
   */
  public static KubernetesClient client(TestBed bed, String token) {
    return isolated(bed.env(), b -> b.withOauthToken(token));
  }

  private static KubernetesClient isolated(java.util.Map<String, String> env,
      java.util.function.UnaryOperator<ConfigBuilder> credentials) {
    Config config = credentials.apply(new ConfigBuilder(Config.empty())
        .withMasterUrl(env.get("TESTBED_APISERVER_URL"))
        .withCaCertFile(env.get("TESTBED_CA_CERT"))
        .withNamespace("default"))
        .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  /** A kubeconfig file for a process to act as {@code cert}'s user, e.g. a person running the CLI. */
  public static Path kubeconfig(java.util.Map<String, String> env, Cert cert) {
    try {
      Path file = Files.createTempFile(cert.certFile().getParent(), "kubeconfig", ".yaml");
      file.toFile().deleteOnExit();
      Files.writeString(file, """
          apiVersion: v1
          kind: Config
          clusters:
          - name: testbed
            cluster: {server: "%s", certificate-authority: "%s"}
          users:
          - name: user
            user: {client-certificate: "%s", client-key: "%s"}
          contexts:
          - name: user
            context: {cluster: testbed, user: user, namespace: default}
          current-context: user
          """.formatted(env.get("TESTBED_APISERVER_URL"), env.get("TESTBED_CA_CERT"), cert.certFile(), cert.keyFile()));
      return file;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** openssl -subj treats '/' and '\' as syntax; names here never need them, so refuse them. */
  private static String checked(String rdn) {
    if (rdn.contains("/") || rdn.contains("\\")) {
      throw new IllegalArgumentException("unsupported character in subject component: " + rdn);
    }
    return rdn;
  }

  private static void openssl(List<String> args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add("openssl");
    command.addAll(args);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IOException("openssl " + args.get(0) + " failed:\n" + output);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted while running openssl", e);
    }
  }
}
