package sites.deco.buildsecrets.ops;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.net.http.HttpClient;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's Kubernetes client: fabric8 on the JDK HTTP client, with its two thread pools on
 * virtual threads. By default each is a cached pool of platform threads that grows with a burst
 * (16 response-handling threads and 3 informer task threads after a cold sync of 1,000
 * namespaces) and keeps them, each with a stack and a TLAB; the work they run only waits on I/O.
 */
final class KubernetesClients {
  private static final Logger LOG = LoggerFactory.getLogger(KubernetesClients.class);

  private KubernetesClients() {}

  static KubernetesClient operatorClient(Config config) {
    return new KubernetesClientBuilder()
        .withConfig(config)
        .withHttpClientFactory(new JdkHttpClientFactory() {
          @Override
          protected HttpClient.Builder createNewHttpClientBuilder() {
            return HttpClient.newBuilder().executor(Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("kube-http-", 0).factory()));
          }
        })
        .withTaskExecutor(Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("kube-task-", 0).factory()))
        .build();
  }

  /**
   * Opens the client's connection to the API server (TLS handshake, HTTP/2) in the background
   * with one GET /version, while the rest of start-up runs: the informers' first lists then reuse
   * it instead of paying the handshake on the way to readiness. Any failure is left to them.
   */
  static void connectEarly(KubernetesClient client) {
    Thread.ofVirtual().name("kube-connect").start(() -> {
      try {
        client.getKubernetesVersion();
      } catch (RuntimeException e) {
        LOG.debug("early connection to the API server failed ({}); the informers will connect", e.toString());
      }
    });
  }
}
